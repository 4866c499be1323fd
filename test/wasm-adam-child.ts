/**
 * Run by test/wasm-adam.test.ts in a child process (the wasm build is chosen once per process, by
 * LOSS_ALGEBRA_WASM_THREADS): Adam's update through the one-pass kernel and through tensor ops, from
 * the same weights and gradients over several steps, on sizes with every remainder mod 4; prints
 * whether the pass ran, on which memory, how many floats differ, what a matmul sees after the
 * update, and the tensors and buffers left behind.
 */
import * as tf from '@tensorflow/tfjs'

import { prepare } from '../src/backend/select.ts'
import { wasmAdam } from '../src/backend/wasm-adam.ts'
import { adamUpdater, type AdamKernel } from '../src/compile/optim.ts'

const why = await prepare('wasm')
if (why !== null) {
  console.log(JSON.stringify({ error: why }))
  process.exit(3)
}
await tf.setBackend('wasm')
const memory = tf.memory()
const shapes = [[1], [3], [4], [5], [2, 3], [37], [64, 33], [4099]]
let ran = 0
const counted: AdamKernel = (...a) => {
  const done = wasmAdam(...a)
  if (done) ran++
  return done
}
/** The weights after `steps` updates from fixed starting weights and per-step gradients, as plain arrays. */
const train = (kernel: AdamKernel | undefined, steps: number): Array<Float32Array> => {
  const vars = shapes.map((s, i) => tf.tidy(() => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 1 + i))))
  const u = adamUpdater(vars, 0.01, 0.5, 0.999, kernel)
  for (let t = 0; t < steps; t++) {
    // seeds from 1: tfjs reads seed 0 as "unseeded"
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1 + t, 'float32', 1 + 100 * t + i))
    u.apply(grads)
    tf.dispose(grads)
  }
  const out = [...vars, ...u.slots].map((x) => x.dataSync() as Float32Array)
  u.dispose()
  tf.dispose(vars)
  return out
}
const reference = train(undefined, 5)
const got = train(counted, 5)
let differ = 0
reference.forEach((r, i) => r.forEach((x, j) => (differ += Object.is(x, got[i][j]) ? 0 : 1)))

// a matmul packs its weights (XNNPACK caches them by tensor); after the update it must see the new ones
const w = tf.tidy(() => tf.variable(tf.randomNormal([33, 40], 0, 1, 'float32', 7)))
const x = tf.randomNormal([3, 33], 0, 1, 'float32', 8)
tf.dispose(tf.matMul(x, w))
const u = adamUpdater([w], 0.1, 0.5, 0.999, counted)
const g = tf.onesLike(w)
u.apply([g])
const after = tf.matMul(x, w)
const fresh = tf.tensor(w.dataSync(), w.shape)
const expected = tf.matMul(x, fresh)
const stale = tf.tidy(() => tf.max(tf.abs(tf.sub(after, expected))).dataSync()[0])
tf.dispose([w, x, g, after, fresh, expected])
u.dispose()

const left = tf.memory()
const backend = tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory } }
console.log(
  JSON.stringify({
    ran,
    shared: backend.wasm.wasmMemory?.buffer instanceof SharedArrayBuffer,
    floats: reference.reduce((n, r) => n + r.length, 0),
    differ,
    stale,
    tensorsLeft: left.numTensors - memory.numTensors,
    buffersLeft: left.numDataBuffers - memory.numDataBuffers
  })
)
