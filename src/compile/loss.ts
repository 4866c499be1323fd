/**
 * A term compiled on its own: its value and its gradients with respect to given variables, on a
 * fixed batch and prior draw. Used by the laws, and for inspecting an objective outside a game.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Loss } from '../core/Loss.ts'
import { registerSecondOrderGradients } from './gradients.ts'
import type { Binding } from './Net.ts'
import { evaluate, Evaluation, StepEnv } from './term.ts'

export interface Inputs {
  readonly data: tf.Tensor
  readonly prior: tf.Tensor
  readonly step?: number
  /** Seed of the noise draws: equal seeds give equal draws. */
  readonly seed?: number
}

export interface ValueAndGrads {
  readonly value: number
  /** One array per variable, zeros where the term does not depend on it. */
  readonly grads: ReadonlyArray<Float32Array>
  /** Named values, by label. */
  readonly named: Readonly<Record<string, number>>
}

/** tfjs refuses a gradient when no variable reaches the value at all: that gradient is zero. */
const gradientsOrZero = (
  f: () => tf.Scalar,
  vars: ReadonlyArray<tf.Variable>
): { value: tf.Scalar; grads: Array<tf.Tensor | null> } => {
  if (vars.length === 0) return { value: tf.tidy(f), grads: [] }
  try {
    const r = tf.engine().gradients(f, vars as Array<tf.Variable>, undefined, true)
    return { value: r.value as tf.Scalar, grads: r.grads }
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('Cannot compute gradient of y=f(x)')) throw e
    return { value: tf.tidy(f), grads: vars.map(() => null) }
  }
}

/**
 * Evaluates terms that share one environment (so their noise draws agree), reading everything back.
 * No tensor outlives the call.
 */
export const withInputs = <A>(
  nets: Binding,
  inputs: Inputs,
  f: (run: (t: Loss, vars: ReadonlyArray<tf.Variable>) => ValueAndGrads) => A
): A => {
  registerSecondOrderGradients()
  const env = new StepEnv(nets, inputs.data, inputs.prior, inputs.step ?? 0, inputs.seed ?? 0)
  try {
    return f((term, vars) => {
      for (const v of env.named.values()) v.dispose()
      env.named.clear()
      const f = (): tf.Scalar => evaluate(term, new Evaluation(env, 'loss'))
      const { value, grads } = gradientsOrZero(f, vars)
      const out: ValueAndGrads = {
        value: value.dataSync()[0],
        grads: vars.map((v, i) =>
          grads[i] == null ? new Float32Array(v.size) : (grads[i].dataSync() as Float32Array).slice()
        ),
        named: Object.fromEntries([...env.named.entries()].map(([k, t]) => [k.replace(/^loss\//, ''), t.dataSync()[0]]))
      }
      tf.dispose([value, ...grads.filter((g) => g != null)])
      return out
    })
  } finally {
    for (const v of env.named.values()) v.dispose()
    env.dispose()
  }
}

/** The value and gradients of one term. */
export const valueAndGrads = (
  term: Loss,
  nets: Binding,
  inputs: Inputs,
  vars: ReadonlyArray<tf.Variable>
): ValueAndGrads => withInputs(nets, inputs, (run) => run(term, vars))
