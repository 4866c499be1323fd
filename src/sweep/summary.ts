/**
 * A sweep's summary, the same as `compare`'s (`src/report/compare.ts`): runs that differ only in their
 * seed form one row, each metric as mean ± sd over the seeds, written as Markdown, JSON and a PNG plot.
 * The JSON adds every run with its state, final metrics or the reason it failed.
 * @since 0.1.0
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'

import type { CompareJson } from '../report/compare.ts'
import type { RunState } from './queue.ts'
import type { Json, Sweep } from './spec.ts'

export interface SummaryRun {
  readonly id: string
  readonly label: string
  readonly group: string
  readonly seed: number
  readonly state: string
  readonly metrics?: Json
  readonly reason?: string
}

export interface Summary {
  readonly sweep: string
  readonly runs: ReadonlyArray<SummaryRun>
  /** The comparison over the completed runs (absent when none completed). */
  readonly comparison?: CompareJson
}

const lastLine = (s: string): string =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .at(-1) ?? s

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The summary of a finished sweep; with `dir`, also `<dir>/<sweep>.md`, `.json` and `.png`. Returns
 * the summary and the Markdown table (or a line saying that no run completed).
 */
export const summarize = async (
  sweep: Sweep,
  states: ReadonlyArray<RunState>,
  dir?: string
): Promise<{ readonly summary: Summary; readonly markdown: string; readonly files: ReadonlyArray<string> }> => {
  const byId = new Map(sweep.runs.map((r) => [r.id, r]))
  const runs: Array<SummaryRun> = states.map((s) => {
    const r = byId.get(s.id)
    return {
      id: s.id,
      label: s.label,
      group: r?.group ?? s.label,
      seed: r?.seed ?? 1,
      state: s.state,
      ...(s.result !== undefined ? { metrics: s.result.metrics } : {}),
      ...(s.reason !== undefined ? { reason: lastLine(s.reason) } : {})
    }
  })
  const rows = runs
    .filter((r) => r.state === 'completed' && isRecord(r.metrics))
    .map((r) => ({ label: r.group, seed: r.seed, metrics: r.metrics as Record<string, unknown> }))
  const failed = runs
    .filter((r) => r.state !== 'completed')
    .map((r) => `${r.label} (${r.id}): ${r.state}${r.reason !== undefined ? `: ${r.reason}` : ''}`)
  if (rows.length === 0)
    return {
      summary: { sweep: sweep.name, runs },
      markdown: ['no run completed', ...failed].join('\n') + '\n',
      files: []
    }
  const { compareReport } = await import('../report/compare.ts')
  const report = await compareReport(rows, { title: `${sweep.name}` })
  const summary: Summary = { sweep: sweep.name, runs, comparison: report.json }
  const markdown =
    report.markdown + (failed.length > 0 ? `\nnot completed:\n${failed.map((f) => `- ${f}`).join('\n')}\n` : '')
  if (dir === undefined) return { summary, markdown, files: [] }
  const { writeAtomic, writeJson } = await import('../run/files.ts')
  await mkdir(dir, { recursive: true })
  const base = join(dir, sweep.name.replace(/[^\w.+-]/g, '_'))
  await writeAtomic(`${base}.md`, markdown)
  await writeJson(`${base}.json`, summary)
  await writeAtomic(`${base}.png`, report.png)
  return { summary, markdown, files: [`${base}.md`, `${base}.json`, `${base}.png`] }
}

/** One line per run for `--status`: state, step, worker, attempts, note. */
export const statusTable = (states: ReadonlyArray<RunState>): string => {
  const rows = [
    ['run', 'id', 'state', 'step', 'worker', 'attempts', 'note'],
    ...states.map((s) => [
      s.label,
      s.id,
      s.state,
      s.state === 'completed'
        ? 'done'
        : s.progress !== undefined
          ? `${s.progress.step}${s.progress.steps !== undefined ? `/${s.progress.steps}` : ''}`
          : '',
      s.result?.worker ?? s.progress?.worker ?? '',
      String(s.attempts),
      s.reason !== undefined
        ? lastLine(s.reason)
        : s.result !== undefined && s.result.from > 0
          ? `resumed from step ${s.result.from}`
          : ''
    ])
  ]
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  return rows
    .map((r) =>
      r
        .map((x, c) => x.padEnd(widths[c]))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}
