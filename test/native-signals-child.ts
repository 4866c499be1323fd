/**
 * Run by test/native-signals.test.ts in a child process under V8's sampling profiler (SIGPROF on the
 * main thread every few tens of microseconds): dense products large enough to split on two threads
 * (native/src/split.cc), along M and along N, transposed and not, for a few seconds; prints how many
 * products ran and how many split. A signal handled inside one of oneDNN's gemm:jit kernels corrupted
 * the process's heap (it aborts); the split blocks signals while it runs.
 */
import * as tf from '@tensorflow/tfjs'

import { setNativeSplit } from '../src/backend/native.ts'
import { prepare } from '../src/backend/select.ts'

const why = await prepare('native')
if (why !== null) {
  console.log(JSON.stringify({ error: why }))
  process.exit(3)
}
await tf.setBackend('native')
const before = setNativeSplit()?.calls ?? 0
const x = tf.randomNormal([64, 784], 0, 1, 'float32', 1)
const w = tf.randomNormal([784, 512], 0, 1, 'float32', 2)
const dy = tf.randomNormal([64, 512], 0, 1, 'float32', 3)
let products = 0
const end = performance.now() + Number(process.env.SECONDS ?? '3') * 1000
while (performance.now() < end) {
  tf.tidy(() => {
    tf.matMul(x, w) // along N
    tf.matMul(dy, w, false, true) // along N, B transposed
    tf.matMul(x, dy, true, false) // along M, A transposed
  })
  products += 3
}
tf.dispose([x, w, dy])
console.log(JSON.stringify({ products, splits: (setNativeSplit()?.calls ?? 0) - before }))
