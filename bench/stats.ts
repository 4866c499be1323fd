/** Small statistics for timings. */

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Rounds to a few significant digits for printing and JSON. */
export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toPrecision(digits + 1)) : x)
