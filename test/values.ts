/** Deterministic test values: `n` floats in [-1, 1) from a seed (xorshift32), the same on every run. */
export const uniformValues = (n: number, seed: number): Float32Array => {
  const v = new Float32Array(n)
  let s = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    v[i] = (s / 2 ** 32) * 2 - 1
  }
  return v
}
