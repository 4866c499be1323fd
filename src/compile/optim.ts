/**
 * Optimisers for compiled games: Adam as one fused pass per variable when the caller supplies an
 * in-place kernel that accepts the variable (`StepKernels.adam`, e.g. the backend's, from
 * `chooseBackend`), the same update with tensor ops otherwise; SGD through tfjs.
 * Slots (moments) live in variables the optimiser owns and frees with `dispose`.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Optimizer } from '../core/Game.ts'

/** Adam's step with the bias corrections folded in: w −= rate·m/(√v + epsilon), m and v updated first. */
export interface AdamCoefficients {
  readonly beta1: number
  readonly beta2: number
  /** lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) */
  readonly rate: number
  /** ε·√(1 − β₂ᵗ) */
  readonly epsilon: number
}

/** Updates w, m and v in place from g; false (nothing changed) where it cannot. */
export type AdamKernel = (w: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, c: AdamCoefficients) => boolean

/** The in-place kernels a compiled step may use (none: tensor ops throughout). */
export interface StepKernels {
  readonly adam?: AdamKernel
}

export interface Updater {
  /** Applies gradients (one per variable, in the order of `vars`; null: no gradient, no change). */
  apply(grads: ReadonlyArray<tf.Tensor | null>): void
  /** For checkpoints: how many updates it has applied (read and set), and its slot variables (Adam: every m, then every v). */
  steps: number
  readonly slots: ReadonlyArray<tf.Variable>
  dispose(): void
}

const EPSILON = 1e-7 // tfjs's Adam default (backend epsilon for float32)

export const adamUpdater = (
  vars: ReadonlyArray<tf.Variable>,
  learningRate: number,
  beta1: number,
  beta2: number,
  inPlace: AdamKernel = () => false
): Updater => {
  const m = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)))
  const v = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)))
  let t = 0
  return {
    apply: (grads) => {
      t++
      const correction2 = Math.sqrt(1 - beta2 ** t)
      const c = { beta1, beta2, rate: (learningRate * correction2) / (1 - beta1 ** t), epsilon: EPSILON * correction2 }
      vars.forEach((w, i) => {
        const g = grads[i]
        if (g == null || inPlace(w, g, m[i], v[i], c)) return
        tf.tidy(() => {
          const mi = tf.add(tf.mul(m[i], beta1), tf.mul(g, 1 - beta1))
          const vi = tf.add(tf.mul(v[i], beta2), tf.mul(tf.square(g), 1 - beta2))
          m[i].assign(mi)
          v[i].assign(vi)
          w.assign(tf.sub(w, tf.div(tf.mul(mi, c.rate), tf.add(tf.sqrt(vi), c.epsilon))))
        })
      })
    },
    get steps() {
      return t
    },
    set steps(n: number) {
      t = n
    },
    slots: [...m, ...v],
    dispose: () => tf.dispose([...m, ...v])
  }
}

const sgdUpdater = (vars: ReadonlyArray<tf.Variable>, learningRate: number): Updater => {
  const opt = tf.train.sgd(learningRate)
  return {
    apply: (grads) => {
      const named: tf.NamedTensorMap = {}
      vars.forEach((w, i) => {
        const g = grads[i]
        if (g != null) named[w.name] = g
      })
      opt.applyGradients(named)
    },
    // plain SGD keeps no state
    steps: 0,
    slots: [],
    dispose: () => opt.dispose()
  }
}

export const updater = (o: Optimizer, vars: ReadonlyArray<tf.Variable>, kernels: StepKernels = {}): Updater =>
  o._tag === 'Adam'
    ? adamUpdater(vars, o.learningRate, o.beta1, o.beta2, kernels.adam)
    : sgdUpdater(vars, o.learningRate)
