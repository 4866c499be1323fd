/**
 * The `native` tfjs backend: the `cpu` backend (tensors as Float32Arrays, so every cpu kernel
 * still works) with the heavy training kernels replaced by oneDNN calls through the addon in
 * `native/` (built by `scripts/build-native.mjs`): matmuls and convolutions (./native-dnnl.ts).
 * Anything the addon does not handle goes to the cpu kernel, so results never depend on whether a
 * case is covered. This module loads the addon, counts kernel paths and registers the backend.
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
import { DNNL_KERNELS, dnnlKernels } from './native-dnnl.ts'
import type { DnnlAddon } from './native-dnnl.ts'
import { setNativeAdamLoop } from './adam.ts'
import type { AdamLoop } from './adam.ts'
import { registerConvKernels } from './native-conv.ts'
import { registerDenseKernels } from './native-dense.ts'
import { ELEMENTWISE_KERNELS, elementwiseKernels } from './native-elementwise.ts'
import type { ElementwiseAddon, Kernel } from './native-util.ts'

export { setNativeConvLayout } from './native-dnnl.ts'
export { setNativeFusedDense } from './native-dense.ts'

/** The addon's entry points (native/src/addon.cc). */
export interface NativeAddon extends DnnlAddon {
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
  /** Adam in place over Float32Arrays (native/src/elementwise.cc); absent from builds before it. */
  adam?: AdamLoop
  /** Convolutions split across the caller and a helper thread (native/src/split.cc); absent from builds before it. */
  setSplit?(on?: boolean, minMacs?: number): NativeSplit
  /** Backward data as matmul + col2im up to this many input channels (native/src/addon.cc); absent from builds before it. */
  setCol2imMaxChannels?(n?: number): number
}

/** Whether convolutions split in two halves of their batch on two threads, from what size, and how often they did. */
export interface NativeSplit {
  readonly on: boolean
  /** multiply-adds from which a convolution splits */
  readonly minMacs: number
  /** split calls so far */
  readonly calls: number
}

export const NATIVE_BACKEND = 'native'

/** The kernels this backend computes with oneDNN (others are the cpu backend's). */
export const NATIVE_KERNELS: ReadonlyArray<string> = DNNL_KERNELS

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

function count(kernel: string, path: 'native' | 'fallback'): void {
  let s = stats.get(kernel)
  if (s === undefined) {
    s = { native: 0, fallback: 0 }
    stats.set(kernel, s)
  }
  s[path]++
}

/** How many calls of each overridden kernel ran on oneDNN (or the backend's own loops), and how many fell back to cpu. */
export function nativeKernelStats(): Record<string, { native: number; fallback: number }> {
  return Object.fromEntries([...stats].map(([k, v]) => [k, { ...v }]))
}

export function resetNativeKernelStats(): void {
  stats.clear()
}

/**
 * oneDNN threads: 1 unless LOSS_ALGEBRA_NATIVE_THREADS says otherwise. With OpenMP's static
 * split, a kernel waits for its slowest thread: on our shared 2-core machines, when another
 * process holds one core, 2 threads took 136 ms for the mlp layers' kernels against 5.5 ms on
 * 1 thread (idle machine: 3.3 ms on 2 threads). One thread loses at most ~2× and never 25×.
 */
function defaultThreads(): number {
  const n = Number(process.env.LOSS_ALGEBRA_NATIVE_THREADS ?? '')
  return Number.isInteger(n) && n > 0 ? n : 1
}

/**
 * Splits each convolution of at least `minMacs` multiply-adds (default 4·10⁶) in two halves of its
 * batch, run at once on the caller's thread and a helper thread, each half single-threaded oneDNN
 * (native/src/split.cc): both cores without OpenMP, whose static split waits for a thread another
 * process holds. Only while oneDNN runs on one thread. On by default; LOSS_ALGEBRA_NATIVE_SPLIT=0
 * turns it off at load. Without arguments, reports the setting and the split calls so far.
 */
export function setNativeSplit(on?: boolean, minMacs?: number): NativeSplit | null {
  const lib = loadNativeAddon()
  return lib?.setSplit?.(on, minMacs) ?? null
}

/** Sets oneDNN's thread count (drops the cached primitives when it changes); returns it. */
export function setNativeThreads(n: number): number {
  const lib = loadNativeAddon()
  if (lib === null) throw new Error(`native backend unavailable: ${nativeUnavailableReason() ?? ''}`)
  return lib.setThreads(n)
}

/** Loads the addon (once). Null when it is not built, does not load, or LOSS_ALGEBRA_NO_NATIVE=1. */
export function loadNativeAddon(): NativeAddon | null {
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
    addon.setSplit?.(process.env.LOSS_ALGEBRA_NATIVE_SPLIT !== '0')
    setNativeAdamLoop(addon.adam?.bind(addon) ?? null)
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
export function nativeUnavailableReason(): string | null {
  return addon !== null ? null : (loadError ?? 'native addon not loaded yet')
}

// ---------------------------------------------------------------------------------------------
// Registration

class NativeBackend extends MathBackendCPU {
  constructor() {
    super()
    // The cpu backend's first write prints "install our node backend" under Node: not advice
    // that applies to this backend.
    const self = this as unknown as { firstUse: boolean }
    self.firstUse = false
  }
}

/** Registers, for `native`, every cpu kernel that `native` does not have yet (idempotent). */
function mirrorCpuKernels(): void {
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (NATIVE_KERNELS.includes(config.kernelName)) continue
    if (tf.getKernel(config.kernelName, NATIVE_BACKEND) !== undefined) continue
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND })
  }
}

function registerNativeKernels(lib: NativeAddon): void {
  const overrides: Array<[string, Kernel]> = dnnlKernels(count, lib)
  if (process.env.LOSS_ALGEBRA_NATIVE_ELEMENTWISE !== '0')
    overrides.push(...elementwiseKernels(count, lib), ...copyKernels(count))
  for (const [kernelName, f] of overrides) {
    if (tf.getKernel(kernelName, NATIVE_BACKEND) !== undefined) continue
    tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND, kernelFunc: f as unknown as tf.KernelFunc })
  }
  registerDenseKernels(count, lib)
  registerConvKernels()
}

/**
 * Registers the `native` backend when the oneDNN addon is built. Returns false (and registers
 * nothing) when it is not, or when LOSS_ALGEBRA_NO_NATIVE=1. Safe to call more than once; it does
 * not make `native` the active backend (selectBackend in ./index.ts does).
 */
export async function registerNativeBackend(): Promise<boolean> {
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
