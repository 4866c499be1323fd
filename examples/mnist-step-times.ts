/**
 * ms per α-GAN step on image data, with the reference `mlp` and `conv` nets of bench/ARCHITECTURES.md
 * and batches of 64 real images from the training split:
 *
 *   npx tsx examples/mnist-step-times.ts <native | wasm | cpu> [mnist | stackedMnist]
 *
 * One JSON line per architecture: wall-clock and process-CPU milliseconds per step (CPU time is the
 * steadier figure on a shared machine), and the tensors a step leaves behind (0).
 */
import * as tf from '@tensorflow/tfjs'

import { selectBackend } from '../src/backend/index.ts'
import { compileGame, readValues } from '../src/compile/step.ts'
import type { StepReport } from '../src/compile/step.ts'
import { adam } from '../src/core/Game.ts'
import { batcher } from '../src/data/batches.ts'
import { imageSet } from '../src/data/images.ts'
import { alphaGan } from '../src/models/index.ts'
import { disposeAll, referenceNets, Z_DIM } from '../src/nets/index.ts'

const backend = process.argv[2] ?? 'native'
const kind = process.argv[3] === 'stackedMnist' ? 'stackedMnist' : 'mnist'
await selectBackend(backend)
const set = imageSet({ kind }, 'train', 1)

for (const arch of ['mlp', 'conv'] as const) {
  const nets = referenceNets(arch, { seed: 1, channels: set.shape[2] })
  const signatures = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, n.signature]))
  const game = alphaGan(
    { data: set.shape, prior: [Z_DIM], nets: signatures, optimizer: adam(2e-4, 0.5, 0.999) },
    { lambda: 1 }
  )
  const compiled = compileGame(game, nets, { seed: 1 })
  const batches = batcher(set, 64, { seed: 1 })
  const step = (): StepReport => {
    const x = batches.next()
    const r = compiled.step(x)
    x.dispose()
    return r
  }
  for (let i = 0; i < 3; i++) await readValues(step())
  const n = arch === 'conv' && backend !== 'native' ? 10 : 30
  const before = tf.memory().numTensors
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let last = step()
  for (let i = 1; i < n; i++) last = step()
  const values = await readValues(last)
  const wall = (performance.now() - t0) / n
  const cpu = process.cpuUsage(cpu0)
  console.log(
    JSON.stringify({
      backend: tf.getBackend(),
      kind,
      arch,
      steps: n,
      msPerStepWall: +wall.toFixed(1),
      cpuMsPerStep: +((cpu.user + cpu.system) / 1000 / n).toFixed(1),
      leakedTensors: tf.memory().numTensors - before,
      loss: +values['encoder-generator'].toFixed(3)
    })
  )
  compiled.dispose()
  disposeAll(nets)
}
