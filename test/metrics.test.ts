import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'

import { selectBackend } from '../src/backend/index.ts'
import type { Net } from '../src/compile/Net.ts'
import type { Shape } from '../src/core/Game.ts'
import type { ImageSet } from '../src/data/images.ts'
import { examples, imageSet, TANH_RANGE, unavailable } from '../src/data/images.ts'
import { rng, normal } from '../src/data/toy.ts'
import { modesLine } from '../src/cli/program.ts'
import { classesOf, featuresOf, inceptionScore, modeCount, stackedModes } from '../src/metrics/classified.ts'
import type { Classifier } from '../src/metrics/classifier.ts'
import { cacheDir, cacheProblem, ensureClassifier, measureAccuracy } from '../src/metrics/classifier.ts'
import { independentCritic } from '../src/metrics/critic.ts'
import { frechetDistance, frechetOfFeatures, gaussianFit, matMul, symmetricEigen } from '../src/metrics/frechet.ts'
import { precisionRecall } from '../src/metrics/precisionRecall.ts'
import { MS_SSIM_WEIGHTS, meanPairwiseMsSsim, msSsim, msSsimScales } from '../src/metrics/msssim.ts'
import { evaluateImages, imageMetrics } from '../src/metrics/registry.ts'
import { DEFAULT_IMAGE_METRICS, IMAGE_METRICS } from '../src/data/kinds.ts'
import { IMAGE_KINDS } from '../src/data/images.ts'
import { mlp } from '../src/nets/index.ts'

const randomSpd = (n: number, u: () => number): Float64Array => {
  const a = Float64Array.from({ length: n * n }, () => normal(u))
  const at = Float64Array.from({ length: n * n }, (_, k) => a[(k % n) * n + Math.floor(k / n)])
  const s = matMul(a, at, n)
  for (let i = 0; i < n; i++) s[i * n + i] += 0.1
  return s
}

/** Gauss–Jordan inverse (test reference only). */
const inverse = (a: Float64Array, n: number): Float64Array => {
  const m = Float64Array.from(a)
  const inv = new Float64Array(n * n)
  for (let i = 0; i < n; i++) inv[i * n + i] = 1
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r
    for (let k = 0; k < n; k++) {
      ;[m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]]
      ;[inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]]
    }
    const d = m[c * n + c]
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= d
      inv[c * n + k] /= d
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = m[r * n + c]
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k]
        inv[r * n + k] -= f * inv[c * n + k]
      }
    }
  }
  return inv
}

/** Brute-force reference: tr √(Σ₁Σ₂) by the Denman–Beavers iteration on the non-symmetric product. */
const traceSqrtProduct = (a: Float64Array, b: Float64Array, n: number): number => {
  let y = matMul(a, b, n)
  let z = new Float64Array(n * n)
  for (let i = 0; i < n; i++) z[i * n + i] = 1
  for (let k = 0; k < 60; k++) {
    const yi = inverse(y, n)
    const zi = inverse(z, n)
    y = y.map((v, i) => (v + zi[i]) / 2)
    z = z.map((v, i) => (v + yi[i]) / 2)
  }
  let t = 0
  for (let i = 0; i < n; i++) t += y[i * n + i]
  return t
}

describe('Fréchet distance', () => {
  it('the Jacobi eigendecomposition reconstructs symmetric matrices', () => {
    const u = rng(3)
    for (const n of [1, 2, 7, 20]) {
      const a = randomSpd(n, u)
      const { values, vectors } = symmetricEigen(a, n)
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0
          for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k]
          assert.ok(
            Math.abs(s - a[i * n + j]) < 1e-9 * (1 + Math.abs(a[i * n + j])),
            `n ${n} (${i}, ${j}): ${s} vs ${a[i * n + j]}`
          )
        }
      }
    }
  })

  it('agrees with a brute-force reference (Denman–Beavers on Σ₁Σ₂) on random covariances', () => {
    const u = rng(11)
    for (let trial = 0; trial < 10; trial++) {
      const n = 2 + (trial % 6)
      const [s1, s2] = [randomSpd(n, u), randomSpd(n, u)]
      const m1 = Float64Array.from({ length: n }, () => normal(u))
      const m2 = Float64Array.from({ length: n }, () => normal(u))
      let ref = -2 * traceSqrtProduct(s1, s2, n)
      for (let i = 0; i < n; i++) ref += (m1[i] - m2[i]) ** 2 + s1[i * n + i] + s2[i * n + i]
      const got = frechetDistance(m1, s1, m2, s2, n)
      assert.ok(Math.abs(got - ref) < 1e-7 * (1 + Math.abs(ref)), `trial ${trial}: ${got} vs ${ref}`)
    }
  })

  it('has the closed form Σ(√a − √b)² for diagonal covariances, is 0 against itself and d·δ² under a shift δ of every feature', () => {
    const a = Float64Array.of(4, 0, 0, 9)
    const b = Float64Array.of(1, 0, 0, 16)
    assert.ok(
      Math.abs(frechetDistance(new Float64Array(2), a, new Float64Array(2), b, 2) - ((2 - 1) ** 2 + (3 - 4) ** 2)) <
        1e-12
    )
    const u = rng(5)
    const d = 16
    const n = 400
    const x = Float32Array.from({ length: n * d }, () => normal(u) * 2)
    assert.ok(frechetOfFeatures(x, n, x, n, d) < 1e-6)
    let last = 0
    for (const delta of [0.1, 0.5, 1, 2]) {
      const fd = frechetOfFeatures(
        x,
        n,
        x.map((v) => v + delta),
        n,
        d
      )
      assert.ok(Math.abs(fd - d * delta * delta) < 1e-3 * d * delta * delta, `δ ${delta}: ${fd}`)
      assert.ok(fd > last)
      last = fd
    }
  })

  it('fits a Gaussian: mean and unbiased covariance', () => {
    const { mean, cov } = gaussianFit(Float32Array.of(1, 2, 3, 6), 2, 2)
    assert.deepEqual([...mean], [2, 4])
    assert.deepEqual([...cov], [2, 4, 4, 8])
  })
})

describe('the metric registry', () => {
  it('the data kinds offer exactly the metrics that apply to them, and default to some of those', () => {
    for (const kind of IMAGE_KINDS) {
      const applies = Object.entries(imageMetrics)
        .filter(([, m]) => m.kinds.includes(kind))
        .map(([k]) => k)
      assert.deepEqual([...IMAGE_METRICS[kind]].sort(), applies.sort(), kind)
      assert.ok(
        DEFAULT_IMAGE_METRICS[kind].every((m) => applies.includes(m)),
        kind
      )
    }
  })
})

describe('MS-SSIM', () => {
  const noise = (n: number, seed: number, lo = -1, hi = 1): Float32Array => {
    const u = rng(seed)
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * u())
  }
  /** SSIM by its definition: a 2-D Gaussian window at every valid position, sums written out (one scale). */
  const ssimByDefinition = (
    a: Float32Array,
    b: Float32Array,
    h: number,
    w: number,
    c: number,
    k = 7,
    sigma = 1.5
  ): { ssim: number; cs: number } => {
    const g1 = Array.from({ length: k }, (_, i) => Math.exp(-((i - (k - 1) / 2) ** 2) / (2 * sigma * sigma)))
    const z = g1.reduce((s, v) => s + v, 0)
    let total = 0
    let csTotal = 0
    for (let ch = 0; ch < c; ch++) {
      let sum = 0
      let csSum = 0
      let count = 0
      for (let y0 = 0; y0 + k <= h; y0++)
        for (let x0 = 0; x0 + k <= w; x0++) {
          let mx = 0
          let my = 0
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const wt = (g1[dy] * g1[dx]) / (z * z)
              const at = ((y0 + dy) * w + x0 + dx) * c + ch
              mx += (wt * (a[at] + 1)) / 2
              my += (wt * (b[at] + 1)) / 2
            }
          let vx = 0
          let vy = 0
          let cxy = 0
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const wt = (g1[dy] * g1[dx]) / (z * z)
              const at = ((y0 + dy) * w + x0 + dx) * c + ch
              const ex = (a[at] + 1) / 2 - mx
              const ey = (b[at] + 1) / 2 - my
              vx += wt * ex * ex
              vy += wt * ey * ey
              cxy += wt * ex * ey
            }
          const c1 = 0.01 ** 2
          const c2 = 0.03 ** 2
          sum += (((2 * mx * my + c1) / (mx * mx + my * my + c1)) * (2 * cxy + c2)) / (vx + vy + c2)
          csSum += (2 * cxy + c2) / (vx + vy + c2)
          count++
        }
      total += sum / count
      csTotal += csSum / count
    }
    return { ssim: total / c, cs: csTotal / c }
  }
  /** One channel of an HWC image, and that plane halved by 2 × 2 means, both in [−1, 1]. */
  const channel = (x: Float32Array, h: number, w: number, c: number, ch: number) =>
    Float32Array.from({ length: h * w }, (_, i) => x[i * c + ch])
  const halved = (x: Float32Array, h: number, w: number) =>
    Float32Array.from({ length: Math.floor(h / 2) * Math.floor(w / 2) }, (_, i) => {
      const y = Math.floor(i / Math.floor(w / 2))
      const xx = i % Math.floor(w / 2)
      return (
        (x[2 * y * w + 2 * xx] +
          x[2 * y * w + 2 * xx + 1] +
          x[(2 * y + 1) * w + 2 * xx] +
          x[(2 * y + 1) * w + 2 * xx + 1]) /
        4
      )
    })

  it('fits the scales to the image: 3 for 28-pixel digits with a 7-pixel window, 1 below 14 pixels, and refuses images under the window', () => {
    assert.equal(msSsimScales(28, 7), 3)
    assert.equal(msSsimScales(13, 7), 1)
    assert.equal(msSsimScales(14, 7), 2)
    assert.equal(msSsimScales(1000, 7), 5)
    assert.throws(
      () => msSsim(new Float32Array(36), 0, new Float32Array(36), 0, [6, 6, 1]),
      /smaller than the 7-pixel window/
    )
  })

  it('at one scale it is SSIM by its definition (2-D Gaussian windows written out), on random images of odd sizes and channels', () => {
    for (const [h, w, c, seed] of [
      [9, 12, 1, 1],
      [13, 11, 2, 2],
      [10, 10, 3, 3]
    ] as const) {
      const a = noise(h * w * c, seed)
      // b: a blurred toward a with noise, so that the structure term is neither 0 nor 1
      const e = noise(h * w * c, seed + 10)
      const b = a.map((v, i) => 0.6 * v + 0.4 * e[i])
      const got = msSsim(a, 0, b, 0, [h, w, c])
      const want = ssimByDefinition(a, b, h, w, c).ssim
      assert.ok(Math.abs(got - want) < 1e-9, `${h}×${w}×${c}: ${got} vs ${want}`)
    }
  })

  it('at two scales: the contrast-structure term of the full images times SSIM of the halved ones, weighted, per channel', () => {
    const [h, w, c] = [16, 15, 2]
    const a = noise(h * w * c, 11)
    const e = noise(h * w * c, 12)
    const b = a.map((v, i) => 0.7 * v + 0.3 * e[i])
    const [w0, w1] = [MS_SSIM_WEIGHTS[0], MS_SSIM_WEIGHTS[1]]
    let want = 0
    for (let ch = 0; ch < c; ch++) {
      const [x, y] = [channel(a, h, w, c, ch), channel(b, h, w, c, ch)]
      const fine = ssimByDefinition(x, y, h, w, 1)
      const coarse = ssimByDefinition(halved(x, h, w), halved(y, h, w), Math.floor(h / 2), Math.floor(w / 2), 1)
      want += (fine.cs ** (w0 / (w0 + w1)) * coarse.ssim ** (w1 / (w0 + w1))) / c
    }
    const got = msSsim(a, 0, b, 0, [h, w, c])
    assert.ok(Math.abs(got - want) < 1e-9, `${got} vs ${want}`)
  })

  it('is 1 for an image against itself, symmetric, and falls as noise grows', () => {
    const shape = [28, 28, 3] as const
    const x = noise(28 * 28 * 3, 5, -1, 1).map((v, i) => (i % 84 < 42 ? v : -v * 0.5))
    assert.ok(Math.abs(msSsim(x, 0, x, 0, shape) - 1) < 1e-12, 'an image against itself')
    let last = 1
    for (const amount of [0.05, 0.2, 0.5, 1]) {
      const e = noise(x.length, 6)
      const y = x.map((v, i) => Math.max(-1, Math.min(1, v + amount * e[i])))
      const xy = msSsim(x, 0, y, 0, shape)
      assert.ok(Math.abs(xy - msSsim(y, 0, x, 0, shape)) < 1e-12, 'symmetric')
      assert.ok(xy < last, `noise ${amount}: ${xy} ≥ ${last}`)
      last = xy
    }
  })

  it('two flat images: only the coarsest luminance term is left, l(a, b) to the power of its renormalised weight', () => {
    const shape = [28, 28, 1] as const
    const a = new Float32Array(784).fill(-0.5)
    const b = new Float32Array(784).fill(0.5)
    const [pa, pb] = [0.25, 0.75]
    const l = (2 * pa * pb + 0.01 ** 2) / (pa * pa + pb * pb + 0.01 ** 2)
    const weight = MS_SSIM_WEIGHTS[2] / (MS_SSIM_WEIGHTS[0] + MS_SSIM_WEIGHTS[1] + MS_SSIM_WEIGHTS[2])
    const got = msSsim(a, 0, b, 0, shape)
    assert.ok(Math.abs(got - l ** weight) < 1e-12, `${got} vs ${l ** weight}`)
  })

  it('the diversity statistic: 1 for copies of one image, lower for distinct images, and the same for the same seed', () => {
    const shape = [16, 16, 1] as const
    const one = noise(256, 7)
    const copies = new Float32Array(256 * 20)
    for (let i = 0; i < 20; i++) copies.set(one, i * 256)
    assert.ok(Math.abs(meanPairwiseMsSsim(copies, 20, shape, 50) - 1) < 1e-12, 'copies of one image')
    const distinct = noise(256 * 20, 8)
    const d = meanPairwiseMsSsim(distinct, 20, shape, 50, 3)
    assert.ok(d < 0.2, `${d}`)
    assert.equal(meanPairwiseMsSsim(distinct, 20, shape, 50, 3), d)
    // two images: every pair is the two of them, never one image with itself
    const two = meanPairwiseMsSsim(distinct, 2, shape, 50, 3)
    assert.ok(Math.abs(two - msSsim(distinct, 0, distinct, 1, shape)) < 1e-12, `${two}`)
    assert.throws(() => meanPairwiseMsSsim(distinct, 1, shape), /at least 2 images/)
  })
})

describe('mode histograms', () => {
  it('sum to their sample count; one class gives 1 mode and KL = log K, a uniform histogram K modes and KL 0', () => {
    const one = modeCount(new Uint16Array(2600).fill(417), 1000)
    assert.deepEqual([one.modes, one.histogram.reduce((a, b) => a + b, 0)], [1, 2600])
    assert.ok(Math.abs(one.kl - Math.log(1000)) < 1e-12)
    const all = modeCount(
      Uint16Array.from({ length: 3000 }, (_, i) => i % 1000),
      1000
    )
    assert.deepEqual([all.modes, all.histogram.reduce((a, b) => a + b, 0)], [1000, 3000])
    assert.ok(Math.abs(all.kl) < 1e-12)
    const half = modeCount(
      Uint16Array.from({ length: 1000 }, (_, i) => i % 500),
      1000
    )
    assert.ok(Math.abs(half.kl - Math.log(2)) < 1e-12)
  })
})

describe('precision and recall of distributions', () => {
  const u = rng(8)
  const d = 8
  const n = 300
  const x = Float32Array.from({ length: n * d }, () => normal(u))
  it('equals a brute-force reference (direct distances, sorted neighbours) on sets of different sizes and spreads', () => {
    const dist = (a: Float32Array, i: number, b: Float32Array, j: number): number => {
      let s = 0
      for (let k = 0; k < d; k++) s += (a[i * d + k] - b[j * d + k]) ** 2
      return s
    }
    const radii = (a: Float32Array, m: number): Array<number> =>
      Array.from(
        { length: m },
        (_, i) => Array.from({ length: m }, (_, j) => dist(a, i, a, j)).sort((p, q) => p - q)[3]
      )
    const share = (probe: Float32Array, pm: number, support: Float32Array, sm: number): number => {
      const r = radii(support, sm)
      return (
        Array.from({ length: pm }, (_, i) => r.some((ri, j) => dist(probe, i, support, j) <= ri)).filter(Boolean)
          .length / pm
      )
    }
    for (const [m, spread, shift] of [
      [60, 1, 0],
      [120, 0.5, 0.7],
      [200, 2, 0.3]
    ]) {
      const y = Float32Array.from({ length: m * d }, () => spread * normal(u) + shift)
      const got = precisionRecall(x, n, y, m, d)
      const want = { precision: share(y, m, x, n), recall: share(x, n, y, m) }
      assert.ok(
        Math.abs(got.precision - want.precision) <= 1 / m + 1e-12 &&
          Math.abs(got.recall - want.recall) <= 1 / n + 1e-12,
        `${JSON.stringify(got)} vs ${JSON.stringify(want)}`
      )
    }
  })

  it('a set against itself: 1 and 1', () => {
    assert.deepEqual(precisionRecall(x, n, x, n, d), { precision: 1, recall: 1 })
  })
  it('a far-shifted set: 0 and 0; a collapsed set (one corner of the data): high precision, low recall', () => {
    assert.deepEqual(
      precisionRecall(
        x,
        n,
        x.map((v) => v + 50),
        n,
        d
      ),
      { precision: 0, recall: 0 }
    )
    // in the plane: the points of one corner (x > 0.8) as a collapsed generator
    const plane = Float32Array.from({ length: 2 * n }, () => normal(u))
    const corner: Array<number> = []
    for (let i = 0; i < n; i++) if (plane[2 * i] > 0.8) corner.push(plane[2 * i], plane[2 * i + 1])
    const r = precisionRecall(plane, n, Float32Array.from(corner), corner.length / 2, 2)
    assert.ok(r.precision > 0.9 && r.recall < 0.5, JSON.stringify(r))
  })
})

/** A net with no weights emitting `f(batch)`: a stand-in generator. */
const standIn = (latent: number, shape: Shape, f: (b: number) => tf.Tensor): Net => ({
  signature: { input: [latent], output: [...shape] },
  variables: [],
  apply: (z) => tf.tidy(() => tf.reshape(f(z.shape[0]), [z.shape[0], ...shape])),
  dispose: () => undefined
})

/** A generator that draws real images from `set`'s examples `from‥from + n`. */
const sampler = (set: ImageSet, from: number, n: number, latent: number): Net & { free(): void } => {
  const pool = tf.tensor(examples(set, n, TANH_RANGE, from), [n, ...set.shape])
  let draw = 0
  return {
    ...standIn(latent, set.shape, (b) => tf.gather(pool, tf.randomUniform([b], 0, n, 'int32', 1000 + draw++))),
    free: () => pool.dispose()
  }
}

const missing = unavailable('mnist')
describe('metrics on MNIST through the evaluation classifier', { skip: missing ?? false }, () => {
  let c: Classifier
  before(async () => {
    // the fastest backend without tfjs-node: native when built, else wasm
    await selectBackend('native').catch(() => selectBackend('wasm'))
    console.log(`# backend ${tf.getBackend()}`)
    c = await ensureClassifier({ progress: false, log: (l) => console.log(`# ${l}`) })
  })

  it(`the classifier scores ≥ 98.5 % on the test split (measured again), and a damaged cache file is refused`, () => {
    assert.ok(measureAccuracy(c) >= 0.985)
    assert.equal(cacheProblem('mnist'), null)
    const dir = mkdtempSync(join(tmpdir(), 'la-clf-'))
    try {
      assert.match(cacheProblem('mnist', dir) ?? '', /not cached/)
      const copy = join(dir, c.file.slice(c.file.lastIndexOf('/') + 1))
      copyFileSync(c.file, copy)
      const j = JSON.parse(readFileSync(copy, 'utf8'))
      writeFileSync(copy, JSON.stringify({ ...j, weights: (j.weights[0] === 'A' ? 'B' : 'A') + j.weights.slice(1) }))
      assert.match(cacheProblem('mnist', dir) ?? '', /checksum mismatch/)
      writeFileSync(copy, '{"format": 1, "key": "')
      assert.match(cacheProblem('mnist', dir) ?? '', /unreadable/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    assert.ok(c.file.startsWith(cacheDir()))
  })

  it('real Stacked-MNIST test data: ≥ 990 of 1000 modes over 26 000 triples, KL near 0, the histogram summing to 26 000', () => {
    const set = imageSet({ kind: 'stackedMnist' }, 'test', 1)
    const r = stackedModes(c, examples(set, 26000), 26000)
    console.log(`# real Stacked MNIST: ${r.modes} modes, KL ${r.kl.toFixed(4)}`)
    assert.ok(r.modes >= 990, `${r.modes}`)
    assert.ok(r.kl < 0.05, `${r.kl}`)
    assert.equal(
      r.histogram.reduce((a, b) => a + b, 0),
      26000
    )
    // the classified triples agree with the true labels for most samples
    const got = classesOf(c, examples(set, 1000), 1000, 'channels')
    assert.ok(got.filter((g, i) => g === set.labels[i]).length > 950)
  })

  it('a generator emitting one image: 1 mode, KL = log 1000, inception score 1', () => {
    const set = imageSet({ kind: 'stackedMnist' }, 'test', 1)
    const one = examples(set, 1)
    const many = new Float32Array(2600 * one.length)
    for (let i = 0; i < 2600; i++) many.set(one, i * one.length)
    const r = stackedModes(c, many, 2600)
    assert.equal(r.modes, 1)
    assert.ok(Math.abs(r.kl - Math.log(1000)) < 1e-9)
    assert.ok(Math.abs(inceptionScore(c, many, 2600, 'channels') - 1) < 1e-4)
  })

  it('the joint inception score of Stacked MNIST sees correlated channels: one digit in all three channels scores as 10 classes, not 1000', () => {
    const n = 1000
    const grey = examples(imageSet({ kind: 'mnist' }, 'test'), n)
    const tripled = new Float32Array(3 * grey.length)
    for (let i = 0; i < grey.length; i++) tripled.fill(grey[i], 3 * i, 3 * i + 3)
    const joint = inceptionScore(c, tripled, n, 'channels')
    const single = inceptionScore(c, grey, n, 'grey')
    console.log(
      `# inception score: real test digits ${single.toFixed(2)}; the same digits in all three channels ${joint.toFixed(2)}`
    )
    assert.ok(single > 8 && single < 10.01)
    // channels classified apart give each triple a sharper joint p(y|x), so a little above 10; a score
    // from per-channel marginals would be near single³ ≈ 800
    assert.ok(joint > single && joint < 2 * single, `${joint} vs ${single}`)
  })

  it('Fréchet distance in classifier features: 0 for a set against itself, small between splits, growing with a pixel shift', () => {
    const n = 2000
    const test = imageSet({ kind: 'mnist' }, 'test')
    const x = examples(test, n)
    const f = featuresOf(c, x, n, 'grey')
    assert.ok(frechetOfFeatures(f.values, n, f.values, n, f.width) < 1e-3)
    const train = featuresOf(c, examples(imageSet({ kind: 'mnist' }, 'train'), n), n, 'grey')
    const between = frechetOfFeatures(f.values, n, train.values, n, f.width)
    let last = 0
    for (const shift of [1, 2, 4]) {
      const moved = tf.tidy(() => {
        const t = tf.tensor4d(x, [n, 28, 28, 1])
        return tf.concat([tf.fill([n, 28, shift, 1], -1), tf.slice(t, [0, 0, 0, 0], [n, 28, 28 - shift, 1])], 2)
      })
      const g = featuresOf(c, moved.dataSync() as Float32Array, n, 'grey')
      moved.dispose()
      const fd = frechetOfFeatures(f.values, n, g.values, n, f.width)
      console.log(`# Fréchet: test vs train ${between.toFixed(3)}; vs test shifted ${shift} px ${fd.toFixed(3)}`)
      assert.ok(fd > last, `shift ${shift}: ${fd} ≤ ${last}`)
      last = fd
    }
  })

  it('the independent critic separates real data from noise, and not real data from other real data', async () => {
    const train = imageSet({ kind: 'mnist' }, 'train')
    const test = imageSet({ kind: 'mnist' }, 'test')
    const before = tf.memory().numTensors
    const noise = standIn(8, [28, 28, 1], (b) => tf.randomUniform([b, 784], -1, 1))
    const real = sampler(test, 5000, 5000, 8)
    const o = { steps: 100, batch: 64, evalCount: 1000, seed: 3 }
    const vsNoise = await independentCritic(noise, 8, train, test, o)
    const vsReal = await independentCritic(real, 8, train, test, o)
    real.free()
    console.log(
      `# independent critic: real vs noise ${vsNoise.wasserstein.toFixed(3)}, real vs real ${vsReal.wasserstein.toFixed(3)}`
    )
    assert.ok(vsNoise.wasserstein > 1, JSON.stringify(vsNoise))
    assert.ok(Math.abs(vsReal.wasserstein) < 0.2 * vsNoise.wasserstein, JSON.stringify(vsReal))
    assert.equal(tf.memory().numTensors, before)
  })

  it('the registry: every metric on real-data stand-ins, with errors naming unknown metrics, kinds and nets', async () => {
    const test = imageSet({ kind: 'mnist' }, 'test')
    const G = sampler(test, 0, 3000, 4)
    const E = mlp([784, 4], { input: [28, 28, 1], name: 'E' })
    const before = tf.memory().numTensors
    const r = await evaluateImages(['frechet', 'inceptionScore', 'precisionRecall', 'msSsim', 'reconstruction'], {
      kind: 'mnist',
      nets: { G, E },
      latent: 4,
      samples: 1000
    })
    console.log(`# registry on a sampler of real test digits: ${JSON.stringify(r)}`)
    assert.equal(tf.memory().numTensors, before)
    assert.ok(r.frechet < 5 && r.inceptionScore > 8 && r.precision > 0.6 && r.recall > 0.6, JSON.stringify(r))
    assert.ok(r.reconstructionL1 > 0)
    // real digits are as diverse as real digits; one digit drawn over and over is not
    assert.ok(Math.abs(r.msSsim - r.msSsimReal) < 0.03 && r.msSsimReal < 0.5, JSON.stringify(r))
    const one = sampler(test, 0, 1, 4)
    const collapsed = await evaluateImages(['msSsim'], { kind: 'mnist', nets: { G: one }, latent: 4, samples: 200 })
    one.free()
    assert.equal(collapsed.msSsim, 1)
    await assert.rejects(
      evaluateImages(['fid'], { kind: 'mnist', nets: { G }, latent: 4 }),
      /unknown metric "fid"; known: stackedModes, frechet/
    )
    await assert.rejects(
      evaluateImages(['stackedModes'], { kind: 'mnist', nets: { G }, latent: 4 }),
      /does not apply to mnist/
    )
    await assert.rejects(evaluateImages(['reconstruction'], { kind: 'mnist', nets: { G }, latent: 4 }), /needs net E/)
    G.free()
    E.dispose()
  })

  it("the registry's Stacked-MNIST modes on real triples, and the line `train` prints from them", async () => {
    const G = sampler(imageSet({ kind: 'stackedMnist' }, 'test', 1), 0, 5000, 4)
    const r = await evaluateImages(['stackedModes'], { kind: 'stackedMnist', nets: { G }, latent: 4 })
    G.free()
    assert.ok(r.modes > 900 && r.kl < 0.5, JSON.stringify(r))
    // what `train` printed once a Stacked-MNIST run finished (it read the toys' fields and threw)
    assert.equal(modesLine(r), `modes captured ${r.modes}/1000, KL to uniform ${r.kl.toFixed(3)}`)
  })
})
