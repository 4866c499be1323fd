/**
 * Comparing runs (models or configs × seeds): a Markdown table of each metric's mean ± standard
 * deviation over seeds, the same as JSON, and a plot of one metric per model with every seed's value
 * and the mean ± sd.
 * @since 0.1.0
 */
import type { TopLevelSpec } from 'vega-lite'

import { FONT, renderPng } from './render.ts'

/** One run of a comparison: its model or config label, its seed, and its final metrics (nested objects allowed). */
export interface CompareRow {
  readonly label: string
  readonly seed: number
  readonly metrics: Readonly<Record<string, unknown>>
  /** The run folder, if any. */
  readonly run?: string
}

/** A metric's summary over one label's seeds. */
export interface Summary {
  readonly n: number
  readonly mean: number
  /** Sample standard deviation (n − 1); 0 for one seed. */
  readonly sd: number
  readonly min: number
  readonly max: number
  readonly values: ReadonlyArray<{ readonly seed: number; readonly value: number }>
}

export interface CompareJson {
  /** The metric plotted. */
  readonly metric: string
  readonly metrics: ReadonlyArray<string>
  /** label → metric → summary, labels in first-seen order. */
  readonly groups: ReadonlyArray<{
    readonly label: string
    readonly seeds: ReadonlyArray<number>
    readonly summary: Readonly<Record<string, Summary>>
  }>
}

export interface CompareOptions {
  /** The metric to plot (default: `modes.captured` where present, else the first shared one). */
  readonly metric?: string
  readonly title?: string
  readonly scale?: number
}

/** Numeric leaves of nested metrics, by dotted key. */
export const numericMetrics = (o: Readonly<Record<string, unknown>>, prefix = ''): Array<[string, number]> =>
  Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'number' && Number.isFinite(v)
      ? [[`${prefix}${k}`, v] as [string, number]]
      : typeof v === 'object' && v !== null && !Array.isArray(v)
        ? numericMetrics(v as Record<string, unknown>, `${prefix}${k}.`)
        : []
  )

export const summarize = (values: ReadonlyArray<{ readonly seed: number; readonly value: number }>): Summary => {
  const xs = values.map((v) => v.value)
  const n = xs.length
  const mean = xs.reduce((s, x) => s + x, 0) / n
  const sd = n < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1))
  return { n, mean, sd, min: Math.min(...xs), max: Math.max(...xs), values }
}

const num = (x: number): string =>
  Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 100
      ? x.toFixed(1)
      : Math.abs(x) >= 0.01
        ? x.toFixed(3)
        : x.toExponential(2)

/** The summaries, without the picture. */
export const compareJson = (rows: ReadonlyArray<CompareRow>, o: CompareOptions = {}): CompareJson => {
  if (rows.length === 0) throw new RangeError('compareReport: no runs to compare')
  const labels = [...new Set(rows.map((r) => r.label))]
  const flat = rows.map((r) => ({ ...r, m: new Map(numericMetrics(r.metrics)) }))
  const metrics = [...new Set(flat.flatMap((r) => [...r.m.keys()]))].filter((k) => k !== 'step')
  const metric =
    o.metric ??
    (metrics.includes('modes.captured')
      ? 'modes.captured'
      : (metrics.find((k) => flat.every((r) => r.m.has(k))) ?? metrics[0]))
  if (metric === undefined) throw new RangeError('compareReport: the runs report no numeric metric')
  if (!metrics.includes(metric))
    throw new RangeError(`compareReport: no run reports the metric "${metric}" (they report ${metrics.join(', ')})`)
  const groups = labels.map((label) => {
    const mine = flat.filter((r) => r.label === label)
    const summary = Object.fromEntries(
      metrics.flatMap((k) => {
        const values = mine.filter((r) => r.m.has(k)).map((r) => ({ seed: r.seed, value: r.m.get(k) as number }))
        return values.length === 0 ? [] : [[k, summarize(values)]]
      })
    )
    return { label, seeds: mine.map((r) => r.seed), summary }
  })
  return { metric, metrics, groups }
}

/** The Markdown table: one row per label, `mean ± sd` of each metric over its seeds. */
export const compareMarkdown = (j: CompareJson): string => {
  const head = ['model', 'seeds', ...j.metrics]
  const rows = j.groups.map((g) => [
    g.label,
    String(g.seeds.length),
    ...j.metrics.map((k) => {
      const s = g.summary[k]
      return s === undefined ? '–' : s.n > 1 ? `${num(s.mean)} ± ${num(s.sd)}` : num(s.mean)
    })
  ])
  const line = (cells: ReadonlyArray<string>): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(head), line(head.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)].join('\n') + '\n'
}

/** The plot's spec: every seed's value as a dot, the mean as a tick, ± one sd as a bar. */
export const compareSpec = (j: CompareJson, o: CompareOptions = {}): TopLevelSpec => {
  const points = j.groups.flatMap((g) =>
    (g.summary[j.metric]?.values ?? []).map((v) => ({ label: g.label, seed: v.seed, value: v.value }))
  )
  const spread = j.groups.flatMap((g) => {
    const s = g.summary[j.metric]
    return s === undefined ? [] : [{ label: g.label, mean: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd, n: s.n }]
  })
  const y = {
    field: 'label',
    type: 'nominal' as const,
    sort: j.groups.map((g) => g.label),
    // whole names: runs differing only at the end (alpha-gan-lambda-0.1 / -10) must stay apart
    axis: { title: null, labelFontSize: 12, labelLimit: 400 }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: o.title ?? j.metric,
      subtitle: 'dots: seeds · bar: mean ± sd · tick: mean',
      fontSize: 15,
      subtitleFontSize: 11,
      subtitleColor: '#555',
      anchor: 'start'
    },
    width: 420,
    height: { step: 34 },
    padding: 10,
    layer: [
      {
        data: { values: spread },
        mark: { type: 'rule', strokeWidth: 6, color: '#9ecae1' },
        encoding: {
          y,
          x: { field: 'lo', type: 'quantitative', title: j.metric, scale: { zero: false }, axis: { format: '~f' } },
          x2: { field: 'hi' }
        }
      },
      {
        data: { values: spread },
        mark: { type: 'tick', color: '#08519c', thickness: 2, size: 20 },
        encoding: { y, x: { field: 'mean', type: 'quantitative' } }
      },
      {
        data: { values: points },
        mark: { type: 'circle', size: 50, color: '#d62728', opacity: 0.8 },
        encoding: { y, x: { field: 'value', type: 'quantitative' }, tooltip: [{ field: 'seed' }] }
      }
    ],
    config: { font: FONT, axis: { grid: true, gridColor: '#eee', labelFontSize: 11 } }
  } as TopLevelSpec
}

/** The comparison as Markdown, JSON and a PNG plot of one metric per model with its seed spread. */
export const compareReport = async (
  rows: ReadonlyArray<CompareRow>,
  o: CompareOptions = {}
): Promise<{ readonly markdown: string; readonly json: CompareJson; readonly png: Buffer }> => {
  const json = compareJson(rows, o)
  const { png } = await renderPng(compareSpec(json, o), o.scale ?? 2)
  return { markdown: compareMarkdown(json), json, png }
}
