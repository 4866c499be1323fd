/**
 * Small layers as plain variables and functions: the nets own their variables explicitly, so the
 * compiler can hand each player its exact var list.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import { convForward } from '../backend/native-conv.ts'
import { denseForward } from '../backend/native-dense.ts'

export type Activation = 'linear' | 'relu' | 'leakyRelu' | 'tanh'

let counter = 0
/** A fresh, unique variable name (tfjs registers variables globally by name). */
const fresh = (prefix: string): string => `${prefix}_${counter++}`

/** A trainable variable from an initial value (the initial tensor is freed). */
const variable = (init: () => tf.Tensor, name: string): tf.Variable =>
  tf.tidy(() => tf.variable(init(), true, fresh(name)))

/** Glorot-uniform initial weights, seeded. */
const glorot = (shape: ReadonlyArray<number>, fanIn: number, fanOut: number, seed: number): tf.Tensor => {
  const limit = Math.sqrt(6 / (fanIn + fanOut))
  return tf.randomUniform([...shape], -limit, limit, 'float32', seed)
}

export const activate = (x: tf.Tensor, a: Activation): tf.Tensor => {
  switch (a) {
    case 'linear':
      return x
    case 'relu':
      return tf.relu(x)
    case 'leakyRelu':
      return tf.leakyRelu(x, 0.2)
    case 'tanh':
      return tf.tanh(x)
  }
}

export interface Layer {
  readonly variables: ReadonlyArray<tf.Variable>
  apply(x: tf.Tensor): tf.Tensor
}

/**
 * y = act(x·W + b) on `[B, n]`. Plain ops, not tfjs's fused matmul: the fused op saves its output for
 * the backward pass, which breaks second-order gradients (penalties on ∇ₓD). On the `native` backend,
 * one fused kernel whose gradient stays twice differentiable (src/backend/native-dense.ts).
 */
export const dense = (name: string, n: number, m: number, act: Activation, seed: number): Layer => {
  const w = variable(() => glorot([n, m], n, m, seed), `${name}/W`)
  const b = variable(() => tf.zeros([m]), `${name}/b`)
  return {
    variables: [w, b],
    apply: (x) => denseForward(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, act)
  }
}

/** A 4×4, stride-2, `same` convolution (PyTorch's k4 s2 p1 on even sizes), NHWC, then the activation (one fused kernel on `native`). */
export const conv = (name: string, cin: number, cout: number, act: Activation, seed: number): Layer => {
  const w = variable(() => glorot([4, 4, cin, cout], 16 * cin, 16 * cout, seed), `${name}/W`)
  const b = variable(() => tf.zeros([cout]), `${name}/b`)
  return {
    variables: [w, b],
    apply: (x) => convForward(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, act)
  }
}

/** The transposed convolution that undoes `conv`: doubles height and width. */
export const deconv = (name: string, cin: number, cout: number, act: Activation, seed: number): Layer => {
  const w = variable(() => glorot([4, 4, cout, cin], 16 * cin, 16 * cout, seed), `${name}/W`)
  const b = variable(() => tf.zeros([cout]), `${name}/b`)
  return {
    variables: [w, b],
    apply: (x) => {
      const [n, h, wd] = x.shape
      return activate(
        tf.add(tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [n, 2 * h, 2 * wd!, cout], 2, 'same'), b),
        act
      )
    }
  }
}
