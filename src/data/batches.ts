/**
 * Seeded, shuffled minibatches of an image set: each epoch visits every example once in an order
 * drawn from the seed and the epoch number, so a batcher resumes exactly from `{ epoch, position }`.
 * One Float32Array holds the batch and is reused: a step allocates nothing but the batch tensor.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { ImageSet, Range } from './images.ts'
import { TANH_RANGE } from './images.ts'
import { rng } from './toy.ts'

/** Where a batcher is: enough to resume it. */
export interface BatchState {
  readonly seed: number
  readonly epoch: number
  /** Examples of this epoch already served. */
  readonly position: number
}

export interface Batcher {
  readonly set: ImageSet
  readonly batchSize: number
  /**
   * The next batch `[batchSize, h, w, c]`, owned by the caller. Its values share the batcher's one
   * buffer on backends that do not copy (cpu), so it must be disposed before the next call; a batch
   * still alive then is an error.
   */
  next(): tf.Tensor4D
  /** The indices of the examples the next call would serve (for tests and inspection). */
  peek(): Uint32Array
  state(): BatchState
}

/** Seed of epoch `e`'s permutation (never 0). */
const epochSeed = (seed: number, epoch: number): number =>
  (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0 || 1

/** Writes a uniformly random permutation of 0‥n−1 into `perm` (Fisher–Yates). */
const shuffle = (perm: Uint32Array, seed: number): void => {
  const u = rng(seed)
  for (let i = 0; i < perm.length; i++) perm[i] = i
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u() * (i + 1)))
    const t = perm[i]
    perm[i] = perm[j]
    perm[j] = t
  }
}

export const batcher = (
  set: ImageSet,
  batchSize: number,
  o: { readonly seed?: number; readonly range?: Range; readonly resume?: BatchState } = {}
): Batcher => {
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new RangeError(`batcher: batch size ${batchSize} is not a positive integer`)
  if (batchSize > set.count)
    throw new RangeError(`batcher: batch size ${batchSize} exceeds the ${set.count} examples of ${set.name}`)
  const seed = o.resume?.seed ?? o.seed ?? 1
  const range = o.range ?? TANH_RANGE
  const [h, w, c] = set.shape
  const size = h * w * c
  const buffer = new Float32Array(batchSize * size)
  const perm = new Uint32Array(set.count)
  const indices = new Uint32Array(batchSize)
  let epoch = o.resume?.epoch ?? 0
  let position = o.resume?.position ?? 0
  if (position < 0 || position > set.count)
    throw new RangeError(`batcher: resume position ${position} outside 0‥${set.count}`)
  shuffle(perm, epochSeed(seed, epoch))
  let last: tf.Tensor | undefined

  /** Fills `indices` with the next batch's examples, advancing (and reshuffling at an epoch's end) when `advance`. */
  const select = (advance: boolean): void => {
    let e = epoch
    let p = position
    let order = perm
    for (let i = 0; i < batchSize; i++) {
      if (p === set.count) {
        e++
        p = 0
        if (advance) shuffle(perm, epochSeed(seed, e))
        else {
          order = new Uint32Array(set.count)
          shuffle(order, epochSeed(seed, e))
        }
      }
      indices[i] = order[p++]
    }
    if (advance) {
      epoch = e
      position = p
    }
  }

  return {
    set,
    batchSize,
    next: () => {
      if (last !== undefined && !last.isDisposed)
        throw new Error(
          `batcher (${set.name}): the previous batch is still alive; dispose it before asking for the next`
        )
      select(true)
      for (let i = 0; i < batchSize; i++) set.write(indices[i], buffer, i * size, range)
      last = tf.tensor4d(buffer, [batchSize, h, w, c])
      return last as tf.Tensor4D
    },
    peek: () => {
      select(false)
      return indices.slice()
    },
    state: () => ({ seed, epoch, position })
  }
}
