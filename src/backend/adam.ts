/**
 * One pass of Adam over a variable's own memory, where the backend lets us reach it and nothing caches
 * it (`cpu`, `native`: Float32Arrays). tfjs's Adam makes about a dozen passes over every parameter,
 * with a new tensor each; this makes one and allocates nothing: in the addon's C++ loop on `native`
 * (when built with it), else in JavaScript, with the same floats either way (both compute in double).
 *
 * Only when the variable, its moments and its gradient are float32 and the variable's data is not
 * shared (backend refCount 1: no clone of it would see the update); otherwise it reports `false`
 * and the caller does the update with tensor ops.
 */
import * as tf from '@tensorflow/tfjs'

import type { AdamCoefficients, AdamKernel } from '../compile/optim.ts'

export type { AdamCoefficients }

interface ArrayBackend {
  refCount(dataId: object): number
  data: { get(dataId: object): { values?: unknown } | undefined }
}

const view = (backend: ArrayBackend, t: tf.Tensor): Float32Array | null => {
  if (t.dtype !== 'float32') return null
  const v = backend.data.get(t.dataId)?.values
  return v instanceof Float32Array && v.length === t.size ? v : null
}

/**
 * Not `wasm`: its matmul caches XNNPACK operators with the weights packed, keyed by the weights'
 * tensor, so weights changed in place are not seen by the next matmul (training silently goes wrong).
 * There Adam's one pass writes new buffers instead (./wasm-adam.ts).
 */
const SUPPORTED = new Set(['cpu', 'native'])

/** A vectorised Adam loop over Float32Arrays, with the JavaScript loop's arithmetic. */
export type AdamLoop = (
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  beta1: number,
  beta2: number,
  rate: number,
  epsilon: number
) => void

let nativeLoop: AdamLoop | null = null

/** Set by ./native.ts when the addon loads (this module stays free of Node imports: the playground bundles it). */
export function setNativeAdamLoop(loop: AdamLoop | null): void {
  nativeLoop = loop
}

/** The loop `native` runs Adam with, if the addon has one. */
export const nativeAdamLoop = (): AdamLoop | null => nativeLoop

/** Updates `w`, `m` and `v` in place from gradient `g`; `false` (nothing changed) where it cannot. */
export const adamInPlace: AdamKernel = (w, g, m, v, c) => {
  const name = tf.getBackend()
  if (!SUPPORTED.has(name)) return false
  const backend = tf.backend() as unknown as ArrayBackend
  for (const t of [w, m, v]) if (backend.refCount(t.dataId) !== 1) return false
  const W = view(backend, w)
  const G = view(backend, g)
  const M = view(backend, m)
  const V = view(backend, v)
  if (W === null || G === null || M === null || V === null || G.length !== W.length) return false
  const { beta1, beta2, rate, epsilon } = c
  const loop = name === 'native' ? nativeAdamLoop() : null
  if (loop != null) {
    // the same arithmetic in C++ (vectorised): ~8× faster on a million parameters
    loop(W, G, M, V, beta1, beta2, rate, epsilon)
    return true
  }
  const a1 = 1 - beta1
  const a2 = 1 - beta2
  for (let i = 0; i < W.length; i++) {
    const gi = G[i]
    const mi = beta1 * M[i] + a1 * gi
    const vi = beta2 * V[i] + a2 * gi * gi
    M[i] = mi
    V[i] = vi
    W[i] -= (rate * mi) / (Math.sqrt(vi) + epsilon)
  }
  return true
}
