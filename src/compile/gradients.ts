/**
 * Gradient pieces tfjs-core lacks: `stopGradient`, and zero gradients for comparison kernels so that
 * penalties on ∇ₓD (WGAN-GP, R1) can be differentiated again (docs/ARCHITECTURE.md §4).
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

/** Comparison and step kernels: piecewise constant, so their gradient is zero almost everywhere. */
const PIECEWISE_CONSTANT = [
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'Equal',
  'NotEqual',
  'Sign',
  'Step',
  'Floor',
  'Round'
]

/**
 * tfjs saves the *output* of Tanh, Sigmoid and Exp for their gradients; the clone it saves is put on
 * the tape before the op that made it, so a second differentiation cannot reach it and the path is
 * silently dropped (a gradient penalty on a tanh critic would lose part of its gradient). These
 * gradients recompute the output from the saved input instead, so they differentiate again.
 */
const FROM_INPUT: ReadonlyArray<{ kernelName: string; grad: (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor }> = [
  { kernelName: 'Tanh', grad: (x, dy) => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x)))) },
  {
    kernelName: 'Sigmoid',
    grad: (x, dy) => {
      const s = tf.sigmoid(x)
      return tf.mul(dy, tf.mul(s, tf.sub(1, s)))
    }
  },
  { kernelName: 'Exp', grad: (x, dy) => tf.mul(dy, tf.exp(x)) }
]

let registered = false

/**
 * Registers a zero gradient (each input's own shape) for every piecewise-constant kernel that has
 * none, and the twice-differentiable gradients of Tanh, Sigmoid and Exp. Idempotent.
 */
export const registerSecondOrderGradients = (): void => {
  if (registered) return
  registered = true
  for (const { kernelName, grad } of FROM_INPUT) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy: tf.Tensor | Array<tf.Tensor>, saved: Array<tf.Tensor>) => ({
        x: () => grad(saved[0], dy as tf.Tensor)
      })
    })
  }
  for (const kernelName of PIECEWISE_CONSTANT) {
    if (tf.getGradient(kernelName) !== undefined) continue
    const binary = !['Sign', 'Step', 'Floor', 'Round'].includes(kernelName)
    tf.registerGradient({
      kernelName,
      inputsToSave: binary ? ['a', 'b'] : ['x'],
      gradFunc: (_dy: tf.Tensor | Array<tf.Tensor>, saved: Array<tf.Tensor>): Record<string, () => tf.Tensor> =>
        binary
          ? { a: () => tf.zerosLike(saved[0]), b: () => tf.zerosLike(saved[1]) }
          : { x: () => tf.zerosLike(saved[0]) }
    })
  }
}

/** The value of `x`, with zero gradient. */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy)
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor

/**
 * Runs `f` as if no gradient were being recorded: on a tape of its own, which its own
 * `variableGrads` frees as at the top level, while the enclosing tape (if any) records nothing of
 * it and resumes afterwards. A compiled step runs an earlier player's whole update inside a later
 * player's tape this way (./step.ts): the later player's samples, computed before, stay on its tape,
 * and the earlier player's weights are not held by it (so they can be updated in place).
 */
export const isolatedTape = <T>(f: () => T): T => {
  const state = tf.engine().state
  const { activeTape, gradientDepth } = state
  state.activeTape = []
  state.gradientDepth = 0
  try {
    return f()
  } finally {
    state.activeTape = activeTape
    state.gradientDepth = gradientDepth
  }
}
