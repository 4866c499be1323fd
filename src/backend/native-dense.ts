/**
 * Fused dense layers on the `native` backend: y = act(x·W + b) as one tfjs kernel (`LaDense`, the
 * addon's matmul with bias and activation), and its backward pass as at most three kernels — one
 * `LaDenseGrad` for dz = dy ⊙ act′ and db = Σ_rows dz in one loop, then a matmul each for dx and dW,
 * only for the inputs the tape asks for. Unfused, the same layer costs ~3 forward and ~8 backward
 * kernel launches (matmul, bias add, activation; their gradients, a broadcast sum and reshapes), and
 * on the reference mlp each launch's bookkeeping costs about as much as its arithmetic.
 *
 * Second-order gradients (gradient penalties, R1: ∇ of an expression of ∇ₓD) stay exact: when the
 * backward pass itself runs on a tape (a gradient inside a gradient), the gradient is written in
 * differentiable tfjs ops of the saved x, W and b, recomputing y from them (tfjs puts a saved output's
 * clone on the tape before the op that made it, so a second differentiation could not reach it;
 * src/compile/gradients.ts), and the outer pass differentiates through those ops and back into
 * `LaDense`. Only the outermost backward pass uses `LaDenseGrad` (which reads the saved y).
 *
 * `denseForward` is the one entry point: the fused kernel when `native` is the active backend and the
 * kernels are registered (not when LOSS_ALGEBRA_NATIVE_FUSED=0), else the plain ops every backend
 * runs.
 */
import * as tf from '@tensorflow/tfjs'

import { Activation, packMatmulParams, UnaryOp } from './native-contract.ts'
import type { DnnlAddon } from './native-dnnl.ts'
import type { Counter, ElementwiseAddon, Kernel } from './native-util.ts'
import { f32, useAddon } from './native-util.ts'

/** The addon calls these kernels make: the matmul, and (builds with them) the element-wise tanh and the backward loop. */
type DenseAddon = DnnlAddon & Partial<Pick<ElementwiseAddon, 'unary' | 'denseGrad'>>

/** The activations a dense layer applies (src/nets/layers.ts), and the one sigmoid heads use. */
export type DenseActivation = 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid'

export const LA_DENSE = 'LaDense'
/** The same kernel for `linear`: it saves no output for its gradient (one clone less per call). */
export const LA_DENSE_LINEAR = 'LaDenseLinear'
export const LA_DENSE_GRAD = 'LaDenseGrad'
export const DENSE_KERNELS: ReadonlyArray<string> = [LA_DENSE, LA_DENSE_LINEAR, LA_DENSE_GRAD]

/** leakyRelu's slope below 0 in the layers (tf.leakyRelu(x, 0.2)). */
const DEFAULT_ALPHA = 0.2

export const ACT_CODE: Readonly<Record<DenseActivation, number>> = {
  linear: 0,
  relu: 1,
  leakyRelu: 2,
  tanh: 3,
  sigmoid: 4
}

export const ACT_NAME: ReadonlyArray<DenseActivation> = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid']

let enabled = false

/** Whether dense layers run fused (native active, kernels registered, not switched off). */
export const denseFused = (): boolean => enabled && tf.getBackend() === 'native'

/** For benchmarks and tests: switch the fused path off (false) or back on (true, if registered). Returns the previous setting. */
export function setNativeFusedDense(on: boolean): boolean {
  const was = enabled
  enabled = on && tf.getKernel(LA_DENSE, 'native') !== undefined
  return was
}

export const plainActivation = (z: tf.Tensor, act: DenseActivation, alpha: number): tf.Tensor => {
  switch (act) {
    case 'linear':
      return z
    case 'relu':
      return tf.relu(z)
    case 'leakyRelu':
      return tf.leakyRelu(z, alpha)
    case 'tanh':
      return tf.tanh(z)
    case 'sigmoid':
      return tf.sigmoid(z)
  }
}

/** act(x·W + b) with plain tfjs ops: what every backend computes, and what the fused kernel must equal. */
export const densePlain = (
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  act: DenseActivation,
  alpha = DEFAULT_ALPHA
): tf.Tensor2D => plainActivation(tf.add(tf.matMul(x, w), b), act, alpha) as tf.Tensor2D

/** y = act(x·W + b) on `[B, n]` × `[n, m]` + `[m]`: one kernel on `native`, plain ops elsewhere. */
export function denseForward(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  act: DenseActivation,
  alpha = DEFAULT_ALPHA
): tf.Tensor2D {
  if (!denseFused() || x.rank !== 2 || x.dtype !== 'float32' || w.dtype !== 'float32' || b.dtype !== 'float32')
    return densePlain(x, w, b, act, alpha)
  const kernel = act === 'linear' ? LA_DENSE_LINEAR : LA_DENSE
  return tf
    .engine()
    .runKernel(
      kernel,
      { x, w, b } as unknown as tf.NamedTensorMap,
      { activation: ACT_CODE[act], alpha } as unknown as tf.NamedAttrMap
    ) as tf.Tensor2D
}

// ---------------------------------------------------------------------------------------------
// Kernels

const ADDON_ACT: Readonly<Record<number, number | undefined>> = {
  0: Activation.linear,
  1: Activation.relu,
  2: Activation.leakyrelu,
  4: Activation.sigmoid
}

function forwardKernel(name: string, count: Counter, lib: DenseAddon): Kernel {
  return ({ inputs, backend, attrs }) => {
    const { x, w, b } = inputs
    const act = attrs.activation as number
    const alpha = attrs.alpha as number
    const xv = f32(backend, x)
    const wv = f32(backend, w)
    const bv = f32(backend, b)
    const [m, k] = x.shape
    const n = w.shape[1]
    if (
      xv === null ||
      wv === null ||
      bv === null ||
      w.shape.length !== 2 ||
      w.shape[0] !== k ||
      b.shape.length !== 1 ||
      b.shape[0] !== n
    ) {
      throw new Error(
        `${name}: expected float32 x [B, n], W [n, m], b [m]; got ${JSON.stringify([x.shape, w.shape, b.shape])}`
      )
    }
    const addonAct = ADDON_ACT[act] ?? Activation.linear
    const out = new Float32Array(m * n)
    lib.matmul(
      packMatmulParams({
        batchA: 1,
        batchB: 1,
        m,
        k,
        n,
        transposeA: 0,
        transposeB: 0,
        hasBias: 1,
        activation: addonAct
      }),
      xv,
      wv,
      bv,
      out,
      addonAct === Activation.leakyrelu ? alpha : 0
    )
    if (act === ACT_CODE.tanh) {
      if (lib.unary !== undefined && useAddon(out.length)) lib.unary(UnaryOp.tanh, out, out, 0)
      else for (let i = 0; i < out.length; i++) out[i] = Math.tanh(out[i])
    }
    count(name, 'native')
    return backend.makeTensorInfo([m, n], 'float32', out)
  }
}

/** dz = dy ⊙ act′ (from the output y; for `linear` y is absent and dz = dy) and db = Σ_rows dz. */
function gradKernel(count: Counter, lib: DenseAddon): Kernel {
  return ({ inputs, backend, attrs }) => {
    const act = attrs.activation as number
    const alpha = attrs.alpha as number
    const dyv = f32(backend, inputs.dy)
    const yv = act === ACT_CODE.linear ? null : f32(backend, inputs.y)
    if (dyv === null || (act !== ACT_CODE.linear && yv === null))
      throw new Error(`${LA_DENSE_GRAD}: expected float32 dy and y`)
    const [m, n] = inputs.dy.shape
    const dz = new Float32Array(m * n)
    const db = new Float32Array(n)
    if (lib.denseGrad !== undefined && useAddon(m * n)) {
      lib.denseGrad(act, alpha, dyv, yv, dz, db, m, n)
      count(LA_DENSE_GRAD, 'native')
      return [backend.makeTensorInfo([m, n], 'float32', dz), backend.makeTensorInfo([n], 'float32', db)]
    }
    for (let r = 0; r < m; r++) {
      const o = r * n
      for (let j = 0; j < n; j++) {
        const g = dyv[o + j]
        let d: number
        if (act === ACT_CODE.linear) d = g
        else {
          const y = yv![o + j]
          if (act === ACT_CODE.relu) d = y > 0 ? g : 0
          else if (act === ACT_CODE.leakyRelu) d = y > 0 ? g : g * alpha
          else if (act === ACT_CODE.tanh) d = g * (1 - y * y)
          else d = g * y * (1 - y)
        }
        dz[o + j] = d
        db[j] += d
      }
    }
    count(LA_DENSE_GRAD, 'native')
    return [backend.makeTensorInfo([m, n], 'float32', dz), backend.makeTensorInfo([n], 'float32', db)]
  }
}

/** The differentiable dz = dy ⊙ act′(y), for backward passes that are themselves on a tape. */
export function dzPlain(dy: tf.Tensor, y: tf.Tensor | undefined, act: number, alpha: number): tf.Tensor {
  if (act === ACT_CODE.linear) return dy
  const yy = y!
  if (act === ACT_CODE.relu) return tf.mul(dy, tf.step(yy))
  if (act === ACT_CODE.leakyRelu) return tf.where(tf.greater(yy, 0), dy, tf.mul(dy, alpha))
  if (act === ACT_CODE.tanh) return tf.mul(dy, tf.sub(1, tf.square(yy)))
  return tf.mul(dy, tf.mul(yy, tf.sub(1, yy)))
}

/** Whether ops run now are recorded on a tape (the backward pass of a gradient inside a gradient). */
export const tapeOn = (): boolean => (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn()

function gradient(linear: boolean): tf.GradConfig {
  return {
    kernelName: linear ? LA_DENSE_LINEAR : LA_DENSE,
    inputsToSave: linear ? ['x', 'w'] : ['x', 'w', 'b'],
    outputsToSave: linear ? [] : [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, b, y] = saved
      const g = dy as tf.Tensor2D
      const act = attrs.activation as number
      const alpha = attrs.alpha as number
      let dz: tf.Tensor
      let db: tf.Tensor
      if (tapeOn()) {
        const again = linear
          ? undefined
          : denseForward(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, ACT_NAME[act], alpha)
        dz = dzPlain(g, again, act, alpha)
        db = tf.sum(dz, 0)
      } else {
        ;[dz, db] = tf
          .engine()
          .runKernel(
            LA_DENSE_GRAD,
            (linear ? { dy: g } : { dy: g, y }) as unknown as tf.NamedTensorMap,
            attrs
          ) as Array<tf.Tensor>
      }
      return {
        x: () => tf.matMul(dz as tf.Tensor2D, w as tf.Tensor2D, false, true),
        w: () => tf.matMul(x as tf.Tensor2D, dz as tf.Tensor2D, true, false),
        b: () => db
      }
    }
  }
}

/** The `native` kernels and gradients of fused dense layers (registered by ./native.ts). */
export function registerDenseKernels(count: Counter, lib: DenseAddon): void {
  if (process.env.LOSS_ALGEBRA_NATIVE_FUSED === '0') return
  const kernels: Array<[string, Kernel]> = [
    [LA_DENSE, forwardKernel(LA_DENSE, count, lib)],
    [LA_DENSE_LINEAR, forwardKernel(LA_DENSE_LINEAR, count, lib)],
    [LA_DENSE_GRAD, gradKernel(count, lib)]
  ]
  for (const [kernelName, f] of kernels) {
    if (tf.getKernel(kernelName, 'native') !== undefined) continue
    tf.registerKernel({ kernelName, backendName: 'native', kernelFunc: f as unknown as tf.KernelFunc })
  }
  if (tf.getGradient(LA_DENSE) === undefined) tf.registerGradient(gradient(false))
  if (tf.getGradient(LA_DENSE_LINEAR) === undefined) tf.registerGradient(gradient(true))
  enabled = true
}
