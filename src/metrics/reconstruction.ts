/**
 * Reconstruction error on held-out data, for models with an encoder: the mean absolute and mean
 * squared per-pixel error of x − G(E(x)) over the test split. An encoder with twice the prior's
 * outputs is read as a Gaussian's mean and log-variance, and its mean is decoded.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Net } from '../compile/Net.ts'
import { size } from '../core/Game.ts'
import type { ImageSet, Range } from '../data/images.ts'
import { examples, TANH_RANGE } from '../data/images.ts'

export interface ReconstructionReport {
  /** Mean |x − G(E(x))| per pixel, in the data's range. */
  readonly l1: number
  /** Mean (x − G(E(x)))² per pixel. */
  readonly l2: number
  readonly count: number
}

/** The code E assigns to `x`: its output, or the mean half of it when it has twice G's inputs. */
export const encode = (E: Net, G: Net, x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const z = E.apply(x)
    const latent = size(G.signature.input)
    const out = z.shape[z.rank - 1]
    if (out === latent) return z
    if (out === 2 * latent) return tf.slice(z, [0, 0], [z.shape[0], latent])
    throw new RangeError(`reconstruction: the encoder has ${out} outputs, the generator reads ${latent}`)
  })

export const reconstructionError = (
  E: Net,
  G: Net,
  test: ImageSet,
  o: { readonly count?: number; readonly range?: Range } = {}
): ReconstructionReport => {
  const n = Math.min(o.count ?? test.count, test.count)
  const px = size(test.shape)
  const x = examples(test, n, o.range ?? TANH_RANGE)
  let l1 = 0
  let l2 = 0
  for (let i = 0; i < n; i += 500) {
    const m = Math.min(500, n - i)
    const sums = tf.tidy(() => {
      const xs = tf.tensor(x.subarray(i * px, (i + m) * px), [m, ...test.shape])
      const d = tf.sub(xs, tf.reshape(G.apply(encode(E, G, xs)), xs.shape))
      return tf.stack([tf.sum(tf.abs(d)), tf.sum(tf.square(d))])
    })
    const [a, b] = sums.dataSync()
    sums.dispose()
    l1 += a
    l2 += b
  }
  return { l1: l1 / (n * px), l2: l2 / (n * px), count: n }
}
