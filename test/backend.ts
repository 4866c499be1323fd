/**
 * The backends the numeric tests run on: every one available here (cpu and wasm always, native when
 * the oneDNN addon is built, tensorflow when tfjs-node is installed), or the comma-separated list
 * in LOSS_ALGEBRA_TEST_BACKENDS.
 */
import * as tf from '@tensorflow/tfjs'

import { selectBackend } from '../src/backend/index.ts'

const probe = async (): Promise<ReadonlyArray<string>> => {
  const listed = process.env.LOSS_ALGEBRA_TEST_BACKENDS
  if (listed !== undefined && listed !== '') return listed.split(',').map((s) => s.trim())
  const out: Array<string> = []
  for (const b of ['cpu', 'wasm', 'native', 'tensorflow']) {
    try {
      await selectBackend(b)
      out.push(b)
    } catch {
      // not available here
    }
  }
  await tf.setBackend('cpu')
  return out
}

export const testBackends: ReadonlyArray<string> = await probe()

/** Sets a backend for a suite (throws if it cannot be set: a listed backend must work). */
export const useBackend = async (name: string): Promise<void> => {
  const chosen = await selectBackend(name)
  if (chosen.name !== name || tf.getBackend() !== name) throw new Error(`test backend "${name}" could not be set`)
}
