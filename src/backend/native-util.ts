/**
 * What the `native` backend's TypeScript kernels share: the float32 view of a tensor, output
 * buffers without zero-filling, the cpu kernel each fast path falls back to, and the size from
 * which the addon's loops beat the N-API call.
 */
import * as tf from '@tensorflow/tfjs'
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'

type Inputs = Record<string, tf.TensorInfo>
export interface KernelArgs {
  inputs: Inputs
  backend: MathBackendCPU
  attrs: tf.NamedAttrMap
}
export type Kernel = (args: KernelArgs) => tf.TensorInfo | Array<tf.TensorInfo>
export type Counter = (kernel: string, path: 'native' | 'fallback') => void

/** The addon's element-wise entry points (native/src/elementwise.cc). */
export interface ElementwiseAddon {
  binary(
    op: number,
    mode: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array | Uint8Array,
    outer: number,
    inner: number
  ): void
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void
  select(condition: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void
  reduceSum(x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number, divisor: number): void
  /** dz = dy ⊙ act′(y), db = Σ_rows dz over [m, n] (native/src/elementwise.cc); absent from builds before it. */
  denseGrad?(
    act: number,
    alpha: number,
    dy: Float32Array,
    y: Float32Array | null,
    dz: Float32Array,
    db: Float32Array,
    m: number,
    n: number
  ): void
}

/** Tensors of at least this many elements are computed by the addon, when it has these kernels. */
let NATIVE_MIN_ELEMENTS = 4096

/** Whether a tensor of `n` elements goes to the addon's loops. */
export const useAddon = (n: number): boolean => n >= NATIVE_MIN_ELEMENTS

/** For tests and benchmarks: the size from which the addon computes (Infinity: never). */
export function setNativeMinElements(n: number): void {
  NATIVE_MIN_ELEMENTS = n
}

/** A float32 (or bool) output buffer; large ones skip zero-filling, as every element is written. */
export function allocF32(n: number): Float32Array {
  if (n < 16384) return new Float32Array(n)
  const b = Buffer.allocUnsafeSlow(4 * n)
  return new Float32Array(b.buffer, b.byteOffset, n)
}

export function allocU8(n: number): Uint8Array {
  if (n < 65536) return new Uint8Array(n)
  const b = Buffer.allocUnsafeSlow(n)
  return new Uint8Array(b.buffer, b.byteOffset, n)
}

/** The float32 values of a tensor on the cpu-family backends, or null (other dtypes). */
export function f32(backend: MathBackendCPU, t: tf.TensorInfo | undefined | null): Float32Array | null {
  if (t == null || t.dtype !== 'float32') return null
  const v = backend.data.get(t.dataId)?.values
  return v instanceof Float32Array ? v : null
}

/** The cpu kernel of the same name (every fast path's fallback). */
export function cpuKernel(name: string): Kernel {
  const k = tf.getKernel(name, 'cpu')
  if (k === undefined) throw new Error(`cpu backend has no kernel ${name}`)
  return k.kernelFunc as unknown as Kernel
}
