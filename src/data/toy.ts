/**
 * 2-D mixtures of Gaussians for mode-collapse studies (docs/ARCHITECTURE.md §8): a ring of 8 and a grid of 25.
 * The ring's means are at angles 2πk/n for k < n: n distinct modes (not `linspace(0, 2π, n)`, which
 * repeats the first mode and leaves n − 1).
 * @since 0.1.0
 */

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export const rng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
export const normal = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())

export interface Mixture {
  readonly name: string
  readonly means: ReadonlyArray<readonly [number, number]>
  readonly sd: number
}

export const ring = (modes = 8, radius = 2, sd = 0.05): Mixture => ({
  name: `ring of ${modes} (radius ${radius}, σ ${sd})`,
  means: Array.from(
    { length: modes },
    (_, k) => [radius * Math.cos((2 * Math.PI * k) / modes), radius * Math.sin((2 * Math.PI * k) / modes)] as const
  ),
  sd
})

export const grid = (side = 5, spacing = 2, sd = 0.05): Mixture => ({
  name: `grid of ${side * side} (spacing ${spacing}, σ ${sd})`,
  means: Array.from(
    { length: side * side },
    (_, i) => [spacing * ((i % side) - (side - 1) / 2), spacing * (Math.floor(i / side) - (side - 1) / 2)] as const
  ),
  sd
})

/** `count` points of the mixture as a flat `[count × 2]` array, each mode equally likely. */
export const sampleMixture = (m: Mixture, count: number, u: () => number): Float32Array => {
  const out = new Float32Array(2 * count)
  for (let i = 0; i < count; i++) {
    const [mx, my] = m.means[Math.min(m.means.length - 1, Math.floor(u() * m.means.length))]
    out[2 * i] = mx + m.sd * normal(u)
    out[2 * i + 1] = my + m.sd * normal(u)
  }
  return out
}
