/**
 * The Fréchet distance between Gaussians fitted to two sets of feature vectors (Heusel et al. 2017):
 *
 *   d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½.
 *
 * The square roots are taken of symmetric positive semi-definite matrices only, by a cyclic Jacobi
 * eigendecomposition (tiny negative eigenvalues from rounding clipped to 0), never by an iteration
 * on the non-symmetric product Σ₁Σ₂, whose square root can turn complex from rounding alone.
 * @since 0.1.0
 */

/** A symmetric matrix's eigenvalues and eigenvectors (columns of `vectors`, row-major n × n). */
export interface Eigen {
  readonly values: Float64Array
  readonly vectors: Float64Array
}

/** Eigendecomposition of the symmetric `n × n` row-major matrix `a` (cyclic Jacobi; `a` is not modified). */
export const symmetricEigen = (a: Float64Array, n: number, tolerance = 1e-12, maxSweeps = 100): Eigen => {
  const m = Float64Array.from(a)
  const v = new Float64Array(n * n)
  for (let i = 0; i < n; i++) v[i * n + i] = 1
  const scale = Math.max(
    1e-300,
    m.reduce((s, x) => s + x * x, 0)
  )
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2
    if (off <= tolerance * tolerance * scale) break
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]
        if (apq === 0) continue
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]
          const akq = m[k * n + q]
          m[k * n + p] = c * akp - s * akq
          m[k * n + q] = s * akp + c * akq
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]
          const aqk = m[q * n + k]
          m[p * n + k] = c * apk - s * aqk
          m[q * n + k] = s * apk + c * aqk
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]
          const vkq = v[k * n + q]
          v[k * n + p] = c * vkp - s * vkq
          v[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v }
}

/** `a · b` for row-major `n × n` matrices. */
export const matMul = (a: Float64Array, b: Float64Array, n: number): Float64Array => {
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]
      if (aik === 0) continue
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j]
    }
  }
  return out
}

/** The symmetric PSD square root of a symmetric matrix (negative eigenvalues from rounding clipped to 0). */
export const sqrtSymmetric = (a: Float64Array, n: number): Float64Array => {
  const { values, vectors } = symmetricEigen(a, n)
  const out = new Float64Array(n * n)
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(0, values[k]))
    if (r === 0) continue
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * r
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k]
    }
  }
  return out
}

/** The mean and (unbiased) covariance of `count` row vectors of width `d`. */
export const gaussianFit = (
  x: Float32Array | Float64Array,
  count: number,
  d: number
): { readonly mean: Float64Array; readonly cov: Float64Array } => {
  if (count < 2) throw new RangeError(`gaussianFit: needs at least 2 vectors, got ${count}`)
  const mean = new Float64Array(d)
  for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j]
  for (let j = 0; j < d; j++) mean[j] /= count
  const cov = new Float64Array(d * d)
  const row = new Float64Array(d)
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j]
    for (let a = 0; a < d; a++) {
      const ra = row[a]
      if (ra === 0) continue
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b]
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= count - 1
      cov[b * d + a] = cov[a * d + b]
    }
  }
  return { mean, cov }
}

/** The Fréchet distance d² between N(μ₁, Σ₁) and N(μ₂, Σ₂) in `d` dimensions. */
export const frechetDistance = (
  mu1: Float64Array,
  cov1: Float64Array,
  mu2: Float64Array,
  cov2: Float64Array,
  d: number
): number => {
  let diff = 0
  let traces = 0
  for (let i = 0; i < d; i++) {
    diff += (mu1[i] - mu2[i]) ** 2
    traces += cov1[i * d + i] + cov2[i * d + i]
  }
  const s1 = sqrtSymmetric(cov1, d)
  const m = matMul(matMul(s1, cov2, d), s1, d)
  // symmetrise away rounding before the eigendecomposition
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) m[i * d + j] = m[j * d + i] = (m[i * d + j] + m[j * d + i]) / 2
  const { values } = symmetricEigen(m, d)
  const cross = values.reduce((s, l) => s + Math.sqrt(Math.max(0, l)), 0)
  return Math.max(0, diff + traces - 2 * cross)
}

/** The Fréchet distance between Gaussians fitted to two feature sets of width `d`. */
export const frechetOfFeatures = (
  a: Float32Array,
  aCount: number,
  b: Float32Array,
  bCount: number,
  d: number
): number => {
  const fa = gaussianFit(a, aCount, d)
  const fb = gaussianFit(b, bCount, d)
  return frechetDistance(fa.mean, fa.cov, fb.mean, fb.cov, d)
}
