#!/usr/bin/env node
/**
 * The command line: `train` an experiment (the embedded α-GAN ring by default), `show` a model's
 * objectives as formulas, `check` a config without training.
 */
import { readFile } from 'node:fs/promises'

import { Command, InvalidArgumentError } from 'commander'
import * as E from 'fp-ts/Either'

import type { Experiment } from '../codec/experiment.ts'
import { defaultExperiment, ExperimentC, ModelNameC, withDefaults } from '../codec/experiment.ts'
import { decode } from '../codec/index.ts'
import { check, describe } from '../core/Check.ts'
import { showLatex, showUnicode } from '../core/Show.ts'
import { gameOf, run } from '../run/train.ts'

class UsageError extends Error {}

const positive = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`)
  return n
}

const loadExperiment = async (path: string | undefined, overrides: { steps?: number; model?: string }): Promise<Experiment> => {
  let input: unknown = defaultExperiment
  if (path !== undefined) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      throw new UsageError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
    }
    try {
      input = JSON.parse(text)
    } catch (e) {
      throw new UsageError(`config ${path} is not JSON: ${(e as Error).message}`)
    }
  }
  const merged = { ...(input as object), ...(overrides.steps !== undefined ? { steps: overrides.steps } : {}), ...(overrides.model !== undefined ? { model: overrides.model } : {}) }
  const r = decode(ExperimentC, merged, path === undefined ? '$' : `${path}: $`)
  if (E.isLeft(r)) throw new UsageError(`invalid config:\n${r.left.map((l) => `  ${l}`).join('\n')}`)
  return withDefaults(r.right)
}

const program = new Command()
  .name('loss-algebra')
  .description('Objectives of auto-encoding GANs as typed, composable values, compiled into TensorFlow.js training steps.')
  .showHelpAfterError()

program
  .command('train')
  .description('train an experiment (default: α-GAN on the ring of 8 Gaussians)')
  .argument('[config]', 'experiment config (JSON)')
  .option('--backend <name>', 'tfjs backend: tensorflow, native, wasm or cpu (default: the fastest that runs the game)')
  .option('--steps <n>', 'override the number of steps', positive)
  .option('--model <name>', `override the model (${Object.keys(ModelNameC.keys).join(', ')})`)
  .option('--out <dir>', 'where results are written', 'runs')
  .action(async (config: string | undefined, o: { backend?: string; steps?: number; model?: string; out: string }) => {
    const e = await loadExperiment(config, o)
    await run(e, { backend: o.backend, out: o.out, log: (l) => console.log(l) })
  })

program
  .command('show')
  .description("print a model's objectives, one per player")
  .argument('<model>', Object.keys(ModelNameC.keys).join(' | '))
  .option('--latex', 'LaTeX instead of Unicode')
  .action(async (model: string, o: { latex?: boolean }) => {
    const e = await loadExperiment(undefined, { model })
    const game = gameOf(e)
    for (const p of game.players) console.log(`${p.name}: ${(o.latex ? showLatex : showUnicode)(p.loss)}`)
  })

program
  .command('check')
  .description('decode a config and check its game, without training')
  .argument('[config]', 'experiment config (JSON)')
  .action(async (config: string | undefined) => {
    const e = await loadExperiment(config, {})
    const r = check(gameOf(e))
    if (E.isLeft(r)) throw new UsageError(`the game does not check:\n${r.left.map((x) => `  ${describe(x)}`).join('\n')}`)
    console.log(`${config ?? 'the default config'}: ok (${e.model})`)
  })

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`loss-algebra: ${e instanceof Error ? e.message : String(e)}`)
  process.exitCode = 1
})
