/**
 * The data order's random source: mulberry32 (as `src/data/toy.ts`'s `rng`) with its one word of
 * state readable and settable, so that a checkpoint restores the data order exactly.
 * @since 0.1.0
 */
export interface Rng {
  (): number
  state: number
}

export const seededRng = (seed: number): Rng => {
  const u = (() => {
    u.state = (u.state + 0x6d2b79f5) >>> 0
    let t = u.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }) as Rng
  u.state = seed >>> 0
  return u
}
