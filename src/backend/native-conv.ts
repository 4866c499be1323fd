/**
 * Fused conv layers on the `native` backend: y = act(conv(x, W) + b), the 4×4 stride-2 `same`
 * convolution of src/nets/layers.ts, as one tfjs kernel (`LaConv`: the backend's FusedConv2D, oneDNN
 * with the bias and the activation as post-ops), and its backward pass as at most three kernels: the
 * dense layers' `LaDenseGrad` on the output seen as [N·H·W, C] rows (dz = dy ⊙ act′ and db = Σ dz in
 * one loop), then Conv2DBackpropInput for dx and Conv2DBackpropFilter for dW, only where the tape asks.
 * Unfused, the bias add and the activation are two more passes forward over the layer's output, and
 * their gradients (Greater, Select, Multiply, a broadcast Sum) four more backward.
 *
 * Second-order gradients stay exact as in ./native-dense.ts: a backward pass that is itself on a tape
 * is written in differentiable ops of the saved x, W and b. `convForward` is the entry point: fused
 * when dense layers are (`denseFused()`, LOSS_ALGEBRA_NATIVE_FUSED) and the activation is one oneDNN
 * fuses (linear, relu, leakyRelu), else the plain ops every backend runs.
 */
import * as tf from '@tensorflow/tfjs'

import type { DenseActivation } from './native-dense.ts'
import { ACT_CODE, ACT_NAME, denseFused, dzPlain, LA_DENSE_GRAD, plainActivation, tapeOn } from './native-dense.ts'
import type { Kernel } from './native-util.ts'

export const LA_CONV = 'LaConv'

/** tfjs's names of the activations FusedConv2D applies, by the dense layers' codes. */
const FUSED_NAME: Readonly<Record<number, string | undefined>> = {
  [ACT_CODE.linear]: 'linear',
  [ACT_CODE.relu]: 'relu',
  [ACT_CODE.leakyRelu]: 'leakyrelu'
}

const DEFAULT_ALPHA = 0.2
const CONV_ATTRS = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined }

/** act(conv(x, W) + b) with plain tfjs ops: what every backend computes, and what the fused kernel must equal. */
export const convPlain = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  act: DenseActivation,
  alpha = DEFAULT_ALPHA
): tf.Tensor4D => plainActivation(tf.add(tf.conv2d(x, w, 2, 'same'), b), act, alpha) as tf.Tensor4D

/** y = act(conv(x, W) + b) on NHWC x and HWIO W, stride 2, `same`: one kernel on `native`, plain ops elsewhere. */
export function convForward(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  act: DenseActivation,
  alpha = DEFAULT_ALPHA
): tf.Tensor4D {
  if (
    !denseFused() ||
    tf.getKernel(LA_CONV, 'native') === undefined ||
    FUSED_NAME[ACT_CODE[act]] === undefined ||
    x.dtype !== 'float32' ||
    w.dtype !== 'float32' ||
    b.dtype !== 'float32'
  )
    return convPlain(x, w, b, act, alpha)
  return tf
    .engine()
    .runKernel(
      LA_CONV,
      { x, w, b } as unknown as tf.NamedTensorMap,
      { activation: ACT_CODE[act], alpha } as unknown as tf.NamedAttrMap
    ) as tf.Tensor4D
}

/** The kernel: the backend's own FusedConv2D (oneDNN, with its cpu fallback) with the layer's attributes. */
const forwardKernel: Kernel = ({ inputs, backend, attrs }) => {
  const fused = tf.getKernel(tf.FusedConv2D, 'native')
  if (fused === undefined) throw new Error(`${LA_CONV}: the native backend has no FusedConv2D kernel`)
  const act = attrs.activation as number
  return fused.kernelFunc({
    inputs: { x: inputs.x, filter: inputs.w, bias: inputs.b },
    backend: backend as unknown as tf.KernelBackend,
    attrs: { ...CONV_ATTRS, activation: FUSED_NAME[act] ?? 'linear', leakyreluAlpha: attrs.alpha as number }
  } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
}

const gradient: tf.GradConfig = {
  kernelName: LA_CONV,
  inputsToSave: ['x', 'w', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, b, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor4D]
    const g = dy as tf.Tensor4D
    const act = attrs.activation as number
    const alpha = attrs.alpha as number
    let dz: tf.Tensor4D
    let db: tf.Tensor
    if (tapeOn()) {
      const again = act === ACT_CODE.linear ? undefined : convForward(x, w, b, ACT_NAME[act], alpha)
      dz = dzPlain(g, again, act, alpha) as tf.Tensor4D
      db = tf.sum(dz, [0, 1, 2])
    } else {
      const c = y.shape[3]
      const rows = (t: tf.Tensor): tf.Tensor2D => tf.reshape(t, [-1, c])
      const [dz2, db2] = tf
        .engine()
        .runKernel(
          LA_DENSE_GRAD,
          (act === ACT_CODE.linear ? { dy: rows(g) } : { dy: rows(g), y: rows(y) }) as unknown as tf.NamedTensorMap,
          attrs
        ) as Array<tf.Tensor>
      dz = tf.reshape(dz2, y.shape)
      db = db2
    }
    return {
      x: () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropInput,
            { dy: dz, filter: w } as unknown as tf.NamedTensorMap,
            { ...CONV_ATTRS, inputShape: x.shape } as unknown as tf.NamedAttrMap
          ) as tf.Tensor,
      w: () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x, dy: dz } as unknown as tf.NamedTensorMap,
            { ...CONV_ATTRS, filterShape: w.shape } as unknown as tf.NamedAttrMap
          ) as tf.Tensor,
      b: () => db
    }
  }
}

/** The `native` kernel and gradient of fused conv layers (registered by ./native.ts, after the dense ones). */
export function registerConvKernels(): void {
  if (process.env.LOSS_ALGEBRA_NATIVE_FUSED === '0') return
  if (tf.getKernel(LA_CONV, 'native') === undefined)
    tf.registerKernel({
      kernelName: LA_CONV,
      backendName: 'native',
      kernelFunc: forwardKernel as unknown as tf.KernelFunc
    })
  if (tf.getGradient(LA_CONV) === undefined) tf.registerGradient(gradient)
}
