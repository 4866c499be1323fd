/**
 * Mode coverage on 2-D mixtures (VEEGAN / PacGAN protocol): a sample is high quality when within
 * 3σ of its nearest mean; a mode is captured when it is the nearest mean of at least one
 * high-quality sample; KL(p̂ ‖ U) of the histogram of high-quality samples over modes.
 * @since 0.1.0
 */
import type { Mixture } from '../data/toy.ts'

export interface ModeReport {
  readonly modes: number
  readonly captured: number
  /** Share of samples within 3σ of a mean. */
  readonly highQuality: number
  /** KL(p̂ ‖ uniform) over modes, from high-quality samples; log(modes) when none is. */
  readonly klToUniform: number
  readonly histogram: ReadonlyArray<number>
}

export const modeReport = (m: Mixture, points: Float32Array, threshold = 3): ModeReport => {
  const k = m.means.length
  const hist = new Array<number>(k).fill(0)
  let hq = 0
  const n = points.length / 2
  for (let i = 0; i < n; i++) {
    let best = 0
    let bestD = Infinity
    for (let j = 0; j < k; j++) {
      const d = Math.hypot(points[2 * i] - m.means[j][0], points[2 * i + 1] - m.means[j][1])
      if (d < bestD) {
        bestD = d
        best = j
      }
    }
    if (bestD <= threshold * m.sd) {
      hq++
      hist[best]++
    }
  }
  const kl = hq === 0 ? Math.log(k) : hist.reduce((s, c) => (c === 0 ? s : s + (c / hq) * Math.log((c / hq) * k)), 0)
  return {
    modes: k,
    captured: hist.filter((c) => c > 0).length,
    highQuality: n === 0 ? 0 : hq / n,
    klToUniform: kl,
    histogram: hist
  }
}
