/**
 * Training kernels the tfjs `wasm` backend (4.22) lacks, so conv nets can train on it
 * (docs/ARCHITECTURE.md §5: wasm lacks Conv2DBackpropFilter).
 *
 * Conv2DBackpropFilter is an im2col (in TypeScript, written straight into the wasm heap)
 * followed by the wasm backend's own BatchMatMul (XNNPACK, SIMD):
 *   dW[kh·kw·ci, co] = colᵀ[kh·kw·ci, n·oh·ow] × dy[n·oh·ow, co].
 *
 * Every other kernel the gradients of conv2d, conv2dTranspose, relu, leakyRelu, tanh, sigmoid
 * and softplus use exists in wasm already (Conv2D, Conv2DBackpropInput, Greater, Select, Step,
 * Cast, Multiply, Sub, Square, Sigmoid, Sum, Reshape): `missingWasmTrainingKernels()` checks.
 *
 * Also replaced, because they dominate a training step on wasm: BatchMatMul and _FusedMatMul
 * with transposeA/transposeB (wasm 4.22 runs those ~15× slower than without: the operand is
 * now transposed first) and Conv2DBackpropInput (a direct loop in wasm; here a matmul + col2im,
 * ~6× faster on the reference nets). Conv2D and FusedConv2D get 'same' padding as explicit
 * padding (the wasm kernels return zeros for some 'same' shapes). The originals serve every case
 * these do not handle.
 */
import * as tf from '@tensorflow/tfjs'

import { conv2DBackpropFilter, conv2DBackpropInput, samePadAsExplicit } from './wasm-conv.ts'
import type { WasmKernelArgs } from './wasm-util.ts'
import { originalKernel, originals, ours, transposeLast2 } from './wasm-util.ts'

export { setWasmFilterByConvMinChannels, setWasmIm2colLimit } from './wasm-conv.ts'

/** Kernels the gradients of the project's layers need, beyond the forward ones. */
export const WASM_TRAINING_KERNELS: ReadonlyArray<string> = [
  tf.Conv2D,
  tf.Conv2DBackpropInput,
  tf.Conv2DBackpropFilter,
  tf.BatchMatMul,
  tf._FusedMatMul,
  tf.Greater,
  tf.Select,
  tf.Step,
  tf.Cast,
  tf.Multiply,
  tf.Sub,
  tf.Square,
  tf.Sigmoid,
  tf.Sum,
  tf.Reshape,
  tf.Relu,
  tf.LeakyRelu,
  tf.Tanh,
  tf.Softplus
]

/** The kernels of WASM_TRAINING_KERNELS that `wasm` has no implementation for. */
export function missingWasmTrainingKernels(): Array<string> {
  return WASM_TRAINING_KERNELS.filter((k) => tf.getKernel(k, 'wasm') === undefined)
}

/**
 * Calls the wasm matmul kernel `name` without transposes: operands to transpose are copied
 * transposed first (an O(size) copy against an O(M·N·K) product that runs ~15× slower with
 * transposeA or transposeB in tfjs-backend-wasm 4.22).
 */
function withoutTransposes(name: string, args: WasmKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs
  const transposeA = args.attrs.transposeA === true
  const transposeB = args.attrs.transposeB === true
  const orig = originalKernel(name)
  const ra = a.shape.length
  const rb = b.shape.length
  const innerA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
  const innerB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2]
  if (
    (!transposeA && !transposeB) ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    ra < 2 ||
    rb < 2 ||
    innerA !== innerB
  ) {
    return orig(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
  }
  const a2 = transposeA ? transposeLast2(args.backend, a) : a
  const b2 = transposeB ? transposeLast2(args.backend, b) : b
  try {
    return orig({
      inputs: { ...args.inputs, a: a2, b: b2 },
      backend: args.backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false }
    }) as tf.TensorInfo
  } finally {
    if (a2 !== a) args.backend.disposeData(a2.dataId)
    if (b2 !== b) args.backend.disposeData(b2.dataId)
  }
}

/** Kernels wasm lacks: registered when absent. */
const ADDED: ReadonlyArray<tf.KernelConfig> = [
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc
  }
]

/** Kernels wasm has but runs slowly for training: wrapped (the original is kept for fallbacks). */
const REPLACED: ReadonlyArray<[string, (args: WasmKernelArgs) => tf.TensorInfo]> = [
  [tf.BatchMatMul, (args) => withoutTransposes(tf.BatchMatMul, args)],
  [tf._FusedMatMul, (args) => withoutTransposes(tf._FusedMatMul, args)],
  [tf.Conv2DBackpropInput, conv2DBackpropInput],
  [tf.Conv2D, (args) => samePadAsExplicit(tf.Conv2D, args)],
  [tf.FusedConv2D, (args) => samePadAsExplicit(tf.FusedConv2D, args)]
]

/**
 * Registers, for backend `wasm`, the training kernels it lacks (today: Conv2DBackpropFilter)
 * and the faster BatchMatMul / _FusedMatMul / Conv2DBackpropInput above. Idempotent; a
 * missing kernel that wasm has by then (a later tfjs release) is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const k of ADDED) {
    if (tf.getKernel(k.kernelName, k.backendName) === undefined) {
      tf.registerKernel(k)
      ours.add(k.kernelFunc)
    }
  }
  for (const [kernelName, f] of REPLACED) {
    const current = tf.getKernel(kernelName, 'wasm')
    if (current === undefined || ours.has(current.kernelFunc)) continue
    originals.set(kernelName, current.kernelFunc)
    const kernelFunc = f as unknown as tf.KernelFunc
    ours.add(kernelFunc)
    tf.unregisterKernel(kernelName, 'wasm')
    tf.registerKernel({ ...current, kernelFunc })
  }
}
