/**
 * A rough upper estimate of the memory a run needs, from the config alone, so that sizes the machine
 * cannot hold are refused before anything is allocated.
 * @since 0.1.0
 */
import type { Expr } from '../core/Expr.ts'
import { size } from '../core/Game.ts'
import { archs, resolveIo } from './nets.ts'
import { dataShape, gameOf } from './game.ts'
import type { Experiment } from './types.ts'

const FLOAT = 4

/** Apply nodes in a JSON term (any depth). */
const applies = (u: unknown): number => {
  if (Array.isArray(u)) return u.reduce((n: number, x) => n + applies(x), 0)
  if (typeof u !== 'object' || u === null) return 0
  const own = (u as Expr)._tag === 'Apply' ? 1 : 0
  return own + Object.values(u).reduce((n: number, x) => n + applies(x), 0)
}

export interface MemoryEstimate {
  readonly bytes: number
  /** What the estimate is made of, in bytes. */
  readonly parts: Readonly<Record<string, number>>
}

/**
 * Weights with their gradients and two optimiser moments; every net application's activations kept
 * for the backward pass (×3: forward, its gradient, and a second-order pass for penalties); the data
 * batch, the prior draw, and the evaluation samples.
 */
export const estimateMemory = (e: Experiment): MemoryEstimate => {
  const d = dataShape(e)
  const game = gameOf(e)
  let params = 0
  let widest = 0
  for (const n of Object.values(e.nets)) {
    const input = resolveIo(n.input, d, e.latent)
    const output = resolveIo(n.output, d, e.latent)
    params += archs[n.arch].parameters(n, input, output)
    widest = Math.max(widest, archs[n.arch].activations(n, input, output))
  }
  const nodes = game.players.reduce((k, p) => k + Math.max(1, applies(p.loss)), 0)
  const batch = e.train.batch
  const parts = {
    weights: 4 * params * FLOAT,
    activations: 3 * nodes * batch * widest * FLOAT,
    batch: batch * (size(d) + e.latent) * FLOAT,
    samples: e.evaluation.samples * (size(d) + e.latent + widest) * FLOAT
  }
  return { bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts }
}

/** Bytes as a short human string. */
export const showBytes = (b: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']
  let i = 0
  let x = b
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024
    i++
  }
  return `${x.toFixed(x < 10 ? 1 : 0)} ${units[i]}`
}
