/**
 * The independent Wasserstein critic (Danihelka et al. 2017, used by the α-GAN paper): after
 * training, a fresh critic with a gradient penalty (WGAN-GP) learns to tell training data from the
 * generator's samples; the score is its estimate E[W(x)] − E[W(G(z))] on held-out data against
 * fresh samples. Lower is better; it grows with poor samples and with memorised training data.
 *
 * The critic's objective is the project's own algebra, compiled like any game: one player W
 * minimising `classify(W, {real: data, fake: stop(G(prior))}, 'wasserstein') + λ·gradientPenalty`.
 * The generator is bound but belongs to no player, so it is never updated.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Binding, Net } from '../compile/Net.ts'
import { compileGame, readValues } from '../compile/step.ts'
import { apply, data, prior, stop } from '../core/Expr.ts'
import type { Game, Shape } from '../core/Game.ts'
import { adam, player, sig, size } from '../core/Game.ts'
import type { Loss } from '../core/Loss.ts'
import { classify, gradientPenalty, named, scale, sum } from '../core/Loss.ts'
import { batcher } from '../data/batches.ts'
import type { ImageSet, Range } from '../data/images.ts'
import { examples, TANH_RANGE } from '../data/images.ts'
import { convNet, mlp } from '../nets/index.ts'

/** The critic's objective: Wasserstein estimate between data and (stopped) samples of `G`, plus λ·GP. */
export const criticObjective = (lambda = 10): Loss =>
  sum(
    named('wasserstein', classify('W', { real: data, fake: stop(apply('G', prior)) }, 'wasserstein')),
    named('penalty', scale(lambda, gradientPenalty('W', data, stop(apply('G', prior)))))
  )

/** The one-player game that trains the critic W (WGAN-GP's Adam: 1e-4, β = (0.5, 0.9)). */
export const criticGame = (image: Shape, latent: number, lambda = 10, learningRate = 1e-4): Game => ({
  data: image,
  prior: [latent],
  nets: { W: sig(image, [1]), G: sig([latent], image) },
  players: [player('critic', ['W'], criticObjective(lambda), { optimizer: adam(learningRate, 0.5, 0.9) })]
})

export interface CriticOptions {
  readonly steps?: number
  readonly batch?: number
  /** `mlp` (784·c → 512 → 256 → 1, the reference D) or `conv` (the reference conv D). */
  readonly arch?: 'mlp' | 'conv'
  readonly lambda?: number
  readonly seed?: number
  /** Held-out examples the estimate averages over (and as many fresh samples). */
  readonly evalCount?: number
  readonly range?: Range
}

export interface CriticReport {
  /** E[W(x)] − E[W(G(z))] on held-out data against fresh samples. */
  readonly wasserstein: number
  /** The same estimate on the last training batch (−the critic's Wasserstein term). */
  readonly wassersteinTrain: number
  readonly steps: number
}

/** The mean of `W` over `n` inputs made by `make(i, m)` in chunks. */
const meanCritic = (W: Net, n: number, make: (from: number, m: number) => tf.Tensor): number => {
  let total = 0
  for (let i = 0; i < n; i += 500) {
    const m = Math.min(500, n - i)
    const s = tf.tidy(() => tf.sum(W.apply(make(i, m))))
    total += s.dataSync()[0]
    s.dispose()
  }
  return total / n
}

/**
 * Trains a fresh critic on `train` against `G(z)`, z ~ N(0, I) of `latent` dimensions, and reports its
 * estimate on `test` against fresh samples. `G` is only read.
 */
export const independentCritic = async (
  G: Net,
  latent: number,
  train: ImageSet,
  test: ImageSet,
  o: CriticOptions = {}
): Promise<CriticReport> => {
  const steps = o.steps ?? 1000
  const batch = o.batch ?? 64
  const seed = o.seed ?? 1
  const range = o.range ?? TANH_RANGE
  const image = train.shape
  const W =
    (o.arch ?? 'mlp') === 'conv'
      ? convNet(image, [1], { seed: seed * 1000 + 20, name: 'W' })
      : mlp([size(image), 512, 256, 1], { hidden: 'leakyRelu', input: image, seed: seed * 1000 + 3, name: 'W' })
  const nets: Binding = { W, G }
  const compiled = compileGame(criticGame(image, latent, o.lambda ?? 10), nets, { seed })
  const b = batcher(train, batch, { seed, range })
  let wassersteinTrain = NaN
  try {
    for (let s = 0; s < steps; s++) {
      const x = b.next()
      const report = compiled.step(x)
      x.dispose()
      if (s === steps - 1 || (s + 1) % 250 === 0) wassersteinTrain = -(await readValues(report))['critic/wasserstein']
    }
    const n = Math.min(o.evalCount ?? 2000, test.count)
    const held = examples(test, n, range)
    const px = size(image)
    const onData = meanCritic(W, n, (i, m) => tf.tensor(held.subarray(i * px, (i + m) * px), [m, ...image]))
    const onSamples = meanCritic(W, n, (i, m) =>
      G.apply(tf.randomNormal([m, latent], 0, 1, 'float32', seed * 7919 + i + 1))
    )
    return { wasserstein: onData - onSamples, wassersteinTrain, steps }
  } finally {
    compiled.dispose()
    W.dispose()
  }
}
