/**
 * Improved precision and recall of distributions (Kynkäänniemi et al. 2019): each set's manifold is
 * the union of balls around its points reaching their k-th nearest neighbour in the same set.
 * Precision is the share of generated points inside the real manifold (quality), recall the share of
 * real points inside the generated manifold (coverage). Distances are Euclidean in feature space,
 * computed in blocks on the tfjs backend.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

/** Squared distances of rows `a` (n × d) to rows `b` (m × d), `rows` rows of `a` at a time, handed to `each(i, distances)`. */
const distances = (
  a: Float32Array,
  n: number,
  b: Float32Array,
  m: number,
  d: number,
  each: (i: number, row: Float32Array) => void,
  rows = 256
): void => {
  const bt = tf.tensor2d(b, [m, d])
  const bNorms = tf.tidy(() => tf.sum(tf.square(bt), 1))
  try {
    for (let i = 0; i < n; i += rows) {
      const r = Math.min(rows, n - i)
      const block = tf.tidy(() => {
        const at = tf.tensor2d(a.subarray(i * d, (i + r) * d), [r, d])
        const an = tf.sum(tf.square(at), 1, true)
        return tf.relu(tf.add(tf.sub(an, tf.mul(2, tf.matMul(at, bt, false, true))), bNorms))
      })
      const v = block.dataSync() as Float32Array
      block.dispose()
      for (let k = 0; k < r; k++) each(i + k, v.subarray(k * m, (k + 1) * m))
    }
  } finally {
    tf.dispose([bt, bNorms])
  }
}

/** The squared distance of each row to its k-th nearest other row of the same set. */
export const kthNeighbourRadii = (x: Float32Array, n: number, d: number, k: number): Float32Array => {
  if (n <= k) throw new RangeError(`precision/recall: ${n} points cannot have a ${k}-th nearest neighbour`)
  const radii = new Float32Array(n)
  const smallest = new Float64Array(k + 1)
  distances(x, n, x, n, d, (i, row) => {
    // the k + 1 smallest, the point itself (distance 0) included
    smallest.fill(Infinity)
    for (let j = 0; j < n; j++) {
      const v = j === i ? 0 : row[j]
      if (v >= smallest[k]) continue
      let p = k
      while (p > 0 && smallest[p - 1] > v) {
        smallest[p] = smallest[p - 1]
        p--
      }
      smallest[p] = v
    }
    radii[i] = smallest[k]
  })
  return radii
}

/** The share of `probe` rows inside some ball of `support` (rows with squared radii `radii`). */
const coverage = (
  probe: Float32Array,
  pn: number,
  support: Float32Array,
  sn: number,
  radii: Float32Array,
  d: number
): number => {
  let inside = 0
  distances(probe, pn, support, sn, d, (_, row) => {
    for (let j = 0; j < sn; j++) {
      if (row[j] <= radii[j]) {
        inside++
        return
      }
    }
  })
  return inside / pn
}

export interface PrecisionRecall {
  readonly precision: number
  readonly recall: number
}

/** Precision and recall of `fake` against `real` (row vectors of width `d`), with k-th-neighbour balls (k = 3 as in the paper). */
export const precisionRecall = (
  real: Float32Array,
  realCount: number,
  fake: Float32Array,
  fakeCount: number,
  d: number,
  k = 3
): PrecisionRecall => {
  const realRadii = kthNeighbourRadii(real, realCount, d, k)
  const fakeRadii = kthNeighbourRadii(fake, fakeCount, d, k)
  return {
    precision: coverage(fake, fakeCount, real, realCount, realRadii, d),
    recall: coverage(real, realCount, fake, fakeCount, fakeRadii, d)
  }
}
