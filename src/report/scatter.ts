/**
 * 2-D pictures: samples scattered over the data, each mode marked with its 3σ circle (the radius
 * within which a sample counts as high quality), and optionally the encoder's codes over the prior.
 * @since 0.1.0
 */
import type { TopLevelSpec } from 'vega-lite'

import { normal, rng } from '../data/toy.ts'
import { FONT, renderPng } from './render.ts'

/** A 2-D sample file (`samples/step-000500.json`). */
export interface Sample2d {
  readonly points: ReadonlyArray<readonly [number, number]>
  readonly modes: ReadonlyArray<readonly [number, number]>
  readonly sd: number
  readonly codes?: ReadonlyArray<ReadonlyArray<number>>
}

export interface ScatterOptions {
  readonly title?: string
  /** Side of each square panel, in pixels (default 300). */
  readonly size?: number
  /** Draws of the data shown behind the samples (default 1000; 0 for none). */
  readonly dataPoints?: number
  /** Pixel density (default 2). */
  readonly scale?: number
  readonly seed?: number
}

export const COLORS = {
  data: '#c7c7c7',
  sample: '#1f77b4',
  mode: '#d62728',
  code: '#ff7f0e',
  prior: '#c7c7c7'
} as const

const circle = (mode: number, [cx, cy]: readonly [number, number], r: number) =>
  Array.from({ length: 65 }, (_, i) => ({
    mode,
    i,
    x: cx + r * Math.cos((2 * Math.PI * i) / 64),
    y: cy + r * Math.sin((2 * Math.PI * i) / 64)
  }))

const extent = (xs: ReadonlyArray<number>, margin: number): [number, number] => {
  const lo = Math.min(...xs)
  const hi = Math.max(...xs)
  return [lo - margin, hi + margin]
}

/** A square domain around the modes (with room for 3σ and then some), shared by x and y. */
const dataDomain = (s: Sample2d): [number, number] => {
  const pad = Math.max(6 * s.sd, 0.5)
  const [lo, hi] = extent(
    s.modes.flatMap(([x, y]) => [x, y]),
    pad
  )
  return [lo, hi]
}

const clip = (v: number, [lo, hi]: readonly [number, number]): number => Math.min(hi, Math.max(lo, v))

const square = (size: number, domain: [number, number], title: string) => ({
  width: size,
  height: size,
  title: { text: title, fontSize: 13 },
  encoding: {
    x: {
      field: 'x',
      type: 'quantitative' as const,
      scale: { domain, nice: false, zero: false },
      axis: { title: null, tickCount: 5 }
    },
    y: {
      field: 'y',
      type: 'quantitative' as const,
      scale: { domain, nice: false, zero: false },
      axis: { title: null, tickCount: 5 }
    }
  }
})

/** The Vega-Lite spec of the picture (panels `samples` and, with codes, `codes`). */
export const scatterSpec = (s: Sample2d, o: ScatterOptions = {}): TopLevelSpec => {
  const size = o.size ?? 300
  const u = rng(o.seed ?? 7)
  const domain = dataDomain(s)
  const nData = o.dataPoints ?? 1000
  const data = Array.from({ length: nData }, () => {
    const [mx, my] = s.modes[Math.floor(u() * s.modes.length)]
    return { x: mx + s.sd * normal(u), y: my + s.sd * normal(u) }
  })
  // samples off the plot are drawn on its edge, so that a reader sees how many went astray
  const samples = s.points.map(([x, y]) => ({ x: clip(x, domain), y: clip(y, domain) }))
  const circles = s.modes.flatMap((m, k) => circle(k, m, 3 * s.sd))
  const modes = s.modes.map(([x, y], k) => ({ x, y, mode: k }))
  const panel = {
    name: 'samples',
    ...square(size, domain, `${s.points.length} sample${s.points.length === 1 ? '' : 's'} over the data`),
    layer: [
      { data: { values: data }, mark: { type: 'circle' as const, size: 6, opacity: 0.6, color: COLORS.data } },
      { data: { values: samples }, mark: { type: 'circle' as const, size: 8, opacity: 0.55, color: COLORS.sample } },
      {
        data: { values: circles },
        mark: { type: 'line' as const, color: COLORS.mode, strokeWidth: 1.2 },
        encoding: {
          detail: { field: 'mode', type: 'nominal' as const },
          order: { field: 'i', type: 'quantitative' as const }
        }
      },
      {
        data: { values: modes },
        mark: { type: 'point' as const, shape: 'cross', size: 40, filled: true, color: COLORS.mode, opacity: 1 }
      }
    ]
  }
  const panels: Array<object> = [panel]
  if (s.codes !== undefined && s.codes.length > 0) {
    const dims = s.codes[0].length
    const codes = s.codes.map((c) => ({ x: c[0], y: dims > 1 ? c[1] : 0 }))
    const prior = Array.from({ length: nData }, () => ({ x: normal(u), y: dims > 1 ? normal(u) : 0 }))
    const codeDomain: [number, number] = [-3.5, 3.5]
    panels.push({
      name: 'codes',
      ...square(size, codeDomain, `codes E(x) over the prior${dims > 2 ? ` (z₁, z₂ of ${dims})` : ''}`),
      layer: [
        { data: { values: prior }, mark: { type: 'circle' as const, size: 6, opacity: 0.6, color: COLORS.prior } },
        {
          data: { values: codes.map(({ x, y }) => ({ x: clip(x, codeDomain), y: clip(y, codeDomain) })) },
          mark: { type: 'circle' as const, size: 8, opacity: 0.55, color: COLORS.code }
        }
      ]
    })
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: o.title ?? '',
      subtitle: `blue: samples · grey: data${panels.length > 1 ? ' and prior' : ''} · red: modes with their 3σ circles${panels.length > 1 ? ' · orange: codes' : ''}`,
      fontSize: 15,
      subtitleFontSize: 11,
      subtitleColor: '#555',
      anchor: 'start' as const
    },
    hconcat: panels,
    spacing: 24,
    padding: 10,
    config: { font: FONT, view: { stroke: '#888' }, axis: { labelFontSize: 11, grid: true, gridColor: '#eee' } }
  } as TopLevelSpec
}

/** The picture as PNG, and where a data point of a panel lies on it. */
export const scatter = async (s: Sample2d, o: ScatterOptions = {}) => renderPng(scatterSpec(s, o), o.scale ?? 2)

/** The picture as PNG bytes. */
export const scatterPng = async (s: Sample2d, o: ScatterOptions = {}): Promise<Buffer> => (await scatter(s, o)).png
