/**
 * Test setup: the backend the numeric tests run on. `LOSS_ALGEBRA_TEST_BACKEND=wasm npm test` runs
 * the law suite on another backend.
 */
import * as tf from '@tensorflow/tfjs'

export const testBackend = process.env.LOSS_ALGEBRA_TEST_BACKEND ?? 'cpu'

export const useTestBackend = async (): Promise<string> => {
  if (testBackend === 'wasm') await import('@tensorflow/tfjs-backend-wasm')
  if (!(await tf.setBackend(testBackend))) throw new Error(`test backend "${testBackend}" could not be set`)
  await tf.ready()
  return tf.getBackend()
}
