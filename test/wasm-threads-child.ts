/**
 * Run by test/wasm-threads.test.ts in a child process (the backend is chosen once per process): starts
 * `wasm` as the project does, prints its threads and how far a conv layer's and a dense layer's values
 * and gradients there are from `cpu`, and ends without process.exit, so the parent sees whether the
 * backend's threads let Node exit.
 */
import * as tf from '@tensorflow/tfjs'

import { prepare } from '../src/backend/select.ts'
import { wasmThreadStatus } from '../src/backend/wasm-threads.ts'

const shapes = { x: [6, 14, 14, 32], w: [4, 4, 32, 16], v: [7 * 7 * 16, 5] }
const values = Object.fromEntries(
  Object.entries(shapes).map(([k, s], i) => [k, tf.randomUniform(s, -1, 1, 'float32', 7 + i).dataSync()])
)

/** The loss and its gradients on the current backend, as plain arrays. */
const run = (): Array<Float32Array> =>
  tf.tidy(() => {
    const [x, w, v] = (['x', 'w', 'v'] as const).map((k) => tf.tensor(values[k], shapes[k]))
    const f = (x: tf.Tensor, w: tf.Tensor, v: tf.Tensor): tf.Scalar => {
      const h = tf.leakyRelu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), 0.2)
      return tf.sum(tf.tanh(tf.matMul(tf.reshape(h, [6, -1]), v as tf.Tensor2D)))
    }
    const { value, grads } = tf.valueAndGrads(f)([x, w, v])
    return [value, ...grads].map((t) => t.dataSync() as Float32Array)
  })

const why = await prepare('wasm')
if (why !== null) {
  console.log(JSON.stringify({ error: why }))
  process.exitCode = 3
} else {
  await tf.setBackend('cpu')
  const reference = run()
  await tf.setBackend('wasm')
  const got = run()
  let worst = 0
  reference.forEach((r, i) =>
    r.forEach((a, j) => {
      worst = Math.max(worst, Math.abs(a - got[i][j]) / (1e-3 + Math.abs(a)))
    })
  )
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  console.log(JSON.stringify({ status: wasmThreadStatus(), pool: wasm.getThreadsCount(), worst }))
}
