/**
 * What batched net applications (src/compile/batching.ts) may and may not change, as laws over a few
 * training steps from fixed weights:
 *
 * - **invisible**: with batching on and off, every reported value and every variable after the steps
 *   agree (to float32 rounding: a stacked product sums in another order);
 * - **row-wise only**: a net that is not `rowwise` is never given more rows than one input has.
 *
 * The worlds are built twice from the same seeds, so both sides start from the same weights.
 */
import * as tf from '@tensorflow/tfjs'

import type { Binding, Net } from '../src/compile/Net.ts'
import { compileGame, readValues } from '../src/compile/step.ts'
import type { Game } from '../src/core/Game.ts'
import type { Tolerance } from './compile.ts'
import { close, float32 } from './compile.ts'

/** A world: its nets, one data batch, and what frees them. */
export interface World {
  readonly nets: Binding
  readonly data: tf.Tensor
  dispose(): void
}

export interface Trace {
  /** Every reported value after the last step, by key. */
  readonly values: Record<string, number>
  /** Every variable after the steps, by net and index. */
  readonly vars: ReadonlyMap<string, Float32Array>
}

/** Runs `steps` steps of `game` on a fresh world, with batching on or off. */
export const trace = async (fresh: () => World, game: Game, batchApplications: boolean, steps = 2): Promise<Trace> => {
  const w = fresh()
  try {
    const compiled = compileGame(game, w.nets, { seed: 7, batchApplications })
    try {
      let values: Record<string, number> = {}
      for (let i = 0; i < steps; i++) values = await readValues(compiled.step(w.data))
      const vars = new Map(
        Object.entries(w.nets).flatMap(([name, n]) =>
          n.variables.map((v, i): [string, Float32Array] => [`${name}:${i}`, v.dataSync() as Float32Array])
        )
      )
      return { values, vars }
    } finally {
      compiled.dispose()
    }
  } finally {
    w.dispose()
  }
}

/** Law 1: batching changes no value and no variable beyond `tol`. */
export const batchingInvisible = async (fresh: () => World, game: Game, tol: Tolerance = float32): Promise<boolean> => {
  const on = await trace(fresh, game, true)
  const off = await trace(fresh, game, false)
  const keys = Object.keys(off.values)
  return (
    keys.length === Object.keys(on.values).length &&
    keys.every((k) => on.values[k] !== undefined && close(on.values[k], off.values[k], tol)) &&
    [...off.vars].every(([k, b]) => {
      const a = on.vars.get(k)
      return a !== undefined && a.length === b.length && a.every((x, i) => close(x, b[i], tol))
    })
  )
}

/** A net that records the number of rows of every input it is applied to. */
export const counting = (net: Net, rows: Array<number>, rowwise = net.rowwise, rowFloats?: number): Net => ({
  signature: net.signature,
  variables: net.variables,
  rowwise,
  get rowFloats() {
    return rowFloats ?? net.rowFloats
  },
  apply: (x) => {
    rows.push(x.shape[0])
    return net.apply(x)
  },
  dispose: () => net.dispose()
})
