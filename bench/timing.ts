/**
 * Interleaved timing of two steppers in one process: warm both up, then time blocks of steps in
 * rounds, alternating which side goes first (AB, BA, AB, …) so that machine noise and drift hit both.
 * Each block ends by reading a loss back, so the time covers finished work on any backend.
 */
import { performance } from 'node:perf_hooks'

import { median } from './stats.ts'
import type { Stepper } from './setup.ts'

export interface Plan {
  /** Untimed steps per side first (rounded up to whole cycles). */
  readonly warmup: number
  /** Timed steps per side, at least; split into rounds of whole cycles. */
  readonly steps: number
  /** Rounds at most. */
  readonly rounds: number
  /** Steps after which every player has stepped (5 for WGAN-GP). */
  readonly cycle: number
}

export interface Blocks {
  readonly rounds: number
  readonly stepsPerRound: number
}

/** How the timed steps are split: whole cycles per round, as many rounds as asked and possible. */
export const blocks = (p: Plan): Blocks => {
  const cycles = Math.max(1, Math.ceil(p.steps / p.cycle))
  const rounds = Math.max(1, Math.min(p.rounds, cycles))
  return { rounds, stepsPerRound: p.cycle * Math.ceil(cycles / rounds) }
}

export interface Timing {
  /** ms per step of each round, per side. */
  readonly a: ReadonlyArray<number>
  readonly b: ReadonlyArray<number>
  readonly medianA: number
  readonly medianB: number
  readonly stepsPerRound: number
}

const timeBlock = async (s: Stepper, n: number): Promise<number> => {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) s.step()
  await s.read()
  return (performance.now() - t0) / n
}

/** Warms both up (in the same alternating order), then times them in alternating rounds. */
export const interleave = async (a: Stepper, b: Stepper, p: Plan): Promise<Timing> => {
  const warm = p.cycle * Math.max(1, Math.ceil(p.warmup / p.cycle))
  for (let i = 0; i < warm; i++) {
    a.step()
    await a.read()
    b.step()
    await b.read()
  }
  const { rounds, stepsPerRound } = blocks(p)
  const ta: Array<number> = []
  const tb: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      ta.push(await timeBlock(a, stepsPerRound))
      tb.push(await timeBlock(b, stepsPerRound))
    } else {
      tb.push(await timeBlock(b, stepsPerRound))
      ta.push(await timeBlock(a, stepsPerRound))
    }
  }
  return { a: ta, b: tb, medianA: median(ta), medianB: median(tb), stepsPerRound }
}
