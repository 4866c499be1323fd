/**
 * Training kernels the tfjs `wasm` backend (4.22) lacks, so conv nets can train on it
 * (DESIGN §7: "wasm lacks Conv2DBackpropFilter").
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
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

const { backend_util, util } = tf

/** Kernels the gradients of the project's layers need, beyond the forward ones. */
export const WASM_TRAINING_KERNELS: ReadonlyArray<string> = [
  tf.Conv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.BatchMatMul, tf._FusedMatMul,
  tf.Greater, tf.Select, tf.Step, tf.Cast, tf.Multiply, tf.Sub, tf.Square, tf.Sigmoid, tf.Sum, tf.Reshape,
  tf.Relu, tf.LeakyRelu, tf.Tanh, tf.Softplus
]

/** The kernels of WASM_TRAINING_KERNELS that `wasm` has no implementation for. */
export function missingWasmTrainingKernels (): Array<string> {
  return WASM_TRAINING_KERNELS.filter((k) => tf.getKernel(k, 'wasm') === undefined)
}

interface WasmKernelArgs { inputs: Record<string, tf.TensorInfo>; backend: BackendWasm; attrs: tf.NamedAttrMap }

/** Upper bound on the im2col buffer (floats); bigger problems are split over the batch. */
let MAX_COL_FLOATS = 1 << 24

/** Sets the im2col buffer bound (tests use a tiny one to exercise the batch split). */
export function setWasmIm2colLimit (floats: number): void {
  MAX_COL_FLOATS = Math.max(1, Math.floor(floats))
}

/** The wasm backend's own kernel functions that this module wraps, by kernel name. */
const originals = new Map<string, tf.KernelFunc>()
/** The kernel functions this module registered (to keep registration idempotent). */
const ours = new WeakSet<object>()

function originalKernel (name: string): tf.KernelFunc {
  const f = originals.get(name) ?? tf.getKernel(name, 'wasm')?.kernelFunc
  if (f === undefined) throw new Error(`wasm backend has no ${name} kernel`)
  return f
}

/** a × b with the wasm backend's BatchMatMul, no transposes (its fast path). */
function plainMatMul (backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return originalKernel(tf.BatchMatMul)({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo
}

function heapF32 (backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  // A fresh view every time: any wasm allocation may grow (and detach) the heap.
  return backend.typedArrayFromHeap(t) as Float32Array
}

/**
 * Writes the transposed im2col of images [n0, n1) of x (NHWC) into `colT` ([K, rows] with
 * K = KH·KW·CI, row = ((n - n0)·OH + oh)·OW + ow, k = (kh·KW + kw)·CI + ci), zero where the
 * window leaves the image. Transposed so that the matmul after it needs no transpose (the wasm
 * BatchMatMul is ~15× slower with transposeA or transposeB).
 */
function im2colT (x: Float32Array, colT: Float32Array, n0: number, n1: number, c: tf.backend_util.Conv2DInfo): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = c
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = c
  const PT = c.padInfo.top
  const PL = c.padInfo.left
  const rows = (n1 - n0) * OH * OW
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      for (let ci = 0; ci < CI; ci++) {
        let d = ((kh * KW + kw) * CI + ci) * rows
        for (let n = n0; n < n1; n++) {
          const xn = n * H * W * CI + ci
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * SH - PT + kh
            if (ih < 0 || ih >= H) {
              colT.fill(0, d, d + OW)
              d += OW
              continue
            }
            const xr = xn + ih * W * CI
            let iw = kw - PL
            for (let ow = 0; ow < OW; ow++, iw += SW) {
              colT[d++] = iw >= 0 && iw < W ? x[xr + iw * CI] : 0
            }
          }
        }
      }
    }
  }
}

function conv2DBackpropFilter (args: WasmKernelArgs): tf.TensorInfo {
  const { backend, inputs, attrs } = args
  const { x, dy } = inputs
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('Conv2DBackpropFilter (wasm): float32 only')
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat)
  if ($dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported')
  const c = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, $dataFormat)
  util.assert(util.arraysEqual(dy.shape, c.outShape),
    () => `Conv2DBackpropFilter (wasm): dy shape ${dy.shape} does not match the conv output ${c.outShape}`)
  const { batchSize: N, outHeight: OH, outWidth: OW, outChannels: CO } = c
  const K = c.filterHeight * c.filterWidth * c.inChannels
  const perImage = OH * OW
  const chunk = Math.max(1, Math.min(N, Math.floor(MAX_COL_FLOATS / Math.max(1, perImage * K))))

  const out = backend.makeOutput([...filterShape], 'float32')
  if (K === 0 || CO === 0 || N * perImage === 0) {
    heapF32(backend, out).fill(0)
    return out
  }
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const n1 = Math.min(N, n0 + chunk)
    const rows = (n1 - n0) * perImage
    const colT = backend.makeOutput([1, K, rows], 'float32')
    im2colT(heapF32(backend, x), heapF32(backend, colT), n0, n1, c)
    let dyPart: tf.TensorInfo = { dataId: dy.dataId, shape: [1, rows, CO], dtype: 'float32' }
    if (n1 - n0 !== N) {
      // A batch slice of dy: copy it (it is smaller than the chunk's im2col).
      dyPart = backend.makeOutput([1, rows, CO], 'float32')
      heapF32(backend, dyPart).set(heapF32(backend, dy).subarray(n0 * perImage * CO, n1 * perImage * CO))
    }
    const part = plainMatMul(backend, colT, dyPart)
    backend.disposeData(colT.dataId)
    if (dyPart.dataId !== dy.dataId) backend.disposeData(dyPart.dataId)
    const dst = heapF32(backend, out)
    const src = heapF32(backend, part)
    if (n0 === 0) {
      dst.set(src)
    } else {
      for (let i = 0; i < dst.length; i++) dst[i] += src[i]
    }
    backend.disposeData(part.dataId)
  }
  return out
}

/** A new heap tensor holding t with its last two axes swapped (32×32 blocks, for the cache). */
function transposeLast2 (backend: BackendWasm, t: tf.TensorInfo): tf.TensorInfo {
  const r = t.shape.length
  const R = t.shape[r - 2]
  const C = t.shape[r - 1]
  const B = util.sizeFromShape(t.shape.slice(0, -2))
  const out = backend.makeOutput([...t.shape.slice(0, -2), C, R], 'float32')
  const src = heapF32(backend, t)
  const dst = heapF32(backend, out)
  const BS = 32
  for (let b = 0; b < B; b++) {
    const o = b * R * C
    for (let i0 = 0; i0 < R; i0 += BS) {
      const i1 = Math.min(R, i0 + BS)
      for (let j0 = 0; j0 < C; j0 += BS) {
        const j1 = Math.min(C, j0 + BS)
        for (let i = i0; i < i1; i++) {
          const si = o + i * C
          for (let j = j0; j < j1; j++) dst[o + j * R + i] = src[si + j]
        }
      }
    }
  }
  return out
}

/**
 * Calls the wasm matmul kernel `name` without transposes: operands to transpose are copied
 * transposed first (an O(size) copy against an O(M·N·K) product that runs ~15× slower with
 * transposeA or transposeB in tfjs-backend-wasm 4.22).
 */
function withoutTransposes (name: string, args: WasmKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs
  const transposeA = args.attrs.transposeA === true
  const transposeB = args.attrs.transposeB === true
  const orig = originalKernel(name)
  const ra = a.shape.length
  const rb = b.shape.length
  const innerA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
  const innerB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2]
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32' || ra < 2 || rb < 2 || innerA !== innerB) {
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

/**
 * Conv2DBackpropInput (the backward pass of conv2d and the forward pass of conv2dTranspose) as
 * dcol[n·oh·ow, kh·kw·ci] = dy[n·oh·ow, co] × Wᵀ[co, kh·kw·ci] on the wasm matmul, then a col2im
 * scatter-add in TypeScript. The wasm kernel it replaces is a direct loop, ~7× slower on the
 * reference conv nets' layers.
 */
function conv2DBackpropInput (args: WasmKernelArgs): tf.TensorInfo {
  const { backend, inputs, attrs } = args
  const { dy, filter } = inputs
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat)
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || $dataFormat !== 'channelsLast') {
    return originalKernel(tf.Conv2DBackpropInput)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
  }
  const c = backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, $dataFormat)
  util.assert(util.arraysEqual(dy.shape, c.outShape),
    () => `Conv2DBackpropInput (wasm): dy shape ${dy.shape} does not match the conv output ${c.outShape}`)
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = c
  const PT = c.padInfo.top
  const PL = c.padInfo.left
  const K = KH * KW * CI
  const perImage = OH * OW
  const out = backend.makeOutput([...c.inShape], 'float32')
  heapF32(backend, out).fill(0)
  if (K === 0 || CO === 0 || N * perImage === 0) return out
  const wT = transposeLast2(backend, { dataId: filter.dataId, shape: [1, K, CO], dtype: 'float32' })
  const chunk = Math.max(1, Math.min(N, Math.floor(MAX_COL_FLOATS / Math.max(1, perImage * K))))
  try {
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const n1 = Math.min(N, n0 + chunk)
      const rows = (n1 - n0) * perImage
      let dyPart: tf.TensorInfo = { dataId: dy.dataId, shape: [1, rows, CO], dtype: 'float32' }
      if (n1 - n0 !== N) {
        dyPart = backend.makeOutput([1, rows, CO], 'float32')
        heapF32(backend, dyPart).set(heapF32(backend, dy).subarray(n0 * perImage * CO, n1 * perImage * CO))
      }
      const dcolT = plainMatMul(backend, dyPart, wT)
      if (dyPart.dataId !== dy.dataId) backend.disposeData(dyPart.dataId)
      const dcol = heapF32(backend, dcolT)
      const dx = heapF32(backend, out)
      // col2im: add each window's column back onto the input positions it read.
      let r = 0
      for (let n = n0; n < n1; n++) {
        const xn = n * H * W * CI
        for (let oh = 0; oh < OH; oh++) {
          const ih0 = oh * SH - PT
          for (let ow = 0; ow < OW; ow++, r++) {
            const iw0 = ow * SW - PL
            const kwLo = iw0 < 0 ? -iw0 : 0
            const kwHi = Math.min(KW, W - iw0)
            if (kwHi <= kwLo) continue
            for (let kh = 0; kh < KH; kh++) {
              const ih = ih0 + kh
              if (ih < 0 || ih >= H) continue
              const src = r * K + (kh * KW + kwLo) * CI
              const dst = xn + (ih * W + iw0 + kwLo) * CI
              const len = (kwHi - kwLo) * CI
              for (let i = 0; i < len; i++) dx[dst + i] += dcol[src + i]
            }
          }
        }
      }
      backend.disposeData(dcolT.dataId)
    }
  } finally {
    backend.disposeData(wT.dataId)
  }
  return out
}

/**
 * Conv2D / FusedConv2D with 'same' padding given to the wasm kernel as the equivalent explicit
 * padding. tfjs-backend-wasm 4.22 hands 'same' to XNNPACK as a flag, which returns zeros for some
 * shapes (e.g. x [1, 2, 2, 1], filter [1, 2, 1, 1], strides [2, 1]: cpu [5, 2], wasm [0, 0]);
 * with explicit padding it agrees with cpu.
 */
function samePadAsExplicit (name: string, args: WasmKernelArgs): tf.TensorInfo {
  const orig = originalKernel(name)
  const { x, filter } = args.inputs
  const attrs = args.attrs as unknown as tf.Conv2DAttrs
  if (attrs.pad !== 'same' || x.shape.length !== 4 || filter.shape.length !== 4) {
    return orig(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
  }
  const $dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat)
  const c = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides, attrs.dilations, 'same', attrs.dimRoundingMode, false, $dataFormat)
  const { top, bottom, left, right } = c.padInfo
  const pad: tf.backend_util.ExplicitPadding = $dataFormat === 'channelsLast'
    ? [[0, 0], [top, bottom], [left, right], [0, 0]]
    : [[0, 0], [0, 0], [top, bottom], [left, right]]
  return orig({ ...args, attrs: { ...args.attrs, pad } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
}

/** Kernels wasm lacks: registered when absent. */
const ADDED: ReadonlyArray<tf.KernelConfig> = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc }
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
export function registerWasmTrainingKernels (): void {
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
