// α-GAN on the ring of 8 Gaussians, composed from the terms: `npx tsx examples/alpha-gan-ring.ts`
import * as tf from '@tensorflow/tfjs'
import {
  adam,
  apply,
  classify,
  data,
  densityRatio,
  latentKL,
  named,
  neg,
  player,
  prior,
  reconstructionL1,
  scale,
  showUnicode,
  sum
} from '../src/core/index.ts'
import { chooseBackend, compileGame, readValues } from '../src/compile/index.ts'
import { mlp } from '../src/nets/index.ts'
import { ring, rng, sampleMixture } from '../src/data/toy.ts'
import { modeReport } from '../src/metrics/modes.ts'

console.log('backend:', (await chooseBackend({})).reason)
const [E, G] = [(x: typeof data) => apply('E', x), (z: typeof data) => apply('G', z)]
const nets = {
  E: mlp([2, 128, 128, 2], { hidden: 'leakyRelu', seed: 1 }),
  G: mlp([2, 128, 128, 2], { seed: 2 }),
  D: mlp([2, 128, 128, 1], { hidden: 'leakyRelu', seed: 3 }),
  C: mlp([2, 128, 128, 1], { hidden: 'leakyRelu', seed: 4 })
}
const objective = sum(
  named('recon', scale(1, reconstructionL1(data, G(E(data))))),
  named('ratio', neg(densityRatio('D', G(E(data))))),
  named('ratio(z)', neg(densityRatio('D', G(prior)))),
  named('latent', latentKL('C', E(data)))
)
const opt = adam(1e-3, 0.5, 0.999)
const game = {
  data: [2],
  prior: [2],
  nets: Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, n.signature])),
  players: [
    player('encoder-generator', ['E', 'G'], objective, { optimizer: opt }),
    player('data-critic', ['D'], classify('D', { real: data, fake: [G(E(data)), G(prior)] }), { optimizer: opt }),
    player('code-critic', ['C'], classify('C', { real: prior, fake: E(data) }), { optimizer: opt })
  ]
}
console.log(showUnicode(objective))
const step = compileGame(game, nets, { seed: 1 }),
  u = rng(1),
  mixture = ring(8, 2, 0.05)
for (let i = 1; i <= 600; i++) {
  const x = tf.tensor2d(sampleMixture(mixture, 256, u), [256, 2])
  const report = step.step(x)
  x.dispose()
  if (i % 100 === 0)
    console.log(
      i,
      JSON.stringify(await readValues(report), (_, v) => (typeof v === 'number' ? +v.toFixed(3) : v))
    )
}
const samples = tf.tidy(() => nets.G.apply(tf.randomNormal([2500, 2], 0, 1, 'float32', 7)))
const m = modeReport(mixture, (await samples.data()) as Float32Array)
console.log(`modes ${m.captured}/8, high quality ${(100 * m.highQuality).toFixed(1)}%, KL ${m.klToUniform.toFixed(3)}`)
