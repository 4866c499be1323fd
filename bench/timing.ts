/**
 * Interleaved timing of several sides (steppers of this process, the peer's server): warm them up,
 * then time blocks of steps in rounds, the order reversed every other round (AB, BA, AB, …) so that
 * machine noise and drift hit all of them. A stepper's block ends by reading a loss back, so the time
 * covers finished work on any backend.
 */
import { performance } from 'node:perf_hooks'

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

/** One side of an interleaved timing: untimed warm-up steps, and a timed block's ms per step. */
export interface Side {
  warm(steps: number): Promise<void>
  block(steps: number): Promise<number>
}

const timeBlock = async (s: Stepper, n: number): Promise<number> => {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) s.step()
  await s.read()
  return (performance.now() - t0) / n
}

/** A stepper of this process as a side: each warm-up step read back, each block ended by a read. */
export const stepperSide = (s: Stepper): Side => ({
  warm: async (n) => {
    for (let i = 0; i < n; i++) {
      s.step()
      await s.read()
    }
  },
  block: (n) => timeBlock(s, n)
})

/**
 * Warms every side up (in order), then times them in rounds of one block each, the order reversed
 * every other round (A B C, C B A, …) so that noise and drift hit all of them; ms per step of each
 * block, per side.
 */
export const interleaveSides = async (
  sides: ReadonlyArray<Side>,
  p: Plan
): Promise<{ rounds: Array<Array<number>>; stepsPerRound: number }> => {
  const warm = p.cycle * Math.max(1, Math.ceil(p.warmup / p.cycle))
  for (const s of sides) await s.warm(warm)
  const { rounds, stepsPerRound } = blocks(p)
  const times = sides.map((): Array<number> => [])
  const order = sides.map((_, i) => i)
  for (let r = 0; r < rounds; r++)
    for (const i of r % 2 === 0 ? order : [...order].reverse()) times[i].push(await sides[i].block(stepsPerRound))
  return { rounds: times, stepsPerRound }
}
