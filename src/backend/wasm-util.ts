/**
 * What the wasm training kernels share: the wasm backend's own kernels they wrap, a plain matmul,
 * and float32 views of the wasm heap.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

const { util } = tf

export interface WasmKernelArgs {
  inputs: Record<string, tf.TensorInfo>
  backend: BackendWasm
  attrs: tf.NamedAttrMap
}

/** The wasm backend's own kernel functions that this module wraps, by kernel name. */
export const originals = new Map<string, tf.KernelFunc>()
/** The kernel functions this module registered (to keep registration idempotent). */
export const ours = new WeakSet<object>()

export function originalKernel(name: string): tf.KernelFunc {
  const f = originals.get(name) ?? tf.getKernel(name, 'wasm')?.kernelFunc
  if (f === undefined) throw new Error(`wasm backend has no ${name} kernel`)
  return f
}

/** a × b with the wasm backend's BatchMatMul, no transposes (its fast path). */
export function plainMatMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return originalKernel(tf.BatchMatMul)({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false }
  }) as tf.TensorInfo
}

export function heapF32(backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  // A fresh view every time: any wasm allocation may grow (and detach) the heap.
  return backend.typedArrayFromHeap(t) as Float32Array
}

/** A new heap tensor holding t with its last two axes swapped (32×32 blocks, for the cache). */
export function transposeLast2(backend: BackendWasm, t: tf.TensorInfo): tf.TensorInfo {
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
