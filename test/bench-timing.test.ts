/**
 * bench/timing.ts: every side is warmed up and then timed in rounds of one block each, whole cycles
 * per block, the order reversed every other round, so that drift hits every side alike.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { interleaveSides } from '../bench/timing.ts'
import type { Side } from '../bench/timing.ts'

describe('bench timing', () => {
  it('warms every side, then times one block of each per round, the order reversed every other round', async () => {
    const log: Array<string> = []
    const side = (name: string, ms: number): Side => ({
      warm: async (n) => {
        log.push(`${name} warm ${n}`)
      },
      block: async (n) => {
        log.push(`${name} ${n}`)
        return ms
      }
    })
    const t = await interleaveSides([side('a', 1), side('b', 2), side('p', 3)], {
      warmup: 2,
      steps: 20,
      rounds: 4,
      cycle: 5
    })
    // 20 steps of whole 5-step cycles in 4 rounds: one cycle (5 steps) a block; warm-up rounded up to a cycle
    assert.deepEqual(log, [
      'a warm 5',
      'b warm 5',
      'p warm 5',
      ...['a 5', 'b 5', 'p 5', 'p 5', 'b 5', 'a 5', 'a 5', 'b 5', 'p 5', 'p 5', 'b 5', 'a 5']
    ])
    assert.deepEqual(t.rounds, [
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3]
    ])
    assert.equal(t.stepsPerRound, 5)
  })
})
