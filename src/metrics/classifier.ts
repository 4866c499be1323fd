/**
 * The evaluation classifier: a small CNN trained by the project on MNIST (or Fashion-MNIST), whose
 * class probabilities count Stacked-MNIST modes and give the inception score, and whose penultimate
 * features carry the Fréchet distance and precision/recall.
 *
 * Its weights are cached in the user's cache directory (`$XDG_CACHE_HOME/loss-algebra`, else
 * `~/.cache/loss-algebra`), under a key hashing the data's bytes, the architecture and the training
 * recipe; a missing, stale or corrupt file (checksum, shapes) is retrained, never trusted.
 * @since 0.1.0
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

import * as tf from '@tensorflow/tfjs'
import cliProgress from 'cli-progress'

import { batcher } from '../data/batches.ts'
import { examples, greySet, loadDigits, TANH_RANGE } from '../data/images.ts'
import type { Layer } from '../nets/layers.ts'
import { conv, dense } from '../nets/layers.ts'

/** The layers, in order; the dense layer of `FEATURES` units is the penultimate one. */
export const CLASSIFIER_ARCH =
  'conv 1→32 k4 s2 leakyRelu, conv 32→64 k4 s2 leakyRelu, dense 3136→128 relu, dense 128→10; inputs in [−1, 1]'
export const FEATURES = 128
/** What training does; part of the cache key. */
export const RECIPE = { epochs: 3, batch: 128, optimizer: 'adam', learningRate: 1e-3, decay: 0.5, seed: 7 } as const

export type ClassifierSource = 'mnist' | 'fashionMnist'

export interface Classifier {
  readonly source: ClassifierSource
  /** Accuracy on the test split, measured after training. */
  readonly accuracy: number
  /** Where the weights are cached. */
  readonly file: string
  /** Whether this call trained it (rather than reading the cache). */
  readonly trained: boolean
  readonly trainSeconds: number
  /** `[n, 28, 28, 1]` in [−1, 1] → logits `[n, 10]`. */
  logits(x: tf.Tensor): tf.Tensor2D
  /** `[n, 28, 28, 1]` → the penultimate layer's activations `[n, FEATURES]`. */
  features(x: tf.Tensor): tf.Tensor2D
  readonly variables: ReadonlyArray<tf.Variable>
  dispose(): void
}

/** The user's cache directory for this project. */
export const cacheDir = (): string => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'loss-algebra')

interface Layers {
  readonly c0: Layer
  readonly c1: Layer
  readonly h: Layer
  readonly out: Layer
}

const build = (seed: number): Layers => ({
  c0: conv('clf/0', 1, 32, 'leakyRelu', seed + 1),
  c1: conv('clf/1', 32, 64, 'leakyRelu', seed + 2),
  h: dense('clf/2', 3136, FEATURES, 'relu', seed + 3),
  out: dense('clf/3', FEATURES, 10, 'linear', seed + 4)
})

const variablesOf = (l: Layers): Array<tf.Variable> => [l.c0, l.c1, l.h, l.out].flatMap((x) => [...x.variables])

const featuresOf = (l: Layers, x: tf.Tensor): tf.Tensor2D =>
  tf.tidy(() => {
    const h = l.c1.apply(l.c0.apply(tf.reshape(x, [x.shape[0], 28, 28, 1])))
    return l.h.apply(tf.reshape(h, [x.shape[0], 3136])) as tf.Tensor2D
  })

/**
 * Runs `f` on `[n, 28, 28, c]` inputs in chunks of `chunk`, gathering its outputs: `width` values per
 * input (an output of k rows of j values per input gives width k·j).
 */
export const mapBatched = (
  f: (x: tf.Tensor) => tf.Tensor2D,
  images: Float32Array,
  n: number,
  chunk = 500
): { readonly values: Float32Array; readonly width: number } => {
  const px = images.length / n
  let out: Float32Array | undefined
  let width = 0
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i)
    const y = tf.tidy(() => f(tf.tensor4d(images.subarray(i * px, (i + m) * px), [m, 28, 28, px / 784])))
    const v = y.dataSync() as Float32Array
    y.dispose()
    width = v.length / m
    out ??= new Float32Array(n * width)
    out.set(v, i * width)
  }
  return { values: out ?? new Float32Array(0), width }
}

/** The share of `source`'s test digits whose largest logit is their label. */
const accuracyOf = (logits: (x: tf.Tensor) => tf.Tensor2D, source: ClassifierSource): number => {
  const test = loadDigits(source, 'test')
  const { values } = mapBatched(logits, examples(greySet(test), test.count, TANH_RANGE), test.count)
  let right = 0
  for (let i = 0; i < test.count; i++) {
    let best = 0
    for (let k = 1; k < 10; k++) if (values[10 * i + k] > values[10 * i + best]) best = k
    if (best === test.labels[i]) right++
  }
  return right / test.count
}

/** The cache key: the data's bytes, the architecture and the recipe. */
export const classifierKey = (source: ClassifierSource): string => {
  const h = createHash('sha256').update(`${CLASSIFIER_ARCH}\n${JSON.stringify(RECIPE)}\n${source}\n`)
  for (const split of ['train', 'test'] as const) {
    const d = loadDigits(source, split)
    h.update(d.pixels).update(d.labels)
  }
  return h.digest('hex')
}

interface CacheFile {
  readonly format: 1
  readonly key: string
  readonly arch: string
  readonly accuracy: number
  readonly trainSeconds: number
  readonly shapes: ReadonlyArray<ReadonlyArray<number>>
  /** sha256 of the weights' bytes. */
  readonly checksum: string
  /** The float32 weights of every variable in order, base64. */
  readonly weights: string
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Reads a cache file into `layers`; returns why it cannot be used, or its record. */
const load = (file: string, key: string, l: Layers): CacheFile | string => {
  let c: CacheFile
  try {
    c = JSON.parse(readFileSync(file, 'utf8')) as CacheFile
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not cached yet' : `unreadable (${(e as Error).message})`
  }
  if (c.format !== 1 || c.key !== key) return 'made for other data, architecture or recipe'
  const vars = variablesOf(l)
  if (
    !Array.isArray(c.shapes) ||
    c.shapes.length !== vars.length ||
    vars.some((v, i) => v.shape.join() !== c.shapes[i]?.join())
  )
    return 'shapes differ from the architecture'
  const bytes = Buffer.from(String(c.weights), 'base64')
  if (sha(bytes) !== c.checksum) return 'checksum mismatch (corrupt weights)'
  if (bytes.length % 4 !== 0) return 'weights of the wrong size or not finite'
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  if (all.length !== vars.reduce((n, v) => n + v.size, 0) || !all.every(Number.isFinite))
    return 'weights of the wrong size or not finite'
  let o = 0
  for (const v of vars) {
    tf.tidy(() => v.assign(tf.tensor(all.subarray(o, o + v.size), v.shape)))
    o += v.size
  }
  return c
}

const save = (file: string, key: string, l: Layers, accuracy: number, trainSeconds: number): void => {
  const vars = variablesOf(l)
  const all = new Float32Array(vars.reduce((n, v) => n + v.size, 0))
  let o = 0
  for (const v of vars) {
    all.set(v.dataSync() as Float32Array, o)
    o += v.size
  }
  const bytes = new Uint8Array(all.buffer)
  const c: CacheFile = {
    format: 1,
    key,
    arch: CLASSIFIER_ARCH,
    accuracy,
    trainSeconds,
    shapes: vars.map((v) => v.shape),
    checksum: sha(bytes),
    weights: Buffer.from(bytes).toString('base64')
  }
  mkdirSync(join(file, '..'), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(c))
  renameSync(tmp, file)
}

const train = (l: Layers, source: ClassifierSource, progress: boolean, log: (line: string) => void): void => {
  const set = greySet(loadDigits(source, 'train'))
  const b = batcher(set, RECIPE.batch, { seed: RECIPE.seed })
  const perEpoch = Math.floor(set.count / RECIPE.batch)
  const total = RECIPE.epochs * perEpoch
  const vars = variablesOf(l)
  const bar = progress
    ? new cliProgress.SingleBar(
        {
          format:
            'training the evaluation classifier [{bar}] {percentage}% | step {value}/{total} | loss {loss} | eta {eta_formatted}',
          hideCursor: true
        },
        cliProgress.Presets.shades_classic
      )
    : undefined
  bar?.start(total, 0, { loss: '—' })
  const oneHot = new Float32Array(RECIPE.batch * 10)
  let opt = tf.train.adam(RECIPE.learningRate)
  try {
    for (let s = 0; s < total; s++) {
      if (s > 0 && s % perEpoch === 0) {
        opt.dispose()
        opt = tf.train.adam(RECIPE.learningRate * RECIPE.decay ** (s / perEpoch))
      }
      const idx = b.peek()
      oneHot.fill(0)
      for (let i = 0; i < idx.length; i++) oneHot[10 * i + set.labels[idx[i]]] = 1
      const x = b.next()
      const y = tf.tensor2d(oneHot, [RECIPE.batch, 10])
      const loss = opt.minimize(
        () => tf.losses.softmaxCrossEntropy(y, l.out.apply(featuresOf(l, x))) as tf.Scalar,
        true,
        vars
      )
      tf.dispose([x, y])
      if (s % 50 === 0 || s === total - 1) {
        const v = loss?.dataSync()[0] ?? NaN
        if (!Number.isFinite(v)) throw new Error(`evaluation classifier: the loss is ${v} at step ${s}`)
        bar?.update(s + 1, { loss: v.toFixed(4) })
        if (bar === undefined && s % 500 === 0) log(`classifier step ${s}/${total} loss ${v.toFixed(4)}`)
      }
      loss?.dispose()
    }
  } finally {
    opt.dispose()
    bar?.stop()
  }
}

/** Why the cached classifier for `source` in `dir` cannot be used (missing, stale, corrupt), or null when it can. */
export const cacheProblem = (source: ClassifierSource, dir = cacheDir()): string | null => {
  const key = classifierKey(source)
  const l = build(RECIPE.seed * 100)
  try {
    const r = load(join(dir, `classifier-${source}-${key.slice(0, 16)}.json`), key, l)
    return typeof r === 'string' ? r : null
  } finally {
    tf.dispose(variablesOf(l))
  }
}

const loaded = new Map<string, Classifier>()

/**
 * The evaluation classifier for `source`: read from the cache, or trained (and cached) when the
 * cache is missing, stale or corrupt. Kept for the rest of the process; do not dispose it unless
 * `fresh` was asked. Trains on the current tfjs backend.
 * @throws Error when the data set is absent, or when the trained net falls below `minAccuracy`
 */
export const ensureClassifier = async (o: ClassifierOptions = {}): Promise<Classifier> => ensureClassifierSync(o)

export interface ClassifierOptions {
  readonly source?: ClassifierSource
  /** A progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean
  readonly log?: (line: string) => void
  /** Ignore the cache and retrain (the cache is rewritten). */
  readonly retrain?: boolean
  readonly minAccuracy?: number
  /** The cache directory (default `cacheDir()`). */
  readonly dir?: string
}

/** `ensureClassifier`, synchronously (training, when needed, blocks). */
export const ensureClassifierSync = (o: ClassifierOptions = {}): Classifier => {
  const source = o.source ?? 'mnist'
  const log = o.log ?? ((line: string) => console.error(line))
  const key = classifierKey(source)
  const file = join(o.dir ?? cacheDir(), `classifier-${source}-${key.slice(0, 16)}.json`)
  const memo = `${file}:${tf.getBackend()}`
  const hit = loaded.get(memo)
  if (hit !== undefined && !o.retrain) return hit
  const l = build(RECIPE.seed * 100)
  const cached = o.retrain ? 'retraining on request' : load(file, key, l)
  let accuracy: number
  let trainSeconds: number
  let trained = false
  if (typeof cached !== 'string') {
    accuracy = cached.accuracy
    trainSeconds = cached.trainSeconds
  } else {
    log(
      `evaluation classifier (${source}): ${cached}; training it (${RECIPE.epochs} epochs on ${tf.getBackend()}) into ${file}`
    )
    const t0 = performance.now()
    train(l, source, o.progress ?? process.stderr.isTTY === true, log)
    trainSeconds = (performance.now() - t0) / 1000
    accuracy = accuracyOf((x) => tf.tidy(() => l.out.apply(featuresOf(l, x)) as tf.Tensor2D), source)
    trained = true
    const min = o.minAccuracy ?? (source === 'mnist' ? 0.985 : 0.85)
    if (accuracy < min)
      throw new Error(
        `evaluation classifier (${source}): test accuracy ${(100 * accuracy).toFixed(2)} % is below ${(100 * min).toFixed(1)} %`
      )
    save(file, key, l, accuracy, trainSeconds)
    log(
      `evaluation classifier (${source}): test accuracy ${(100 * accuracy).toFixed(2)} %, trained in ${trainSeconds.toFixed(1)} s`
    )
  }
  const c: Classifier = {
    source,
    accuracy,
    file,
    trained,
    trainSeconds,
    logits: (x) => tf.tidy(() => l.out.apply(featuresOf(l, x)) as tf.Tensor2D),
    features: (x) => featuresOf(l, x),
    variables: variablesOf(l),
    dispose: () => {
      loaded.delete(memo)
      tf.dispose(variablesOf(l))
    }
  }
  loaded.set(memo, c)
  return c
}

/** Test accuracy of a classifier, measured again (not read from the cache). */
export const measureAccuracy = (c: Classifier): number => accuracyOf(c.logits, c.source)
