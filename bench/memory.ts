/**
 * Leak check over a long run: compiled steps of one model, with `tf.memory()` and the JS heap (after a
 * full garbage collection) recorded at checkpoints. Flat numbers from the first checkpoint on = no leak.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

import * as tf from '@tensorflow/tfjs'

import type { ModelName } from '../src/models/index.ts'
import type { Arch } from '../src/nets/index.ts'
import type { StepSchedule } from '../src/core/Game.ts'
import { makeRow } from './setup.ts'

export interface MemoryPoint {
  readonly step: number
  readonly numTensors: number
  readonly numBytes: number
  readonly heapUsed: number
  readonly rss: number
}

export interface MemoryReport {
  readonly model: ModelName
  readonly arch: Arch
  readonly backend: string
  readonly points: ReadonlyArray<MemoryPoint>
  /** Last checkpoint minus the first. */
  readonly delta: Omit<MemoryPoint, 'step'>
}

let gcFn: (() => void) | null | undefined
/** A full collection, so heapUsed is live data rather than garbage awaiting collection. */
const collect = (): void => {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc')
      gcFn = vm.runInNewContext('gc') as () => void
    } catch {
      gcFn = null
    }
  }
  gcFn?.()
}

/** The checkpoints for a run of `steps`: 10, the middle and the end (as in 10 / 500 / 1000). */
export const checkpoints = (steps: number): Array<number> => [
  ...new Set([Math.min(10, steps), Math.round(steps / 2), steps])
]

export const memoryRun = async (
  model: ModelName,
  arch: Arch,
  backend: string,
  steps: number,
  seed: number,
  onPoint?: (p: MemoryPoint) => void,
  schedule: StepSchedule = 'alternating'
): Promise<MemoryReport> => {
  const row = await makeRow(model, arch, seed, schedule)
  const at = new Set(checkpoints(steps))
  const points: Array<MemoryPoint> = []
  try {
    for (let i = 1; i <= steps; i++) {
      row.compiled.step()
      if (at.has(i)) {
        await row.compiled.read()
        collect()
        const m = tf.memory()
        const p = {
          step: i,
          numTensors: m.numTensors,
          numBytes: m.numBytes,
          heapUsed: process.memoryUsage().heapUsed,
          rss: process.memoryUsage().rss
        }
        points.push(p)
        onPoint?.(p)
      }
    }
  } finally {
    row.dispose()
  }
  const first = points[0]
  const last = points[points.length - 1]
  return {
    model,
    arch,
    backend,
    points,
    delta: {
      numTensors: last.numTensors - first.numTensors,
      numBytes: last.numBytes - first.numBytes,
      heapUsed: last.heapUsed - first.heapUsed,
      rss: last.rss - first.rss
    }
  }
}
