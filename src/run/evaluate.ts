/**
 * Samples and metrics of a session: the generator's draws from a fixed prior seed, the encoder's codes
 * of fresh data (2-D), the data set's metrics, and the files a run folder keeps of them.
 * @since 0.1.0
 */
import { join } from 'node:path'

import * as tf from '@tensorflow/tfjs'

import type { Net } from '../compile/Net.ts'
import { shapeEquals } from '../core/Game.ts'
import { dataShape } from '../experiment/game.ts'
import { appendJsonLine, writeAtomic, writeJson } from './files.ts'
import { seededRng } from './rng.ts'
import type { Session } from './session.ts'
import { batchOf } from './session.ts'

/** The net that maps prior draws to data: `G` if it does, else the first that does. */
export const generatorOf = (s: Session): Net | undefined => {
  const fits = (n: Net) => shapeEquals(n.signature.input, s.game.prior) && shapeEquals(n.signature.output, s.game.data)
  const G = s.nets.G
  return G !== undefined && fits(G) ? G : Object.values(s.nets).find(fits)
}

/** The net that maps data to codes (the mean, for a Gaussian encoder with 2·latent outputs). */
const encoderOf = (s: Session): Net | undefined => {
  const E = s.nets.E
  return E !== undefined && shapeEquals(E.signature.input, s.game.data) ? E : undefined
}

export interface Samples {
  /** Flat `n × size(data)`. */
  readonly points: Float32Array
  /** Flat `n × latent`, the encoder's codes of `n` fresh data examples, where there is an encoder. */
  readonly codes?: Float32Array
  /** The data examples the codes are of, flat. */
  readonly data?: Float32Array
}

/** `n` samples from the prior draw seeded by `seed` (and codes of `n` data examples drawn from `seed`). */
export const drawSamples = async (s: Session, n: number, seed: number): Promise<Samples> => {
  const G = generatorOf(s)
  if (G === undefined) throw new Error('the game has no net from the prior to the data to sample with')
  const z = s.experiment.latent
  const out = tf.tidy(() => G.apply(tf.randomNormal([n, ...s.game.prior], 0, 1, 'float32', seed)))
  const points = (await out.data()) as Float32Array
  out.dispose()
  const E = encoderOf(s)
  if (E === undefined) return { points }
  const x = batchOf(s.experiment, s.source, n, seededRng(seed ^ 0x5bd1e995))
  const c = tf.tidy(() => {
    const e = E.apply(x)
    return e.shape[e.shape.length - 1] === 2 * z ? tf.slice(e, [0, 0], [n, z]) : e
  })
  const codes = (await c.data()) as Float32Array
  const data = (await x.data()) as Float32Array
  tf.dispose([c, x])
  return { points, codes, data }
}

const pairs = (a: Float32Array, k: number): Array<Array<number>> =>
  Array.from({ length: a.length / k }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k), (v) => +v.toPrecision(6)))

/** The evaluation seed: the same prior draw at every evaluation, apart from training's. */
export const evalSeed = (s: Session): number => s.experiment.seed * 7919 + 17

/**
 * One evaluation at the session's step: writes `samples/step-N.json` (2-D data) or PNG grids
 * (images), appends to `metrics.jsonl`, and returns the metrics.
 */
export const evaluateInto = async (s: Session, dir: string | undefined): Promise<Record<string, unknown>> => {
  const e = s.experiment
  if (generatorOf(s) === undefined) {
    // nothing maps the prior to the data: no samples to measure
    const metrics = { step: s.step }
    if (dir !== undefined) await appendJsonLine(join(dir, 'metrics.jsonl'), metrics)
    return metrics
  }
  const samples = await drawSamples(s, e.evaluation.samples, evalSeed(s))
  const metrics = {
    step: s.step,
    ...s.source.metrics(samples.points, e.evaluation.metrics),
    ...(await s.source.evaluate?.(s.nets, e.latent, e.evaluation.metrics))
  }
  if (dir === undefined) return metrics
  const tag = `step-${String(s.step).padStart(6, '0')}`
  const shape = dataShape(e)
  if (shape.length === 1 && shape[0] === 2 && s.source.modes !== undefined) {
    await writeJson(join(dir, 'samples', `${tag}.json`), {
      points: pairs(samples.points, 2),
      ...(samples.codes !== undefined ? { codes: pairs(samples.codes, e.latent) } : {}),
      modes: s.source.modes,
      sd: s.source.sd
    })
  } else if (shape.length === 3) {
    const { imageGridPng } = await import('../report/grid.ts')
    const [lo, hi] = s.source.range ?? [0, 1]
    const scaled = (a: Float32Array, n: number) =>
      Array.from(a.subarray(0, n * shape[0] * shape[1] * shape[2]), (v) => (v - lo) / (hi - lo))
    const images = { shape: [shape[0], shape[1], shape[2]] as const }
    await writeAtomic(
      join(dir, 'samples', `${tag}-samples.png`),
      imageGridPng({ ...images, pixels: scaled(samples.points, 64) })
    )
  }
  await appendJsonLine(join(dir, 'metrics.jsonl'), metrics)
  return metrics
}
