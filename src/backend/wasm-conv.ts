/**
 * Convolution kernels for the wasm backend: Conv2DBackpropFilter (which wasm lacks) and
 * Conv2DBackpropInput as im2col / col2im around the wasm BatchMatMul, and 'same' padding passed to
 * the wasm Conv2D as explicit padding (see ./wasm-kernels.ts).
 */
import * as tf from '@tensorflow/tfjs'

import type { WasmKernelArgs } from './wasm-util.ts'
import { heapF32, originalKernel, plainMatMul, transposeLast2 } from './wasm-util.ts'

const { backend_util, util } = tf

/** Upper bound on the im2col buffer (floats); bigger problems are split over the batch. */
let MAX_COL_FLOATS = 1 << 24

/** Sets the im2col buffer bound (tests use a tiny one to exercise the batch split). */
export function setWasmIm2colLimit(floats: number): void {
  MAX_COL_FLOATS = Math.max(1, Math.floor(floats))
}

/**
 * From this many input channels on, the weight gradient runs as one dilated convolution on the wasm
 * Conv2D (XNNPACK) rather than im2col + matmul: 0.56× the time on the 14×14×32 → 7×7×64 layer at
 * batch 64, but 2.7× on 28×28×1 → 14×14×32, where the batch becomes 64 input channels of one image
 * (a scratch A/B, in bench/README.md).
 */
let FILTER_BY_CONV_MIN_CHANNELS = 16

/** Sets that bound (tests use 1 so that every problem takes the dilated-convolution path); returns the old one. */
export function setWasmFilterByConvMinChannels(channels: number): number {
  const old = FILTER_BY_CONV_MIN_CHANNELS
  FILTER_BY_CONV_MIN_CHANNELS = Math.max(1, Math.floor(channels))
  return old
}

/**
 * The weight gradient dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·SH + kh − PT, ow·SW + kw − PL, ci] ·
 * dy[n, oh, ow, co] as a convolution: the images' channels become the batch (x′ = x transposed to
 * [CI, H, W, N]), dy becomes the filter ([OH, OW, N, CO]), with dilation (SH, SW), stride 1 and the
 * forward pass's padding; the output [CI, KH, KW, CO] is transposed back. Null where the forward pass
 * leaves rows or columns of x unread at the far edge (the padding that would be needed is negative).
 */
function filterByConv(
  backend: WasmKernelArgs['backend'],
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  c: tf.backend_util.Conv2DInfo
): tf.TensorInfo | null {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = c
  const { strideHeight: SH, strideWidth: SW } = c
  const { top, left } = c.padInfo
  const bottom = KH + (OH - 1) * SH - H - top
  const right = KW + (OW - 1) * SW - W - left
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null
  const transpose = (t: tf.TensorInfo, perm: Array<number>): tf.TensorInfo =>
    originalKernel(tf.Transpose)({ inputs: { x: t }, backend, attrs: { perm } }) as tf.TensorInfo
  const xT = transpose(x, [3, 1, 2, 0])
  const dyT = transpose(dy, [1, 2, 0, 3])
  let out: tf.TensorInfo
  try {
    out = originalKernel(tf.Conv2D)({
      inputs: { x: xT, filter: dyT },
      backend,
      attrs: {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0]
        ],
        dataFormat: 'NHWC',
        dilations: [SH, SW]
      }
    }) as tf.TensorInfo
  } finally {
    backend.disposeData(xT.dataId)
    backend.disposeData(dyT.dataId)
  }
  const dw = transpose(out, [1, 2, 0, 3])
  backend.disposeData(out.dataId)
  return dw
}

/**
 * Writes the transposed im2col of images [n0, n1) of x (NHWC) into `colT` ([K, rows] with
 * K = KH·KW·CI, row = ((n - n0)·OH + oh)·OW + ow, k = (kh·KW + kw)·CI + ci), zero where the
 * window leaves the image. Transposed so that the matmul after it needs no transpose (the wasm
 * BatchMatMul is ~15× slower with transposeA or transposeB).
 */
function im2colT(x: Float32Array, colT: Float32Array, n0: number, n1: number, c: tf.backend_util.Conv2DInfo): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = c
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = c
  const PT = c.padInfo.top
  const PL = c.padInfo.left
  const rows = (n1 - n0) * OH * OW
  // One output row (n, oh) at a time: for each tap (kh, kw) its OW × CI window of x lies in a few
  // cache lines, and each ci's OW values go to one contiguous run of colT. (Tap-major order, which
  // writes colT in one sweep, re-reads all of x for every k and was 1.3–2× slower at CI ≥ 32.)
  for (let n = n0; n < n1; n++) {
    const xn = n * H * W * CI
    for (let oh = 0; oh < OH; oh++) {
      const r0 = ((n - n0) * OH + oh) * OW
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH - PT + kh
        const inside = ih >= 0 && ih < H
        const xr = xn + ih * W * CI
        for (let kw = 0; kw < KW; kw++) {
          const k0 = (kh * KW + kw) * CI
          // the ow whose input column iw = ow·SW − PL + kw lies inside the image: [lo, hi)
          const lo = inside ? Math.min(OW, Math.max(0, Math.ceil((PL - kw) / SW))) : OW
          const hi = inside ? Math.max(lo, Math.min(OW, Math.floor((W - 1 + PL - kw) / SW) + 1)) : OW
          for (let ci = 0; ci < CI; ci++) {
            const d = (k0 + ci) * rows + r0
            if (lo > 0) colT.fill(0, d, d + lo)
            let s = xr + (lo * SW - PL + kw) * CI + ci
            for (let ow = lo; ow < hi; ow++, s += SW * CI) colT[d + ow] = x[s]
            if (hi < OW) colT.fill(0, d + hi, d + OW)
          }
        }
      }
    }
  }
}

export function conv2DBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const { backend, inputs, attrs } = args
  const { x, dy } = inputs
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('Conv2DBackpropFilter (wasm): float32 only')
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat)
  if ($dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported')
  const c = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    $dataFormat
  )
  util.assert(
    util.arraysEqual(dy.shape, c.outShape),
    () => `Conv2DBackpropFilter (wasm): dy shape ${dy.shape} does not match the conv output ${c.outShape}`
  )
  const { batchSize: N, outHeight: OH, outWidth: OW, outChannels: CO } = c
  const K = c.filterHeight * c.filterWidth * c.inChannels
  const perImage = OH * OW
  const chunk = Math.max(1, Math.min(N, Math.floor(MAX_COL_FLOATS / Math.max(1, perImage * K))))

  if (c.inChannels >= FILTER_BY_CONV_MIN_CHANNELS && c.dilationHeight === 1 && c.dilationWidth === 1 && K * CO > 0) {
    const dw = N * perImage > 0 ? filterByConv(backend, x, dy, c) : null
    if (dw !== null) return dw
  }
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

/**
 * Conv2DBackpropInput (the backward pass of conv2d and the forward pass of conv2dTranspose) as
 * dcol[n·oh·ow, kh·kw·ci] = dy[n·oh·ow, co] × Wᵀ[co, kh·kw·ci] on the wasm matmul, then a col2im
 * scatter-add in TypeScript. The wasm kernel it replaces is a direct loop, ~7× slower on the
 * reference conv nets' layers.
 */
export function conv2DBackpropInput(args: WasmKernelArgs): tf.TensorInfo {
  const { backend, inputs, attrs } = args
  const { dy, filter } = inputs
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat)
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || $dataFormat !== 'channelsLast') {
    return originalKernel(tf.Conv2DBackpropInput)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
  }
  const c = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    $dataFormat
  )
  util.assert(
    util.arraysEqual(dy.shape, c.outShape),
    () => `Conv2DBackpropInput (wasm): dy shape ${dy.shape} does not match the conv output ${c.outShape}`
  )
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
export function samePadAsExplicit(name: string, args: WasmKernelArgs): tf.TensorInfo {
  const orig = originalKernel(name)
  const { x, filter } = args.inputs
  const attrs = args.attrs as unknown as tf.Conv2DAttrs
  if (attrs.pad !== 'same' || x.shape.length !== 4 || filter.shape.length !== 4) {
    return orig(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
  }
  const $dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat)
  const c = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    'same',
    attrs.dimRoundingMode,
    false,
    $dataFormat
  )
  const { top, bottom, left, right } = c.padInfo
  const pad: tf.backend_util.ExplicitPadding =
    $dataFormat === 'channelsLast'
      ? [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0]
        ]
      : [
          [0, 0],
          [0, 0],
          [top, bottom],
          [left, right]
        ]
  return orig({ ...args, attrs: { ...args.attrs, pad } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
}
