/**
 * Multi-scale structural similarity (MS-SSIM; Wang, Simoncelli & Bovik 2003) and the diversity
 * statistic built on it (Odena et al. 2017, used by the α-GAN paper): the mean MS-SSIM of random pairs
 * of samples. Lower means more diverse; the same statistic on pairs of real images is the reference.
 *
 * Per channel and scale j = 1‥M, with Gaussian-weighted local means μ, variances σ² and covariance σxy
 * (valid windows, images in [0, 1], C₁ = (0.01)², C₂ = (0.03)²):
 *
 *   cs_j = mean (2σxy + C₂) / (σx² + σy² + C₂),   ssim_M = mean l · cs,  l = (2μxμy + C₁) / (μx² + μy² + C₁)
 *   MS-SSIM = ssim_M^{w_M} · Π_{j<M} cs_j^{w_j}     (negative factors clipped to 0, as tf.image does)
 *
 * averaged over channels; between scales the images are halved by 2 × 2 means. The weights are the
 * published five (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), cut to the scales that fit a window and
 * renormalised: 28 × 28 digits take a 7-pixel window (σ = 1.5) at 3 scales (28, 14, 7), since the
 * published 11-pixel window at 5 scales needs images of at least 176 pixels.
 * @since 0.1.0
 */
import { rng } from '../data/toy.ts'

export interface MsSsimOptions {
  /** Side of the Gaussian window (default 7). */
  readonly window?: number
  /** Its standard deviation (default 1.5). */
  readonly sigma?: number
}

/** The published scale weights (Wang et al. 2003). */
export const MS_SSIM_WEIGHTS: ReadonlyArray<number> = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
const C1 = 0.01 ** 2
const C2 = 0.03 ** 2

/** How many scales fit images of `side` pixels with a window of `window` (1‥5). */
export const msSsimScales = (side: number, window: number): number => {
  if (side < window)
    throw new RangeError(`msSsim: images of ${side} pixels are smaller than the ${window}-pixel window`)
  let m = 1
  while (m < MS_SSIM_WEIGHTS.length && Math.floor(side / 2 ** m) >= window) m++
  return m
}

const gaussian = (window: number, sigma: number): Float64Array => {
  const g = Float64Array.from({ length: window }, (_, i) =>
    Math.exp(-((i - (window - 1) / 2) ** 2) / (2 * sigma * sigma))
  )
  const s = g.reduce((a, b) => a + b, 0)
  return g.map((v) => v / s)
}

/** The valid separable filtering of an `h × w` plane by `g` (both directions): `(h − k + 1) × (w − k + 1)`. */
const filter = (x: Float64Array, h: number, w: number, g: Float64Array): Float64Array => {
  const k = g.length
  const ow = w - k + 1
  const oh = h - k + 1
  const rows = new Float64Array(h * ow)
  for (let y = 0; y < h; y++)
    for (let c = 0; c < ow; c++) {
      let s = 0
      for (let t = 0; t < k; t++) s += g[t] * x[y * w + c + t]
      rows[y * ow + c] = s
    }
  const out = new Float64Array(oh * ow)
  for (let y = 0; y < oh; y++)
    for (let c = 0; c < ow; c++) {
      let s = 0
      for (let t = 0; t < k; t++) s += g[t] * rows[(y + t) * ow + c]
      out[y * ow + c] = s
    }
  return out
}

/** `cs` and `l · cs` averaged over the valid windows of two planes. */
const planeSsim = (
  x: Float64Array,
  y: Float64Array,
  h: number,
  w: number,
  g: Float64Array
): { readonly cs: number; readonly ssim: number } => {
  const prod = (a: Float64Array, b: Float64Array) => a.map((v, i) => v * b[i])
  const mx = filter(x, h, w, g)
  const my = filter(y, h, w, g)
  const xx = filter(prod(x, x), h, w, g)
  const yy = filter(prod(y, y), h, w, g)
  const xy = filter(prod(x, y), h, w, g)
  let cs = 0
  let ssim = 0
  for (let i = 0; i < mx.length; i++) {
    const vx = xx[i] - mx[i] * mx[i]
    const vy = yy[i] - my[i] * my[i]
    const cxy = xy[i] - mx[i] * my[i]
    const c = (2 * cxy + C2) / (vx + vy + C2)
    cs += c
    ssim += (c * (2 * mx[i] * my[i] + C1)) / (mx[i] * mx[i] + my[i] * my[i] + C1)
  }
  return { cs: cs / mx.length, ssim: ssim / mx.length }
}

/** An `h × w` plane halved by 2 × 2 means (odd edges dropped). */
const halve = (x: Float64Array, h: number, w: number): Float64Array => {
  const oh = Math.floor(h / 2)
  const ow = Math.floor(w / 2)
  const out = new Float64Array(oh * ow)
  for (let y = 0; y < oh; y++)
    for (let c = 0; c < ow; c++)
      out[y * ow + c] =
        (x[2 * y * w + 2 * c] +
          x[2 * y * w + 2 * c + 1] +
          x[(2 * y + 1) * w + 2 * c] +
          x[(2 * y + 1) * w + 2 * c + 1]) /
        4
  return out
}

/** Channel `ch` of the HWC image at `offset`, mapped from [−1, 1] to [0, 1]. */
const plane = (images: Float32Array, offset: number, shape: readonly [number, number, number], ch: number) => {
  const [h, w, c] = shape
  const out = new Float64Array(h * w)
  for (let i = 0; i < h * w; i++) out[i] = (images[offset + i * c + ch] + 1) / 2
  return out
}

/**
 * MS-SSIM of two HWC images in [−1, 1] (image `i` of `a` against image `j` of `b`, flat `[n, h, w, c]`
 * arrays), averaged over channels. 1 for identical images; symmetric.
 * @throws RangeError when the images are smaller than the window
 */
export const msSsim = (
  a: Float32Array,
  i: number,
  b: Float32Array,
  j: number,
  shape: readonly [number, number, number],
  o: MsSsimOptions = {}
): number => {
  const window = o.window ?? 7
  const g = gaussian(window, o.sigma ?? 1.5)
  const [h0, w0, channels] = shape
  const scales = msSsimScales(Math.min(h0, w0), window)
  const weights = MS_SSIM_WEIGHTS.slice(0, scales)
  const total = weights.reduce((s, v) => s + v, 0)
  const size = h0 * w0 * channels
  let sum = 0
  for (let ch = 0; ch < channels; ch++) {
    let x: Float64Array = plane(a, i * size, shape, ch)
    let y: Float64Array = plane(b, j * size, shape, ch)
    let h = h0
    let w = w0
    let value = 1
    for (let s = 0; s < scales; s++) {
      const r = planeSsim(x, y, h, w, g)
      const factor = s === scales - 1 ? r.ssim : r.cs
      value *= Math.max(0, factor) ** (weights[s] / total)
      if (s < scales - 1) {
        x = halve(x, h, w)
        y = halve(y, h, w)
        h = Math.floor(h / 2)
        w = Math.floor(w / 2)
      }
    }
    sum += value
  }
  return sum / channels
}

/**
 * The mean MS-SSIM of `pairs` random pairs of distinct images among the first `n` of `images` (pairs
 * drawn from `seed`): the diversity statistic. Lower is more diverse.
 * @throws RangeError for fewer than 2 images
 */
export const meanPairwiseMsSsim = (
  images: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  pairs = 2000,
  seed = 1,
  o: MsSsimOptions = {}
): number => {
  if (n < 2) throw new RangeError(`msSsim: pairs need at least 2 images, got ${n}`)
  const u = rng(seed)
  let sum = 0
  for (let p = 0; p < pairs; p++) {
    const i = Math.floor(u() * n)
    const j = (i + 1 + Math.floor(u() * (n - 1))) % n
    sum += msSsim(images, i, images, j, shape, o)
  }
  return sum / pairs
}
