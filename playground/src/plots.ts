/** Small canvas plots: samples over the data's modes, codes over the prior, loss curves. */
import type { Mixture } from '../../src/data/toy.ts'

/** A distinct hue per mode. */
export const modeColor = (j: number, k: number, alpha = 1): string =>
  `hsla(${Math.round((360 * j) / Math.max(1, k))}, 70%, 45%, ${alpha})`

const fit = (canvas: HTMLCanvasElement): CanvasRenderingContext2D => {
  const ratio = window.devicePixelRatio || 1
  const w = canvas.clientWidth
  const h = canvas.clientHeight
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio)
    canvas.height = Math.round(h * ratio)
  }
  const ctx = canvas.getContext('2d')!
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
  ctx.clearRect(0, 0, w, h)
  return ctx
}

interface Frame {
  readonly ctx: CanvasRenderingContext2D
  readonly x: (v: number) => number
  readonly y: (v: number) => number
  readonly scale: number
}

/** A square frame centred on 0 showing [−r, r]² with light axes. */
const squareFrame = (canvas: HTMLCanvasElement, r: number): Frame => {
  const ctx = fit(canvas)
  const w = canvas.clientWidth
  const h = canvas.clientHeight
  const side = Math.min(w, h) - 8
  const scale = side / (2 * r)
  const cx = w / 2
  const cy = h / 2
  ctx.strokeStyle = '#e3e6ea'
  ctx.lineWidth = 1
  ctx.beginPath()
  ctx.moveTo(cx - side / 2, cy)
  ctx.lineTo(cx + side / 2, cy)
  ctx.moveTo(cx, cy - side / 2)
  ctx.lineTo(cx, cy + side / 2)
  ctx.stroke()
  return { ctx, x: (v) => cx + v * scale, y: (v) => cy - v * scale, scale }
}

const extent = (m: Mixture): number =>
  1.25 * Math.max(...m.means.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y)))) + 4 * m.sd

/** Generated samples over the data: each mode a 3σ circle, samples within it in its colour, others grey. */
export const drawSamples = (canvas: HTMLCanvasElement, m: Mixture, points: Float32Array | undefined): void => {
  const f = squareFrame(canvas, extent(m))
  const k = m.means.length
  m.means.forEach(([mx, my], j) => {
    f.ctx.fillStyle = modeColor(j, k, 0.12)
    f.ctx.strokeStyle = modeColor(j, k, 0.6)
    f.ctx.beginPath()
    f.ctx.arc(f.x(mx), f.y(my), Math.max(4, 3 * m.sd * f.scale), 0, 2 * Math.PI)
    f.ctx.fill()
    f.ctx.stroke()
  })
  if (points === undefined) return
  const n = points.length / 2
  for (let i = 0; i < n; i++) {
    const px = points[2 * i]
    const py = points[2 * i + 1]
    let best = 0
    let bestD = Infinity
    for (let j = 0; j < k; j++) {
      const d = Math.hypot(px - m.means[j][0], py - m.means[j][1])
      if (d < bestD) {
        bestD = d
        best = j
      }
    }
    f.ctx.fillStyle = bestD <= 3 * m.sd ? modeColor(best, k, 0.55) : 'rgba(60, 60, 60, 0.35)'
    f.ctx.fillRect(f.x(px) - 1.2, f.y(py) - 1.2, 2.4, 2.4)
  }
}

/** Codes over the prior N(0, I): 1σ, 2σ, 3σ circles, each code in its data point's mode colour (first two dimensions). */
export const drawCodes = (
  canvas: HTMLCanvasElement,
  codes: Float32Array | undefined,
  dims: number,
  modes: Int32Array | undefined,
  k: number
): void => {
  const f = squareFrame(canvas, 3.6)
  for (const r of [1, 2, 3]) {
    f.ctx.strokeStyle = `rgba(90, 100, 120, ${0.5 - r * 0.1})`
    f.ctx.setLineDash(r === 1 ? [] : [3, 3])
    f.ctx.beginPath()
    f.ctx.arc(f.x(0), f.y(0), r * f.scale, 0, 2 * Math.PI)
    f.ctx.stroke()
  }
  f.ctx.setLineDash([])
  if (codes === undefined || modes === undefined) return
  const n = codes.length / dims
  for (let i = 0; i < n; i++) {
    const cx = codes[i * dims]
    const cy = dims > 1 ? codes[i * dims + 1] : 0
    f.ctx.fillStyle = modeColor(modes[i], k, 0.6)
    f.ctx.fillRect(f.x(cx) - 1.2, f.y(cy) - 1.2, 2.4, 2.4)
  }
}

/** The exponential moving average of a series (NaN where it has no value yet). */
export const ema = (values: ReadonlyArray<number>, rate: number): ReadonlyArray<number> => {
  let m = NaN
  return values.map((v) => {
    if (Number.isFinite(v)) m = Number.isFinite(m) ? m + rate * (v - m) : v
    return m
  })
}

export const SERIES_COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22'
]

/** Loss curves: one line per series (logged values faintly, their moving average on top), y clipped to the 2nd–98th percentile so a spike does not flatten the rest. */
export const drawCurves = (
  canvas: HTMLCanvasElement,
  steps: ReadonlyArray<number>,
  series: ReadonlyArray<{
    readonly key: string
    readonly values: ReadonlyArray<number>
    readonly color: string
    readonly dashed: boolean
  }>
): void => {
  const ctx = fit(canvas)
  const w = canvas.clientWidth
  const h = canvas.clientHeight
  const pad = { l: 44, r: 8, t: 6, b: 18 }
  ctx.font = '10px system-ui, sans-serif'
  ctx.fillStyle = '#667'
  ctx.textAlign = 'left' // a canvas keeps its state between frames
  if (steps.length < 2) {
    ctx.fillText('the curves appear as the game trains', pad.l, h / 2)
    return
  }
  const all = series.flatMap((s) => s.values.filter(Number.isFinite)).sort((a, b) => a - b)
  let lo = all[Math.floor(0.02 * (all.length - 1))]
  let hi = all[Math.ceil(0.98 * (all.length - 1))]
  if (!(hi > lo)) {
    lo -= 1
    hi += 1
  }
  const margin = 0.05 * (hi - lo)
  lo -= margin
  hi += margin
  const s0 = steps[0]
  const s1 = steps[steps.length - 1]
  const X = (s: number): number => pad.l + ((s - s0) / Math.max(1, s1 - s0)) * (w - pad.l - pad.r)
  const Y = (v: number): number => pad.t + (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (h - pad.t - pad.b)
  ctx.strokeStyle = '#e3e6ea'
  ctx.lineWidth = 1
  ctx.textAlign = 'right'
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4
    ctx.beginPath()
    ctx.moveTo(pad.l, Y(v))
    ctx.lineTo(w - pad.r, Y(v))
    ctx.stroke()
    ctx.fillText(v.toPrecision(3), pad.l - 4, Y(v) + 3)
  }
  ctx.textAlign = 'left'
  ctx.fillText(`step ${s0}`, pad.l, h - 4)
  ctx.textAlign = 'right'
  ctx.fillText(`step ${s1}`, w - pad.r, h - 4)
  const line = (values: ReadonlyArray<number>): void => {
    ctx.beginPath()
    let open = false
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) {
        open = false
        return
      }
      if (open) ctx.lineTo(X(steps[i]), Y(v))
      else ctx.moveTo(X(steps[i]), Y(v))
      open = true
    })
    ctx.stroke()
  }
  for (const s of series) {
    // each logged value faintly, and their exponential moving average over it
    ctx.globalAlpha = 0.22
    ctx.strokeStyle = s.color
    ctx.lineWidth = 1
    ctx.setLineDash([])
    line(s.values)
    ctx.globalAlpha = 1
    ctx.lineWidth = s.dashed ? 1.3 : 1.9
    ctx.setLineDash(s.dashed ? [4, 3] : [])
    line(ema(s.values, 0.15))
  }
  ctx.setLineDash([])
}
