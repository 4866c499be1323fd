/**
 * Run folders for the report tests, made with the real modules: a small game trained for a few
 * steps on the cpu backend, its losses logged, samples and codes written at each evaluation, the
 * mode metrics measured. Structurally what a run writes; numerically whatever the few steps give.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import * as tf from '@tensorflow/tfjs'
import * as E from 'fp-ts/Either'

import { decodeExperiment } from '../src/codec/experiment.ts'

import { compileGame, readValues } from '../src/compile/step.ts'
import { adam, sig } from '../src/core/Game.ts'
import type { Game } from '../src/core/Game.ts'
import * as codec from '../src/codec/index.ts'
import { ring, rng, sampleMixture } from '../src/data/toy.ts'
import { modeReport } from '../src/metrics/modes.ts'
import { alphaGan, gan } from '../src/models/index.ts'
import { disposeAll, mlp } from '../src/nets/index.ts'

export interface FixtureOptions {
  readonly model: 'alphaGan' | 'gan'
  readonly steps: number
  readonly logEvery: number
  readonly evalEvery: number
  readonly hidden?: number
  readonly batch?: number
  readonly samples?: number
  /** Write the game as JSON terms in config.json (as a `game` config does) instead of a model name. */
  readonly asGame?: boolean
  readonly learningRate?: number
}

export const fixtureGame = (model: FixtureOptions['model'], learningRate = 1e-3): Game => {
  const spec = {
    data: [2],
    prior: [2],
    nets: { E: sig([2], [2]), G: sig([2], [2]), D: sig([2], [1]), C: sig([2], [1]) },
    optimizer: adam(learningRate, 0.5, 0.999)
  }
  const g = model === 'alphaGan' ? alphaGan(spec) : gan(spec)
  return {
    ...g,
    nets: Object.fromEntries(
      Object.entries(g.nets).filter(([n]) => g.players.some((p) => JSON.stringify(p).includes(`"${n}"`)))
    )
  }
}

/** Trains a tiny game and writes its run folder under `dir`; returns the folder. */
export const makeRun = async (dir: string, o: FixtureOptions): Promise<string> => {
  await tf.setBackend('cpu')
  const h = o.hidden ?? 16
  const batch = o.batch ?? 64
  const mixture = ring(8, 2, 0.05)
  const game = fixtureGame(o.model, o.learningRate)
  const all = {
    E: mlp([2, h, h, 2], { hidden: 'leakyRelu', seed: 11, name: 'E' }),
    G: mlp([2, h, h, 2], { hidden: 'relu', seed: 12, name: 'G' }),
    D: mlp([2, h, h, 1], { hidden: 'leakyRelu', seed: 13, name: 'D' }),
    C: mlp([2, h, h, 1], { hidden: 'leakyRelu', seed: 14, name: 'C' })
  }
  const nets = Object.fromEntries(Object.entries(all).filter(([n]) => n in game.nets))
  for (const [n, net] of Object.entries(all)) if (!(n in nets)) net.dispose()
  const name = `${o.model}-ring`
  const out = join(dir, name)
  await mkdir(join(out, 'samples'), { recursive: true })
  // the normalised config, as a run writes it (the nets declared with the widths trained here)
  const io: Record<string, { input: string | number; output: string | number; activation: string }> = {
    E: { input: 'data', output: 'latent', activation: 'leakyRelu' },
    G: { input: 'latent', output: 'data', activation: 'relu' },
    D: { input: 'data', output: 1, activation: 'leakyRelu' },
    C: { input: 'latent', output: 1, activation: 'leakyRelu' }
  }
  const decoded = decodeExperiment({
    name,
    seed: 1,
    backend: 'cpu',
    ...(o.asGame ? { game: { players: game.players.map((p) => codec.encode(codec.PlayerC, p)) } } : { model: o.model }),
    nets: Object.fromEntries(Object.keys(nets).map((n) => [n, { arch: 'mlp', hidden: [h, h], ...io[n] }])),
    train: { steps: o.steps, batch, logEvery: o.logEvery, evalEvery: o.evalEvery, checkpointEvery: o.steps },
    evaluation: { samples: o.samples ?? 500, metrics: ['modes'] }
  })
  if (E.isLeft(decoded)) throw new Error(`fixture config:\n${decoded.left.join('\n')}`)
  const config = decoded.right
  await writeFile(join(out, 'config.json'), JSON.stringify(config, null, 2))
  const compiled = compileGame(game, nets, { seed: 1 })
  const u = rng(1)
  const losses: Array<string> = []
  const metrics: Array<string> = []
  let final: Record<string, unknown> = {}
  let t = performance.now()
  try {
    for (let i = 1; i <= o.steps; i++) {
      const x = tf.tensor2d(sampleMixture(mixture, batch, u), [batch, 2])
      const report = compiled.step(x)
      x.dispose()
      if (i % o.logEvery === 0) {
        const values = await readValues(report)
        const now = performance.now()
        losses.push(JSON.stringify({ step: i, values, ms: (now - t) / o.logEvery }))
        t = now
      }
      if (i % o.evalEvery === 0) {
        const n = o.samples ?? 500
        const z = tf.randomNormal([n, 2], 0, 1, 'float32', i)
        const pts = tf.tidy(() => nets.G.apply(z))
        const data = tf.tensor2d(sampleMixture(mixture, n, rng(i)), [n, 2])
        const codes = 'E' in nets ? tf.tidy(() => nets.E.apply(data)) : undefined
        const p = (await pts.data()) as Float32Array
        const pairs = (a: Float32Array) => Array.from({ length: a.length / 2 }, (_, k) => [a[2 * k], a[2 * k + 1]])
        const sample = {
          points: pairs(p),
          ...(codes ? { codes: pairs((await codes.data()) as Float32Array) } : {}),
          modes: mixture.means,
          sd: mixture.sd
        }
        tf.dispose([z, pts, data, ...(codes ? [codes] : [])])
        await writeFile(join(out, 'samples', `step-${String(i).padStart(6, '0')}.json`), JSON.stringify(sample))
        const m = modeReport(mixture, p)
        final = {
          step: i,
          modes: m.captured,
          totalModes: m.modes,
          highQuality: m.highQuality,
          klToUniform: m.klToUniform
        }
        metrics.push(JSON.stringify(final))
      }
    }
  } finally {
    compiled.dispose()
    disposeAll(nets)
  }
  await writeFile(join(out, 'losses.jsonl'), losses.join('\n') + '\n')
  await writeFile(join(out, 'metrics.jsonl'), metrics.join('\n') + '\n')
  await writeFile(join(out, 'metrics.json'), JSON.stringify(final, null, 2))
  await writeFile(join(out, 'status.json'), JSON.stringify({ state: 'done', step: o.steps }))
  return out
}
