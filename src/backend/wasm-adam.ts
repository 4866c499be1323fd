/**
 * Adam on `wasm` as one SIMD pass over the backend's heap (./wasm-adam.wat, assembled into
 * ./wasm-adam-binary.ts), instead of the dozen tensor ops, each a kernel call and a pass over every
 * parameter, that src/compile/optim.ts runs otherwise.
 *
 * The update is not made in place: XNNPACK caches each matmul's weights packed, keyed by the weight
 * tensor's data, so weights changed in place would not be seen (see ./adam.ts). The pass writes new
 * buffers, which the variables then take, as the tensor ops' update does. Its float32 operations are
 * the tensor ops' own, in their order, so both give the same floats (test/wasm-adam.test.ts).
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

import type { AdamKernel } from '../compile/optim.ts'
import { ADAM_MEMORY, ADAM_SHARED_MEMORY } from './wasm-adam-binary.ts'

type AdamPass = (
  w: number,
  g: number,
  m: number,
  v: number,
  w2: number,
  m2: number,
  v2: number,
  n: number,
  b1: number,
  a1: number,
  b2: number,
  a2: number,
  rate: number,
  epsilon: number
) => void

interface WasmInternals {
  wasm: { wasmMemory?: unknown; asm?: { memory?: unknown } }
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined }
}

const bytes = (base64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))

/** The pass instantiated over a backend's memory, or null where it cannot be (no memory found, no SIMD). */
const passes = new WeakMap<object, AdamPass | null>()

const instantiate = (backend: WasmInternals): AdamPass | null => {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory
  if (!(memory instanceof WebAssembly.Memory)) return null
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
  try {
    const module = new WebAssembly.Module(bytes(shared ? ADAM_SHARED_MEMORY : ADAM_MEMORY))
    const instance = new WebAssembly.Instance(module, { env: { memory } })
    return instance.exports.adam as AdamPass
  } catch {
    return null
  }
}

let enabled = true

/** Whether `wasm` runs Adam as the one pass (on by default); returns the old setting. For A/B timing and tests. */
export function setWasmAdam(on: boolean): boolean {
  const old = enabled
  enabled = on
  return old
}

/** Adam's update of w, m and v from g on `wasm`; `false` (nothing changed) elsewhere or where it cannot. */
export const wasmAdam: AdamKernel = (w, g, m, v, c) => {
  if (!enabled || tf.getBackend() !== 'wasm') return false
  if ([w, g, m, v].some((t) => t.dtype !== 'float32') || g.size !== w.size) return false
  const backend = tf.backend() as unknown as BackendWasm & WasmInternals
  let pass = passes.get(backend)
  if (pass === undefined) {
    pass = instantiate(backend)
    passes.set(backend, pass)
  }
  if (pass === null) return false
  const out = [w, m, v].map((t) => backend.makeOutput(t.shape, 'float32'))
  // offsets read after every allocation: an allocation may move nothing, but may grow the memory
  const at = (t: tf.TensorInfo): number => {
    const d = backend.dataIdMap.get(t.dataId)
    if (d === undefined) throw new Error('wasm Adam: a tensor without heap data')
    return d.memoryOffset
  }
  const { beta1, beta2, rate, epsilon } = c
  pass(
    at(w),
    at(g),
    at(m),
    at(v),
    at(out[0]),
    at(out[1]),
    at(out[2]),
    w.size,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    rate,
    epsilon
  )
  ;[w, m, v].forEach((x, i) => {
    const t = tf.engine().makeTensorFromTensorInfo(out[i])
    x.assign(t)
    t.dispose()
  })
  return true
}
