/**
 * The experiment runner for the 2-D mixtures: picks the backend, builds nets and the model's game,
 * trains with a divergence check at every log, and measures mode coverage.
 * @since 0.1.0
 */
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import * as tf from '@tensorflow/tfjs'

import type { Experiment } from '../codec/experiment.ts'
import { chooseBackend } from '../compile/backend.ts'
import type { BackendChoice } from '../compile/backend.ts'
import type { Binding } from '../compile/Net.ts'
import { compileGame, readValues } from '../compile/step.ts'
import { adam, sig } from '../core/Game.ts'
import type { Game, Signature } from '../core/Game.ts'
import { showUnicode } from '../core/Show.ts'
import type { Mixture } from '../data/toy.ts'
import { grid, ring, rng, sampleMixture } from '../data/toy.ts'
import { modeReport } from '../metrics/modes.ts'
import type { ModeReport } from '../metrics/modes.ts'
import { models } from '../models/index.ts'
import { disposeAll, mlp } from '../nets/index.ts'

export interface RunResult {
  readonly experiment: Experiment
  readonly backend: BackendChoice
  readonly msPerStep: number
  readonly losses: Record<string, number>
  readonly modes: ModeReport
}

export const mixtureOf = (e: Experiment): Mixture =>
  e.data.kind === 'ring' ? ring(e.data.modes, e.data.radius, e.data.sd) : grid(e.data.side, e.data.spacing, e.data.sd)

const encoderOut = (e: Experiment): number => (e.model === 'vae' || e.model === 'vaeGan' ? 2 * e.latent : e.latent)

/** The toy nets' signatures: what a game needs to be built and checked, without any tensor. */
export const toySignatures = (e: Experiment): Record<string, Signature> => ({
  E: sig([2], [encoderOut(e)]),
  G: sig([e.latent], [2]),
  D: sig([2], [1]),
  C: sig([e.latent], [1]),
  J: sig([2 + e.latent], [1])
})

/** The toy nets: MLPs with two hidden layers; E has 2·latent outputs for Gaussian encoders. */
export const toyNets = (e: Experiment): Binding => {
  const h = e.hidden
  const z = e.latent
  return {
    E: mlp([2, h, h, encoderOut(e)], { hidden: 'leakyRelu', seed: e.seed * 10 + 1, name: 'E' }),
    G: mlp([z, h, h, 2], { hidden: 'relu', seed: e.seed * 10 + 2, name: 'G' }),
    D: mlp([2, h, h, 1], { hidden: 'leakyRelu', seed: e.seed * 10 + 3, name: 'D' }),
    C: mlp([z, h, h, 1], { hidden: 'leakyRelu', seed: e.seed * 10 + 4, name: 'C' }),
    J: mlp([2 + z, h, h, 1], { hidden: 'leakyRelu', seed: e.seed * 10 + 5, name: 'J' })
  }
}

/** The experiment's model as a game over the toy nets. */
export const gameOf = (e: Experiment): Game => {
  const spec = { data: [2], prior: [e.latent], nets: toySignatures(e), optimizer: adam(e.learningRate, 0.5, 0.999) }
  const m = e.model
  return m === 'alphaGan' || m === 'aae' ? models[m](spec, { lambda: e.lambda }) : models[m](spec)
}

/** Writes a file whole or not at all. */
const writeAtomic = async (path: string, text: string): Promise<void> => {
  await writeFile(`${path}.tmp`, text)
  await rename(`${path}.tmp`, path)
}

export const run = async (e: Experiment, o: { readonly backend?: string; readonly out?: string; readonly log: (line: string) => void }): Promise<RunResult> => {
  const mixture = mixtureOf(e)
  const backend = await chooseBackend({
    requested: o.backend,
    probe: () => {
      const nets = toyNets({ ...e, hidden: 4 })
      const compiled = compileGame(gameOf(e), nets)
      const x = tf.tensor2d(sampleMixture(mixture, 4, rng(1)), [4, 2])
      compiled.step(x)
      compiled.dispose()
      x.dispose()
      disposeAll(nets)
    }
  })
  o.log(`backend: ${backend.reason}`)
  const game = gameOf(e)
  const nets = toyNets(e)
  o.log(`${e.model} on the ${mixture.name}, ${e.steps} steps of ${e.batch}`)
  for (const p of game.players) o.log(`  ${p.name} [${p.nets.join(', ')}] minimises ${showUnicode(p.loss)}${p.every > 1 ? ` every ${p.every} steps` : ''}`)
  const compiled = compileGame(game, nets, { seed: e.seed })
  const u = rng(e.seed)
  let losses: Record<string, number> = {}
  const t0 = performance.now()
  try {
    for (let i = 0; i < e.steps; i++) {
      const x = tf.tensor2d(sampleMixture(mixture, e.batch, u), [e.batch, 2])
      const report = compiled.step(x)
      x.dispose()
      if ((i + 1) % e.logEvery === 0 || i === e.steps - 1) {
        losses = await readValues(report)
        o.log(`step ${String(i + 1).padStart(6)}  ${Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`)
      }
    }
  } finally {
    compiled.dispose()
  }
  const msPerStep = (performance.now() - t0) / e.steps
  const points = tf.tidy(() => nets.G.apply(tf.randomNormal([e.samples, e.latent], 0, 1, 'float32', e.seed + 1)))
  const modes = modeReport(mixture, (await points.data()) as Float32Array)
  points.dispose()
  disposeAll(nets)
  o.log(`modes captured ${modes.captured}/${modes.modes}, high quality ${(100 * modes.highQuality).toFixed(1)}%, KL to uniform ${modes.klToUniform.toFixed(3)}, ${msPerStep.toFixed(2)} ms/step`)
  const result: RunResult = { experiment: e, backend, msPerStep, losses, modes }
  if (o.out !== undefined) {
    const dir = join(o.out, e.name)
    await mkdir(dir, { recursive: true })
    await writeAtomic(join(dir, 'result.json'), JSON.stringify(result, null, 2) + '\n')
    o.log(`wrote ${join(dir, 'result.json')}`)
  }
  return result
}
