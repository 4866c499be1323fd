/**
 * Metrics read through the evaluation classifier: Stacked-MNIST mode counts (VEEGAN / PacGAN), the
 * inception score (Salimans et al. 2016) with the MNIST classifier in place of Inception, and the
 * feature vectors the Fréchet distance and precision/recall compare.
 *
 * A three-channel image is read in one of two ways: `channels` classifies each channel as a digit
 * (Stacked MNIST: 1000 joint classes, features concatenated), `max` classifies the brightest channel
 * (ColorMNIST: one coloured digit, 10 classes).
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Classifier } from './classifier.ts'
import { mapBatched } from './classifier.ts'

export type View = 'grey' | 'channels' | 'max'

/** `[n, 28, 28, c]` → `[n·k, 28, 28, 1]`: the grey images the classifier reads (k = 3 for `channels`). */
const toGrey = (x: tf.Tensor, view: View): tf.Tensor =>
  tf.tidy(() => {
    if (view === 'grey') return x
    if (view === 'max') return tf.max(x, 3, true)
    const [n, h, w, c] = x.shape
    return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c, h, w, 1])
  })

/** The classifier's softmax of each grey image of `n` images: `[n·k, 10]` flat. */
export const probabilities = (c: Classifier, images: Float32Array, n: number, view: View): Float32Array =>
  mapBatched((x) => tf.tidy(() => tf.softmax(c.logits(toGrey(x, view))) as tf.Tensor2D), images, n).values

/** Penultimate features per image: `[n, FEATURES · k]` (the channels' features side by side for `channels`). */
export const featuresOf = (
  c: Classifier,
  images: Float32Array,
  n: number,
  view: View
): { readonly values: Float32Array; readonly width: number } =>
  mapBatched(
    (x) =>
      tf.tidy(() => {
        const f = c.features(toGrey(x, view))
        return (view === 'channels' ? tf.reshape(f, [x.shape[0], -1]) : f) as tf.Tensor2D
      }),
    images,
    n
  )

export interface ModeCount {
  /** Classes seen at least once. */
  readonly modes: number
  readonly classes: number
  /** KL(p̂ ‖ uniform) of the class histogram. */
  readonly kl: number
  /** Samples per class; sums to the number of samples. */
  readonly histogram: ReadonlyArray<number>
}

/** The histogram's count of non-empty classes and its KL to the uniform distribution. */
export const modeCount = (labels: ArrayLike<number>, classes: number): ModeCount => {
  const histogram = new Array<number>(classes).fill(0)
  for (let i = 0; i < labels.length; i++) histogram[labels[i]]++
  const n = labels.length
  const kl =
    n === 0
      ? Math.log(classes)
      : histogram.reduce((s, h) => (h === 0 ? s : s + (h / n) * Math.log((h / n) * classes)), 0)
  return { modes: histogram.filter((h) => h > 0).length, classes, kl, histogram }
}

const argmax10 = (p: Float32Array, row: number): number => {
  let best = 0
  for (let k = 1; k < 10; k++) if (p[10 * row + k] > p[10 * row + best]) best = k
  return best
}

/** The class of each image: a digit (grey, max), or 100·r + 10·g + b for `channels`. */
export const classesOf = (c: Classifier, images: Float32Array, n: number, view: View): Uint16Array => {
  const p = probabilities(c, images, n, view)
  const out = new Uint16Array(n)
  for (let i = 0; i < n; i++)
    out[i] =
      view === 'channels'
        ? 100 * argmax10(p, 3 * i) + 10 * argmax10(p, 3 * i + 1) + argmax10(p, 3 * i + 2)
        : argmax10(p, i)
  return out
}

/**
 * Stacked-MNIST modes (VEEGAN / PacGAN): each channel of `n` `[28, 28, 3]` samples classified as a
 * digit; modes are the distinct triples out of 1000, KL of their histogram to uniform.
 */
export const stackedModes = (c: Classifier, samples: Float32Array, n: number): ModeCount =>
  modeCount(classesOf(c, samples, n, 'channels'), 1000)

/**
 * The inception score exp E_x KL(p(y|x) ‖ p(y)) with the classifier's softmax; for `channels` the
 * joint class y = (r, g, b) of a triple has p(y|x) = p(r|x_R)·p(g|x_G)·p(b|x_B) (channels classified
 * independently) and p(y) the mean of that over the samples, so the score ranges over 1‥1000.
 */
export const inceptionScore = (c: Classifier, samples: Float32Array, n: number, view: View): number => {
  const p = probabilities(c, samples, n, view)
  const k = view === 'channels' ? 3 : 1
  const classes = 10 ** k
  /** p(y|x_i) for every class y, into `out`. */
  const conditional = (i: number, out: Float64Array): void => {
    for (let y = 0; y < classes; y++) {
      let q = 1
      for (let ch = 0, rest = y; ch < k; ch++, rest = Math.floor(rest / 10))
        q *= p[10 * (k * i + (k - 1 - ch)) + (rest % 10)]
      out[y] = q
    }
  }
  const row = new Float64Array(classes)
  const marginal = new Float64Array(classes)
  for (let i = 0; i < n; i++) {
    conditional(i, row)
    for (let y = 0; y < classes; y++) marginal[y] += row[y] / n
  }
  let total = 0
  for (let i = 0; i < n; i++) {
    conditional(i, row)
    for (let y = 0; y < classes; y++)
      if (row[y] > 0) total += (row[y] * Math.log(row[y] / Math.max(marginal[y], 1e-300))) / n
  }
  return Math.exp(total)
}
