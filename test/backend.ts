/**
 * The backends the numeric tests run on: every one available here (cpu and wasm always, native when
 * the oneDNN addon is built, tensorflow when tfjs-node is installed), or the comma-separated list
 * in LOSS_ALGEBRA_TEST_BACKENDS.
 */
import * as tf from '@tensorflow/tfjs'

import { registerNativeBackend, selectBackend } from '../src/backend/index.ts'

/**
 * Which backends exist, without starting any: starting wasm early slows the cpu backend's large
 * allocations in the same process (a cpu conv suite went from 15 s to 53 s), so the cpu suites run
 * before wasm starts.
 */
const probe = async (): Promise<ReadonlyArray<string>> => {
  const listed = process.env.LOSS_ALGEBRA_TEST_BACKENDS
  if (listed !== undefined && listed !== '') return listed.split(',').map((s) => s.trim())
  const out = ['cpu']
  try {
    await import('@tensorflow/tfjs-backend-wasm')
    if (tf.findBackendFactory('wasm') != null) out.push('wasm')
  } catch {
    // not installed
  }
  if (await registerNativeBackend()) out.push('native')
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg)
      out.push('tensorflow')
      break
    } catch {
      // optional, usually absent
    }
  }
  return out
}

export const testBackends: ReadonlyArray<string> = await probe()

/** Sets a backend for a suite (throws if it cannot be set: a listed backend must work). */
export const useBackend = async (name: string): Promise<void> => {
  const chosen = await selectBackend(name)
  if (chosen.name !== name || tf.getBackend() !== name) throw new Error(`test backend "${name}" could not be set`)
}
