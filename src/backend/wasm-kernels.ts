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
 * The b operands the wasm BatchMatMul has been given (by data id). Its XNNPACK operator packs b into
 * its own layout on first use and keeps that until b is disposed, so a b seen before costs nothing
 * more to pack.
 */
const packed = new WeakSet<object>()

let SWAP = true
/**
 * The swap pays only where packing b is a real cost: from b's 2¹⁷ floats up (784 × 512 and 512 × 256
 * layers; on the 32 × 256 layers of the code critic the two transposes cost more than packing saves,
 * aae `conv` 1.09× with no bound).
 */
const SWAP_MIN_B_FLOATS = 1 << 17

/**
 * Whether a plain matmul whose b (large) would be packed afresh and whose output has at most half as many
 * rows as columns is computed as Cᵀ = Bᵀ·Aᵀ, so that the smaller operand is the one packed (on by default;
 * bench/README.md has the measurement). Returns the old setting.
 */
export function setWasmMatMulSwap(on: boolean): boolean {
  const old = SWAP
  SWAP = on
  return old
}

/**
 * Calls the wasm matmul kernel `name` in the forms its XNNPACK operator runs fastest. No transposes:
 * operands to transpose are copied transposed first (an O(size) copy against an O(M·N·K) product
 * that runs ~15× slower with transposeA or transposeB in tfjs-backend-wasm 4.22). A BatchMatMul C = A·B (one batch, A not
 * transposed: a layer's forward pass or its input gradient dy·Wᵀ) whose B (at least
 * SWAP_MIN_B_FLOATS) the kernel has not packed yet and with M ≤ N / 2 runs as Cᵀ = Bᵀ·Aᵀ: the kernel
 * packs its second operand for every new tensor, and packing Aᵀ (K × M) costs less than packing B
 * (K × N); for dy·Wᵀ the swap also saves W's transposed copy (Bᵀ is W itself). Weight gradients
 * (A transposed) are left alone: swapping G's 32 → 3136 weight gradient made gan `conv` 1.08× slower.
 */
function xnnpackFriendlyMatMul(name: string, args: WasmKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs
  const transposeA = args.attrs.transposeA === true
  const transposeB = args.attrs.transposeB === true
  const orig = originalKernel(name)
  const ra = a.shape.length
  const rb = b.shape.length
  const innerA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
  const innerB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2]
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || ra < 2 || rb < 2 || innerA !== innerB)
    return orig(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
  const backend = args.backend
  const plain = (x: tf.TensorInfo, y: tf.TensorInfo): tf.TensorInfo =>
    orig({
      inputs: { ...args.inputs, a: x, b: y },
      backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false }
    }) as tf.TensorInfo
  const rows = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
  const cols = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
  const oneBatch = [...a.shape.slice(0, -2), ...b.shape.slice(0, -2)].every((d) => d === 1)
  const fresh = transposeB || !packed.has(b.dataId)
  const temps: Array<tf.TensorInfo> = []
  const own = (t: tf.TensorInfo, original: tf.TensorInfo): tf.TensorInfo => {
    if (t !== original) temps.push(t)
    return t
  }
  try {
    if (
      SWAP &&
      name === tf.BatchMatMul &&
      oneBatch &&
      !transposeA &&
      fresh &&
      2 * rows <= cols &&
      innerB * cols >= SWAP_MIN_B_FLOATS
    ) {
      const bt = own(transposeB ? b : transposeLast2(backend, b), b)
      const at = own(transposeLast2(backend, a), a)
      return transposeLast2(backend, own(plain(bt, at), a))
    }
    if (!transposeA && !transposeB) {
      packed.add(b.dataId)
      return orig(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
    }
    const a2 = own(transposeA ? transposeLast2(backend, a) : a, a)
    const b2 = own(transposeB ? transposeLast2(backend, b) : b, b)
    if (b2 === b) packed.add(b.dataId)
    return plain(a2, b2)
  } finally {
    for (const t of temps) backend.disposeData(t.dataId)
  }
}

let SHARE_IDENTITY = true

/**
 * Whether wasm's Identity shares its input's data (a reference more on the data id, as `cpu` and
 * wasm's own Reshape do) instead of copying it (on by default). tfjs's engine clones every tensor a
 * kernel saves for its gradient while the tape records, and wasm's Identity copied the data: a step's
 * weight matrices were copied once per matmul. No kernel writes into its inputs, so sharing is safe.
 * Returns the old setting.
 */
export function setWasmSharedIdentity(on: boolean): boolean {
  const old = SHARE_IDENTITY
  SHARE_IDENTITY = on
  return old
}

function identity(args: WasmKernelArgs): tf.TensorInfo {
  const { x } = args.inputs
  if (!SHARE_IDENTITY || x.dtype === 'string')
    return originalKernel(tf.Identity)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
  args.backend.incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
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
  [tf.Identity, identity],
  [tf.BatchMatMul, (args) => xnnpackFriendlyMatMul(tf.BatchMatMul, args)],
  [tf._FusedMatMul, (args) => xnnpackFriendlyMatMul(tf._FusedMatMul, args)],
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
