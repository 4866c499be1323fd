/**
 * The `native` tfjs backend: the `cpu` backend (tensors as Float32Arrays, so every cpu kernel
 * still works) with the heavy training kernels replaced by oneDNN calls through the addon in
 * `native/` (built by `scripts/build-native.mjs`; DESIGN §6).
 *
 * Overridden: BatchMatMul (every tfjs matMul), _FusedMatMul (bias + relu / leakyrelu / elu /
 * relu6 / sigmoid / linear), Conv2D, FusedConv2D, Conv2DBackpropInput (also conv2dTranspose's
 * forward pass) and Conv2DBackpropFilter. Anything the addon does not handle (NCHW, dilations,
 * non-float32, prelu, odd broadcasts) goes to the cpu kernel, so results never depend on
 * whether a case is covered.
 *
 * Also overridden (./native-elementwise.ts): the element-wise binary and unary ops, Select, Sum
 * and Mean, whose generic cpu kernels otherwise dominate a training step (10× the matmuls on the
 * reference mlp): TypeScript loops for small tensors, the addon's vectorised C++ loops for large
 * ones, with the cpu kernels' exact values; other dtypes and broadcasts go to the cpu kernel.
 */
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'
import { COPY_KERNELS, copyKernels } from './native-copy.ts'
import { cpuKernel, ELEMENTWISE_KERNELS, elementwiseKernels, f32, type ElementwiseAddon } from './native-elementwise.ts'

const { backend_util, broadcast_util, util } = tf

/** The addon's entry points (native/src/addon.cc). */
export interface NativeAddon {
  matmul(params: Int32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, alpha?: number): void
  convForward(params: Int32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, alpha?: number): void
  convBackwardData(params: Int32Array, dy: Float32Array, w: Float32Array, dx: Float32Array): void
  convBackwardWeights(params: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void
  implementation(op: string, params: Int32Array, alpha?: number): string | null
  info(): { version: string; cpuRuntime: number; threads: number; cachedPrimitives: number }
  setThreads(n: number): number
  clearCache(): void
  /** Element-wise kernels (native/src/elementwise.cc); absent from builds before them. */
  binary?: ElementwiseAddon['binary']
  unary?: ElementwiseAddon['unary']
  select?: ElementwiseAddon['select']
  reduceSum?: ElementwiseAddon['reduceSum']
  tuneMalloc?(mmapThreshold?: number, trimThreshold?: number): boolean
}

export const NATIVE_BACKEND = 'native'

/** The kernels this backend computes with oneDNN (others are the cpu backend's). */
export const NATIVE_KERNELS: ReadonlyArray<string> = [
  tf.BatchMatMul, tf._FusedMatMul, tf.Conv2D, tf.FusedConv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter
]

/**
 * The element-wise, Select, Sum and Mean kernels this backend computes with its own TypeScript
 * loops (./native-elementwise.ts), falling back to cpu outside their fast paths. Not registered
 * when LOSS_ALGEBRA_NATIVE_ELEMENTWISE=0 (for comparisons).
 */
export const NATIVE_JS_KERNELS: ReadonlyArray<string> = [...ELEMENTWISE_KERNELS, ...COPY_KERNELS]

const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/loss_algebra_native.node', import.meta.url))

let addon: NativeAddon | null = null
let loadError: string | null = null

/** Per-kernel counts of calls served by oneDNN and calls handed to the cpu kernel. */
const stats = new Map<string, { native: number; fallback: number }>()

function count (kernel: string, path: 'native' | 'fallback'): void {
  let s = stats.get(kernel)
  if (s === undefined) {
    s = { native: 0, fallback: 0 }
    stats.set(kernel, s)
  }
  s[path]++
}

/** How many calls of each overridden kernel ran on oneDNN (or the backend's own loops), and how many fell back to cpu. */
export function nativeKernelStats (): Record<string, { native: number; fallback: number }> {
  return Object.fromEntries([...stats].map(([k, v]) => [k, { ...v }]))
}

export function resetNativeKernelStats (): void {
  stats.clear()
}

/**
 * oneDNN threads: 1 unless LOSS_ALGEBRA_NATIVE_THREADS says otherwise. With OpenMP's static
 * split, a kernel waits for its slowest thread: on our shared 2-core machines, when another
 * process holds one core, 2 threads took 136 ms for the mlp layers' kernels against 5.5 ms on
 * 1 thread (idle machine: 3.3 ms on 2 threads). One thread loses at most ~2× and never 25×.
 */
function defaultThreads (): number {
  const n = Number(process.env.LOSS_ALGEBRA_NATIVE_THREADS ?? '')
  return Number.isInteger(n) && n > 0 ? n : 1
}

/** Sets oneDNN's thread count (drops the cached primitives when it changes); returns it. */
export function setNativeThreads (n: number): number {
  const lib = loadNativeAddon()
  if (lib === null) throw new Error(`native backend unavailable: ${nativeUnavailableReason() ?? ''}`)
  return lib.setThreads(n)
}

/** Loads the addon (once). Null when it is not built, does not load, or LOSS_ALGEBRA_NO_NATIVE=1. */
export function loadNativeAddon (): NativeAddon | null {
  if (addon !== null) return addon
  if (process.env.LOSS_ALGEBRA_NO_NATIVE === '1') {
    loadError = 'disabled by LOSS_ALGEBRA_NO_NATIVE=1'
    return null
  }
  if (!existsSync(ADDON_PATH)) {
    loadError = 'native addon not built (npm run setup:native)'
    return null
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon
    loadError = null
    addon.setThreads(defaultThreads())
    // Opt-in (LOSS_ALGEBRA_NATIVE_MALLOC=1): keep freed tensor buffers in the malloc heap (glibc
    // mallopt), so that large tensors do not each get a fresh mmap whose pages fault on first
    // write. It makes native conv steps ~8% faster, but it is process-wide and made the `cpu`
    // backend 3× slower in the same process (models test: 24 s → 74 s, 26 s of it in the
    // kernel), and glibc's adaptive threshold cannot be restored once set: off by default.
    if (process.env.LOSS_ALGEBRA_NATIVE_MALLOC === '1') addon.tuneMalloc?.()
  } catch (e) {
    loadError = `native addon does not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`
  }
  return addon
}

/** Why the addon is unavailable (null once it has loaded). */
export function nativeUnavailableReason (): string | null {
  return addon !== null ? null : loadError ?? 'native addon not loaded yet'
}

// ---------------------------------------------------------------------------------------------
// Kernel helpers

type Attrs = tf.NamedAttrMap
type Inputs = Record<string, tf.TensorInfo>
interface KernelArgs { inputs: Inputs; backend: MathBackendCPU; attrs: Attrs }

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, leakyrelu: 2, sigmoid: 3, elu: 4, relu6: 5 }

/** A bias the addon can add: one value per output channel / column, any leading 1s. */
function channelBias (backend: MathBackendCPU, bias: tf.TensorInfo | undefined, channels: number, outRank: number): Float32Array | null | 'unsupported' {
  if (bias == null) return null
  const ok = bias.shape.length <= outRank && bias.shape.length >= 1 && bias.shape[bias.shape.length - 1] === channels &&
    util.sizeFromShape(bias.shape) === channels
  const v = ok ? f32(backend, bias) : null
  return v ?? 'unsupported'
}

/** Runs the addon; on an addon error (a shape oneDNN rejects) falls back and remembers it. */
const rejected = new Set<string>()
function tryNative (kernel: string, key: string, f: () => tf.TensorInfo, fallback: () => tf.TensorInfo | Array<tf.TensorInfo>): tf.TensorInfo | Array<tf.TensorInfo> {
  if (!rejected.has(key)) {
    try {
      const out = f()
      count(kernel, 'native')
      return out
    } catch (e) {
      rejected.add(key)
      if (process.env.LOSS_ALGEBRA_NATIVE_VERBOSE === '1') {
        console.warn(`loss-algebra native: ${kernel} falls back to cpu for ${key}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
  }
  count(kernel, 'fallback')
  return fallback()
}

// ---------------------------------------------------------------------------------------------
// Matmul

interface MatmulPlan { params: Int32Array; outShape: Array<number>; size: number }

function planMatmul (a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, hasBias: boolean, act: number): MatmulPlan | null {
  const ra = a.shape.length
  const rb = b.shape.length
  if (ra < 2 || rb < 2) return null
  const innerA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
  const innerB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2]
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
  if (innerA !== innerB || M === 0 || N === 0 || innerA === 0) return null
  const outerA = a.shape.slice(0, -2)
  const outerB = b.shape.slice(0, -2)
  const batchA = util.sizeFromShape(outerA)
  const batchB = util.sizeFromShape(outerB)
  let outer: Array<number>
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB)
  } catch {
    return null // the cpu kernel raises tfjs's own error
  }
  const batch = Math.max(batchA, batchB)
  // Only the broadcasts the flattened [batch, M, N] view expresses: equal batches, or one side 1.
  if ((batchA !== batchB && batchA !== 1 && batchB !== 1) || util.sizeFromShape(outer) !== batch) return null
  const params = Int32Array.from([batchA, batchB, M, innerA, N, transposeA ? 1 : 0, transposeB ? 1 : 0, hasBias ? 1 : 0, act])
  return { params, outShape: [...outer, M, N], size: batch * M * N }
}

function batchMatMul (args: KernelArgs, lib: NativeAddon): tf.TensorInfo | Array<tf.TensorInfo> {
  const { a, b } = args.inputs
  const transposeA = args.attrs.transposeA === true
  const transposeB = args.attrs.transposeB === true
  const av = f32(args.backend, a)
  const bv = f32(args.backend, b)
  const plan = av !== null && bv !== null ? planMatmul(a, b, transposeA, transposeB, false, 0) : null
  const fallback = (): tf.TensorInfo | Array<tf.TensorInfo> => cpuKernel(tf.BatchMatMul)(args)
  if (plan === null || av === null || bv === null) {
    count(tf.BatchMatMul, 'fallback')
    return fallback()
  }
  return tryNative(tf.BatchMatMul, `mm${plan.params.join(',')}`, () => {
    const out = new Float32Array(plan.size)
    lib.matmul(plan.params, av, bv, null, out)
    return args.backend.makeTensorInfo(plan.outShape, 'float32', out)
  }, fallback)
}

function fusedMatMul (args: KernelArgs, lib: NativeAddon): tf.TensorInfo | Array<tf.TensorInfo> {
  const { a, b, bias } = args.inputs
  const transposeA = args.attrs.transposeA === true
  const transposeB = args.attrs.transposeB === true
  const activation = (args.attrs.activation as string | undefined) ?? 'linear'
  const alpha = (args.attrs.leakyreluAlpha as number | undefined) ?? 0.2
  const act = ACTIVATIONS[activation]
  const fallback = (): tf.TensorInfo | Array<tf.TensorInfo> => cpuKernel(tf._FusedMatMul)(args)
  const av = f32(args.backend, a)
  const bv = f32(args.backend, b)
  const plan = av !== null && bv !== null && act !== undefined ? planMatmul(a, b, transposeA, transposeB, bias != null, act) : null
  const biasV = plan !== null ? channelBias(args.backend, bias, plan.outShape[plan.outShape.length - 1], plan.outShape.length) : null
  if (plan === null || av === null || bv === null || biasV === 'unsupported') {
    count(tf._FusedMatMul, 'fallback')
    return fallback()
  }
  return tryNative(tf._FusedMatMul, `fmm${plan.params.join(',')}:${alpha}`, () => {
    const out = new Float32Array(plan.size)
    lib.matmul(plan.params, av, bv, biasV, out, act === 2 ? alpha : 0)
    return args.backend.makeTensorInfo(plan.outShape, 'float32', out)
  }, fallback)
}

// ---------------------------------------------------------------------------------------------
// Convolutions

/**
 * The addon's conv parameters for an NHWC conv with HWIO filter, or null when the addon does
 * not handle it. [N, H, W, CI, OH, OW, CO, KH, KW, SH, SW, PT, PL, PB, PR, act, hasBias, layout]
 */
function convParams (xShape: ReadonlyArray<number>, filterShape: ReadonlyArray<number>, attrs: Attrs, act: number, hasBias: boolean): { params: Int32Array; info: tf.backend_util.Conv2DInfo } | null {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC'
  if (dataFormat !== 'NHWC' || xShape.length !== 4 || filterShape.length !== 4) return null
  const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1
  let info: tf.backend_util.Conv2DInfo
  try {
    info = backend_util.computeConv2DInfo(
      xShape as [number, number, number, number], filterShape as [number, number, number, number],
      attrs.strides as number | [number, number], dilations, attrs.pad as 'same',
      attrs.dimRoundingMode as 'floor' | undefined, false, 'channelsLast')
  } catch {
    return null // the cpu kernel raises tfjs's own error
  }
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info
  const PT = info.padInfo.top
  const PL = info.padInfo.left
  // oneDNN's output size is floor((H - KH + PT + PB) / SH) + 1: choose the bottom/right padding
  // that gives tfjs's output size (the tfjs padding can include rows no window reaches).
  const PB = Math.max(0, (OH - 1) * SH + KH - H - PT)
  const PR = Math.max(0, (OW - 1) * SW + KW - W - PL)
  if (Math.floor((H - KH + PT + PB) / SH) + 1 !== OH || Math.floor((W - KW + PL + PR) / SW) + 1 !== OW) return null
  const dims = [N, H, W, CI, OH, OW, CO, KH, KW, SH, SW]
  if (dims.some((d) => !(d > 0)) || PT < 0 || PL < 0 || PT >= KH || PL >= KW) return null
  return { params: Int32Array.from([...dims, PT, PL, PB, PR, act, hasBias ? 1 : 0, convLayout(info)]), info }
}

/**
 * Activation layout the primitive computes in: 0 keeps NHWC (no reorders of activations), 1 lets
 * oneDNN pick a blocked layout and reorders in and out. Measured in scripts/kernel-bench.ts.
 */
function convLayout (_info: tf.backend_util.Conv2DInfo): number {
  return layoutOverride ?? 0
}

let layoutOverride: number | null = null
/** For benchmarks: force the activation layout of conv primitives (null: the default rule). */
export function setNativeConvLayout (layout: 0 | 1 | null): void {
  layoutOverride = layout
}

function conv2D (args: KernelArgs, lib: NativeAddon, fused: boolean): tf.TensorInfo | Array<tf.TensorInfo> {
  const { x, filter, bias } = args.inputs
  const name = fused ? tf.FusedConv2D : tf.Conv2D
  const fallback = (): tf.TensorInfo | Array<tf.TensorInfo> => cpuKernel(name)(args)
  const activation = fused ? (args.attrs.activation as string | undefined) ?? 'linear' : 'linear'
  const alpha = (args.attrs.leakyreluAlpha as number | undefined) ?? 0.2
  const act = ACTIVATIONS[activation]
  const xv = f32(args.backend, x)
  const wv = f32(args.backend, filter)
  const plan = xv !== null && wv !== null && act !== undefined ? convParams(x.shape, filter.shape, args.attrs, act, fused && bias != null) : null
  const biasV = fused && plan !== null ? channelBias(args.backend, bias, plan.info.outChannels, 4) : null
  if (plan === null || xv === null || wv === null || biasV === 'unsupported') {
    count(name, 'fallback')
    return fallback()
  }
  return tryNative(name, `cf${plan.params.join(',')}:${alpha}`, () => {
    const out = new Float32Array(util.sizeFromShape(plan.info.outShape))
    lib.convForward(plan.params, xv, wv, biasV, out, act === 2 ? alpha : 0)
    return args.backend.makeTensorInfo(plan.info.outShape, 'float32', out)
  }, fallback)
}

function conv2DBackpropInput (args: KernelArgs, lib: NativeAddon): tf.TensorInfo | Array<tf.TensorInfo> {
  const { dy, filter } = args.inputs
  const fallback = (): tf.TensorInfo | Array<tf.TensorInfo> => cpuKernel(tf.Conv2DBackpropInput)(args)
  const inputShape = args.attrs.inputShape as Array<number>
  const dyv = f32(args.backend, dy)
  const wv = f32(args.backend, filter)
  const plan = dyv !== null && wv !== null ? convParams(inputShape, filter.shape, { ...args.attrs, dilations: 1 }, 0, false) : null
  if (plan === null || dyv === null || wv === null || !util.arraysEqual(dy.shape, plan.info.outShape)) {
    count(tf.Conv2DBackpropInput, 'fallback')
    return fallback()
  }
  return tryNative(tf.Conv2DBackpropInput, `cd${plan.params.join(',')}`, () => {
    const out = new Float32Array(util.sizeFromShape(plan.info.inShape))
    lib.convBackwardData(plan.params, dyv, wv, out)
    return args.backend.makeTensorInfo(plan.info.inShape, 'float32', out)
  }, fallback)
}

function conv2DBackpropFilter (args: KernelArgs, lib: NativeAddon): tf.TensorInfo | Array<tf.TensorInfo> {
  const { x, dy } = args.inputs
  const fallback = (): tf.TensorInfo | Array<tf.TensorInfo> => cpuKernel(tf.Conv2DBackpropFilter)(args)
  const filterShape = args.attrs.filterShape as Array<number>
  const xv = f32(args.backend, x)
  const dyv = f32(args.backend, dy)
  const plan = xv !== null && dyv !== null ? convParams(x.shape, filterShape, { ...args.attrs, dilations: 1 }, 0, false) : null
  if (plan === null || xv === null || dyv === null || !util.arraysEqual(dy.shape, plan.info.outShape)) {
    count(tf.Conv2DBackpropFilter, 'fallback')
    return fallback()
  }
  return tryNative(tf.Conv2DBackpropFilter, `cw${plan.params.join(',')}`, () => {
    const out = new Float32Array(util.sizeFromShape(filterShape))
    lib.convBackwardWeights(plan.params, xv, dyv, out)
    return args.backend.makeTensorInfo([...filterShape], 'float32', out)
  }, fallback)
}

// ---------------------------------------------------------------------------------------------
// Registration

class NativeBackend extends MathBackendCPU {
  constructor () {
    super()
    // The cpu backend's first write prints "install our node backend" under Node: not advice
    // that applies to this backend.
    const self = this as unknown as { firstUse: boolean }
    self.firstUse = false
  }
}

/** Registers, for `native`, every cpu kernel that `native` does not have yet (idempotent). */
function mirrorCpuKernels (): void {
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (NATIVE_KERNELS.includes(config.kernelName)) continue
    if (tf.getKernel(config.kernelName, NATIVE_BACKEND) !== undefined) continue
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND })
  }
}

function registerNativeKernels (lib: NativeAddon): void {
  const overrides: Array<[string, (args: KernelArgs) => tf.TensorInfo | Array<tf.TensorInfo>]> = [
    [tf.BatchMatMul, (a) => batchMatMul(a, lib)],
    [tf._FusedMatMul, (a) => fusedMatMul(a, lib)],
    [tf.Conv2D, (a) => conv2D(a, lib, false)],
    [tf.FusedConv2D, (a) => conv2D(a, lib, true)],
    [tf.Conv2DBackpropInput, (a) => conv2DBackpropInput(a, lib)],
    [tf.Conv2DBackpropFilter, (a) => conv2DBackpropFilter(a, lib)]
  ]
  if (process.env.LOSS_ALGEBRA_NATIVE_ELEMENTWISE !== '0') overrides.push(...elementwiseKernels(count, lib), ...copyKernels(count))
  for (const [kernelName, f] of overrides) {
    if (tf.getKernel(kernelName, NATIVE_BACKEND) !== undefined) continue
    tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND, kernelFunc: f as unknown as tf.KernelFunc })
  }
}

/**
 * Registers the `native` backend when the oneDNN addon is built. Returns false (and registers
 * nothing) when it is not, or when LOSS_ALGEBRA_NO_NATIVE=1. Safe to call more than once; it does
 * not make `native` the active backend (selectBackend in ./index.ts does).
 */
export async function registerNativeBackend (): Promise<boolean> {
  const lib = loadNativeAddon()
  if (lib === null) return false
  if (tf.findBackendFactory(NATIVE_BACKEND) == null) {
    // Priority 0: never chosen implicitly over cpu/wasm by tf.ready(); selectBackend chooses it.
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0)
  }
  registerNativeKernels(lib)
  mirrorCpuKernels()
  return true
}
