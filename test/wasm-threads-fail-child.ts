/**
 * Run by test/wasm-threads.test.ts in a child process: the threaded build starts, its thread pool
 * runs, and then the backend's construction fails (a `BackendWasm` that throws after the package's
 * constructor has made the pool). The fallback must take over with the reason said, and the threaded
 * module's workers must not keep Node alive: the child ends without process.exit.
 */
import * as tf from '@tensorflow/tfjs'
import * as wasmPackage from '@tensorflow/tfjs-backend-wasm'

import { useWasmThreads, wasmThreadStatus } from '../src/backend/wasm-threads.ts'

class Failing extends wasmPackage.BackendWasm {
  constructor(...a: ConstructorParameters<typeof wasmPackage.BackendWasm>) {
    super(...a)
    throw new Error('injected after the pool started')
  }
}

useWasmThreads({ ...wasmPackage, BackendWasm: Failing }, 2)
await tf.setBackend('wasm')
const sum = tf.sum(tf.tensor([1, 2, 3])).dataSync()[0]
console.log(JSON.stringify({ status: wasmThreadStatus(), pool: wasmPackage.getThreadsCount(), sum }))
