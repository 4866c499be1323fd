/**
 * Backend choice (DESIGN §6): `tensorflow` (@tensorflow/tfjs-node-gpu, else @tensorflow/tfjs-node)
 * when installed → `native` (oneDNN kernels, when built) → `wasm` (with the training kernels it
 * lacks, ./wasm-kernels.ts) → `cpu`. A requested backend overrides the order.
 */
import * as tf from '@tensorflow/tfjs'
import { nativeUnavailableReason, registerNativeBackend } from './native.ts'
import { registerWasmTrainingKernels } from './wasm-kernels.ts'

export { registerNativeBackend, nativeKernelStats, NATIVE_KERNELS } from './native.ts'
export { registerWasmTrainingKernels, missingWasmTrainingKernels } from './wasm-kernels.ts'

export const BACKEND_ORDER: ReadonlyArray<string> = ['tensorflow', 'native', 'wasm', 'cpu']

/** The kernels of `kernelNames` that `backend` has no implementation registered for. */
export function missingKernels (backend: string, kernelNames: ReadonlyArray<string>): Array<string> {
  return kernelNames.filter((k) => tf.getKernel(k, backend) === undefined)
}

function message (e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e)
}

/** Tries to make `tensorflow` available by loading tfjs-node(-gpu); returns why not, or null. */
async function loadTensorflow (): Promise<string | null> {
  if (tf.findBackendFactory('tensorflow') != null) return null
  const errors: Array<string> = []
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg)
      if (tf.findBackendFactory('tensorflow') != null) return null
      errors.push(`${pkg} registered no backend`)
    } catch (e) {
      errors.push(`${pkg}: ${(e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ? 'not installed' : message(e)}`)
    }
  }
  return errors.join('; ')
}

let wasmLoaded: string | null | undefined
/** Loads the wasm backend and its training kernels; returns why not, or null. */
async function loadWasm (): Promise<string | null> {
  if (wasmLoaded !== undefined) return wasmLoaded
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    // The threaded build does not start under Node (DESIGN §7); SIMD does.
    wasm.setThreadsCount(1)
    registerWasmTrainingKernels()
    wasmLoaded = tf.findBackendFactory('wasm') != null ? null : 'tfjs-backend-wasm registered no backend'
  } catch (e) {
    wasmLoaded = `tfjs-backend-wasm failed to load: ${message(e)}`
  }
  return wasmLoaded
}

/** Makes `name` available (registers / loads it); returns why it cannot be, or null. */
async function prepare (name: string): Promise<string | null> {
  switch (name) {
    case 'tensorflow': return await loadTensorflow()
    case 'native': return (await registerNativeBackend()) ? null : nativeUnavailableReason()
    case 'wasm': return await loadWasm()
    default: return tf.findBackendFactory(name) != null ? null : `no backend named ${name} is registered`
  }
}

async function activate (name: string): Promise<string | null> {
  const why = await prepare(name)
  if (why !== null) return why
  try {
    if (await tf.setBackend(name)) {
      await tf.ready()
      if (tf.getBackend() === name) return null
    }
    return `tf.setBackend('${name}') failed`
  } catch (e) {
    return `tf.setBackend('${name}') failed: ${message(e)}`
  }
}

const WHY_CHOSEN: Record<string, string> = {
  tensorflow: 'tfjs-node (libtensorflow) installed',
  native: 'oneDNN kernels built',
  wasm: 'tfjs-backend-wasm with the added training kernels',
  cpu: 'plain JavaScript kernels'
}

/**
 * Sets the tfjs backend: `requested` if given (an error naming it and the available ones if it
 * cannot be set), else the first of BACKEND_ORDER that works. Returns its name and why, e.g.
 * `{ name: 'wasm', reason: 'wasm: native addon not built (npm run setup:native)' }`.
 */
export async function selectBackend (requested?: string): Promise<{ name: string; reason: string }> {
  if (requested !== undefined && requested !== '') {
    const why = await activate(requested)
    if (why === null) return { name: requested, reason: `${requested}: requested` }
    const available: Array<string> = []
    for (const b of BACKEND_ORDER) {
      if (b !== requested && (await prepare(b)) === null) available.push(b)
    }
    throw new Error(`backend '${requested}' cannot be used (${why}); available: ${available.join(', ') || 'none'}`)
  }
  const skipped: Array<string> = []
  for (const b of BACKEND_ORDER) {
    const why = await activate(b)
    if (why === null) {
      const direct = skipped.length === 0 || b === 'native'
      return { name: b, reason: `${b}: ${direct ? WHY_CHOSEN[b] : skipped[skipped.length - 1]}` }
    }
    skipped.push(why)
  }
  throw new Error(`no tfjs backend could be set: ${skipped.join('; ')}`)
}
