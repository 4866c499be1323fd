/**
 * The `native` backend's oneDNN kernels: BatchMatMul, _FusedMatMul (bias + relu / leakyrelu / elu /
 * relu6 / sigmoid / linear), and the convolutions — Conv2D, FusedConv2D, Conv2DBackpropInput (also
 * conv2dTranspose's forward pass) and Conv2DBackpropFilter — through one planner and one wrapper.
 * Anything the addon does not handle (NCHW, dilations, non-float32, prelu, odd broadcasts) goes to
 * the cpu kernel, so results never depend on whether a case is covered. Parameter arrays are packed
 * by the generated contract (./native-contract.ts, native/contract.json).
 */
import * as tf from '@tensorflow/tfjs'
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'

import { Activation, packConvParams, packMatmulParams } from './native-contract.ts'
import type { Counter, Kernel, KernelArgs } from './native-util.ts'
import { cpuKernel, f32 } from './native-util.ts'

const { backend_util, broadcast_util, util } = tf

/** The addon's oneDNN entry points (native/src/addon.cc). */
export interface DnnlAddon {
  matmul(
    params: Int32Array,
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    alpha?: number
  ): void
  convForward(
    params: Int32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    alpha?: number
  ): void
  convBackwardData(params: Int32Array, dy: Float32Array, w: Float32Array, dx: Float32Array): void
  convBackwardWeights(params: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void
}

type Out = tf.TensorInfo | Array<tf.TensorInfo>

const activationCode = (attrs: tf.NamedAttrMap): number | undefined =>
  (Activation as Record<string, number>)[(attrs.activation as string | undefined) ?? 'linear']

/** A bias the addon can add: one value per output channel / column, any leading 1s. */
function channelBias(
  backend: MathBackendCPU,
  bias: tf.TensorInfo | undefined,
  channels: number,
  outRank: number
): Float32Array | null | 'unsupported' {
  if (bias == null) return null
  const ok =
    bias.shape.length <= outRank &&
    bias.shape.length >= 1 &&
    bias.shape[bias.shape.length - 1] === channels &&
    util.sizeFromShape(bias.shape) === channels
  return (ok ? f32(backend, bias) : null) ?? 'unsupported'
}

/** Runs the addon; on an addon error (a shape oneDNN rejects) falls back and remembers the shape. */
const rejected = new Set<string>()
function tryNative(count: Counter, kernel: string, key: string, f: () => tf.TensorInfo, fallback: () => Out): Out {
  if (!rejected.has(key)) {
    try {
      const out = f()
      count(kernel, 'native')
      return out
    } catch (e) {
      rejected.add(key)
      if (process.env.LOSS_ALGEBRA_NATIVE_VERBOSE === '1') {
        console.warn(
          `loss-algebra native: ${kernel} falls back to cpu for ${key}: ${e instanceof Error ? e.message : String(e)}`
        )
      }
    }
  }
  count(kernel, 'fallback')
  return fallback()
}

// ---------------------------------------------------------------------------------------------
// Matmul

function planMatmul(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  attrs: tf.NamedAttrMap,
  hasBias: boolean,
  activation: number
): { params: Int32Array; outShape: Array<number> } | null {
  const transposeA = attrs.transposeA === true
  const transposeB = attrs.transposeB === true
  const ra = a.shape.length
  const rb = b.shape.length
  if (ra < 2 || rb < 2) return null
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
  if (k !== (transposeB ? b.shape[rb - 1] : b.shape[rb - 2]) || m === 0 || n === 0 || k === 0) return null
  const batchA = util.sizeFromShape(a.shape.slice(0, -2))
  const batchB = util.sizeFromShape(b.shape.slice(0, -2))
  let outer: Array<number>
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2))
  } catch {
    return null // the cpu kernel raises tfjs's own error
  }
  // Only the broadcasts the flattened [batch, M, N] view expresses: equal batches, or one side 1.
  if ((batchA !== batchB && batchA !== 1 && batchB !== 1) || util.sizeFromShape(outer) !== Math.max(batchA, batchB))
    return null
  const params = packMatmulParams({
    batchA,
    batchB,
    m,
    k,
    n,
    transposeA: +transposeA,
    transposeB: +transposeB,
    hasBias: +hasBias,
    activation
  })
  return { params, outShape: [...outer, m, n] }
}

function matmulKernel(name: string, count: Counter, lib: DnnlAddon): Kernel {
  const fused = name === tf._FusedMatMul
  const fallback = cpuKernel(name)
  return (args) => {
    const { a, b, bias } = args.inputs
    const act = fused ? activationCode(args.attrs) : Activation.linear
    const alpha = (args.attrs.leakyreluAlpha as number | undefined) ?? 0.2
    const av = f32(args.backend, a)
    const bv = f32(args.backend, b)
    const plan =
      av !== null && bv !== null && act !== undefined ? planMatmul(a, b, args.attrs, fused && bias != null, act) : null
    const biasV =
      plan !== null && fused
        ? channelBias(args.backend, bias, plan.outShape[plan.outShape.length - 1], plan.outShape.length)
        : null
    if (plan === null || av === null || bv === null || biasV === 'unsupported') {
      count(name, 'fallback')
      return fallback(args)
    }
    return tryNative(
      count,
      name,
      `${name}${plan.params.join(',')}:${alpha}`,
      () => {
        const out = new Float32Array(util.sizeFromShape(plan.outShape))
        lib.matmul(plan.params, av, bv, biasV, out, act === Activation.leakyrelu ? alpha : 0)
        return args.backend.makeTensorInfo(plan.outShape, 'float32', out)
      },
      () => fallback(args)
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Convolutions

/** The addon's parameters for an NHWC conv with HWIO filter, or null when the addon does not handle it. */
function planConv(
  xShape: ReadonlyArray<number>,
  filterShape: ReadonlyArray<number>,
  attrs: tf.NamedAttrMap,
  activation: number,
  hasBias: boolean
): { params: Int32Array; info: tf.backend_util.Conv2DInfo } | null {
  if (
    ((attrs.dataFormat as string | undefined) ?? 'NHWC') !== 'NHWC' ||
    xShape.length !== 4 ||
    filterShape.length !== 4
  )
    return null
  let info: tf.backend_util.Conv2DInfo
  try {
    info = backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      attrs.strides as number | [number, number],
      (attrs.dilations as number | [number, number] | undefined) ?? 1,
      attrs.pad as 'same',
      attrs.dimRoundingMode as 'floor' | undefined,
      false,
      'channelsLast'
    )
  } catch {
    return null // the cpu kernel raises tfjs's own error
  }
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info
  const padTop = info.padInfo.top
  const padLeft = info.padInfo.left
  // oneDNN's output size is floor((H - KH + PT + PB) / SH) + 1: choose the bottom/right padding
  // that gives tfjs's output size (the tfjs padding can include rows no window reaches).
  const padBottom = Math.max(0, (oh - 1) * sh + kh - h - padTop)
  const padRight = Math.max(0, (ow - 1) * sw + kw - w - padLeft)
  if (
    Math.floor((h - kh + padTop + padBottom) / sh) + 1 !== oh ||
    Math.floor((w - kw + padLeft + padRight) / sw) + 1 !== ow
  )
    return null
  if (
    [n, h, w, ci, oh, ow, co, kh, kw, sh, sw].some((d) => !(d > 0)) ||
    padTop < 0 ||
    padLeft < 0 ||
    padTop >= kh ||
    padLeft >= kw
  )
    return null
  const params = packConvParams({
    n,
    h,
    w,
    ci,
    oh,
    ow,
    co,
    kh,
    kw,
    sh,
    sw,
    padTop,
    padLeft,
    padBottom,
    padRight,
    activation,
    hasBias: +hasBias,
    layout: layoutOverride ?? 0
  })
  return { params, info }
}

let layoutOverride: number | null = null
/**
 * For benchmarks: the activation layout of conv primitives: 0 keeps NHWC (no reorders of
 * activations; the default, measured in scripts/kernel-bench.ts), 1 lets oneDNN pick a blocked
 * layout and reorders in and out; null: the default.
 */
export function setNativeConvLayout(layout: 0 | 1 | null): void {
  layoutOverride = layout
}

/** What each conv kernel reads, how its conv is planned, and which addon call produces which output. */
interface ConvCase {
  readonly operands: (args: KernelArgs) => [tf.TensorInfo, tf.TensorInfo]
  /** x's and the filter's shapes of the convolution this kernel belongs to. */
  readonly shapes: (args: KernelArgs) => [ReadonlyArray<number>, ReadonlyArray<number>]
  readonly fused: boolean
  /** The shape it returns, and the given operand that must have the conv's output shape (if any). */
  readonly out: (info: tf.backend_util.Conv2DInfo) => Array<number>
  readonly dyIs?: (args: KernelArgs) => tf.TensorInfo
  readonly call: (
    lib: DnnlAddon,
    params: Int32Array,
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    alpha: number
  ) => void
}

const CONV: Readonly<Record<string, ConvCase>> = {
  [tf.Conv2D]: {
    operands: ({ inputs }) => [inputs.x, inputs.filter],
    shapes: ({ inputs }) => [inputs.x.shape, inputs.filter.shape],
    fused: false,
    out: (i) => i.outShape,
    call: (lib, p, x, w, _b, y) => lib.convForward(p, x, w, null, y)
  },
  [tf.FusedConv2D]: {
    operands: ({ inputs }) => [inputs.x, inputs.filter],
    shapes: ({ inputs }) => [inputs.x.shape, inputs.filter.shape],
    fused: true,
    out: (i) => i.outShape,
    call: (lib, p, x, w, b, y, alpha) => lib.convForward(p, x, w, b, y, alpha)
  },
  [tf.Conv2DBackpropInput]: {
    operands: ({ inputs }) => [inputs.dy, inputs.filter],
    shapes: ({ inputs, attrs }) => [attrs.inputShape as Array<number>, inputs.filter.shape],
    fused: false,
    out: (i) => i.inShape,
    dyIs: ({ inputs }) => inputs.dy,
    call: (lib, p, dy, w, _b, dx) => lib.convBackwardData(p, dy, w, dx)
  },
  [tf.Conv2DBackpropFilter]: {
    operands: ({ inputs }) => [inputs.x, inputs.dy],
    shapes: ({ inputs, attrs }) => [inputs.x.shape, attrs.filterShape as Array<number>],
    fused: false,
    out: (i) => [i.filterHeight, i.filterWidth, i.inChannels, i.outChannels],
    dyIs: ({ inputs }) => inputs.dy,
    call: (lib, p, x, dy, _b, dw) => lib.convBackwardWeights(p, x, dy, dw)
  }
}

function convKernel(name: string, count: Counter, lib: DnnlAddon): Kernel {
  const c = CONV[name]
  const fallback = cpuKernel(name)
  return (args) => {
    const act = c.fused ? activationCode(args.attrs) : Activation.linear
    const alpha = (args.attrs.leakyreluAlpha as number | undefined) ?? 0.2
    const [a, b] = c.operands(args)
    const av = f32(args.backend, a)
    const bv = f32(args.backend, b)
    const [xShape, wShape] = c.shapes(args)
    // the backward kernels' attrs carry no dilations: they are the forward conv's (1 where covered)
    const attrs = c.dyIs === undefined ? args.attrs : { ...args.attrs, dilations: 1 }
    const plan =
      av !== null && bv !== null && act !== undefined
        ? planConv(xShape, wShape, attrs, act, c.fused && args.inputs.bias != null)
        : null
    const biasV =
      c.fused && plan !== null ? channelBias(args.backend, args.inputs.bias, plan.info.outChannels, 4) : null
    const dyOk = plan !== null && (c.dyIs === undefined || util.arraysEqual(c.dyIs(args).shape, plan.info.outShape))
    if (plan === null || av === null || bv === null || biasV === 'unsupported' || !dyOk) {
      count(name, 'fallback')
      return fallback(args)
    }
    return tryNative(
      count,
      name,
      `${name}${plan.params.join(',')}:${alpha}`,
      () => {
        const shape = c.out(plan.info)
        const out = new Float32Array(util.sizeFromShape(shape))
        c.call(lib, plan.params, av, bv, biasV, out, act === Activation.leakyrelu ? alpha : 0)
        return args.backend.makeTensorInfo(shape, 'float32', out)
      },
      () => fallback(args)
    )
  }
}

/** The kernels this module computes with oneDNN. */
export const DNNL_KERNELS: ReadonlyArray<string> = [tf.BatchMatMul, tf._FusedMatMul, ...Object.keys(CONV)]

export const dnnlKernels = (count: Counter, lib: DnnlAddon): Array<[string, Kernel]> => [
  [tf.BatchMatMul, matmulKernel(tf.BatchMatMul, count, lib)],
  [tf._FusedMatMul, matmulKernel(tf._FusedMatMul, count, lib)],
  ...Object.keys(CONV).map((k): [string, Kernel] => [k, convKernel(k, count, lib)])
]
