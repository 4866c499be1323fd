/**
 * `compare`: several models or configs × seeds, each trained by its own `train` process (up to the
 * core count at once), then one Markdown table, one JSON file and one plot of the final metrics.
 * Every config is read and checked before any process starts.
 * @since 0.1.0
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { checkExperiment, knownModels, loadExperiment, runFolderFor, UsageError } from './load.ts'

export interface CompareOptions {
  readonly seeds: number
  readonly steps?: number
  readonly backend?: string
  readonly jobs?: number
  readonly out: string
  /** false: the runs write no report (faster) */
  readonly report?: boolean
  readonly log: (line: string) => void
  readonly warn: (line: string) => void
}

interface Job {
  readonly item: string
  readonly label: string
  readonly seed: number
  readonly args: ReadonlyArray<string>
}

interface Result {
  readonly job: Job
  readonly code: number
  readonly metrics?: Readonly<Record<string, unknown>>
  readonly error?: string
}

const main = fileURLToPath(new URL('./main.ts', import.meta.url))

const runJob = (job: Job): Promise<Result> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, main, ...job.args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? ''
      let metrics: Record<string, unknown> | undefined
      try {
        metrics = last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : undefined
      } catch {
        metrics = undefined
      }
      const error = stderr.split('\n').filter((l) => l.startsWith('loss-algebra:')).join(' ') || undefined
      resolve({ job, code: code ?? 1, metrics, error })
    })
  })

const mean = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length
const sd = (xs: ReadonlyArray<number>): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)))
const cell = (xs: ReadonlyArray<number>, digits: number): string =>
  xs.length === 0 ? '—' : xs.length === 1 ? xs[0].toFixed(digits) : `${mean(xs).toFixed(digits)} ± ${sd(xs).toFixed(digits)}`

/** The numeric metrics every finished run reported. */
const numericKeys = (rs: ReadonlyArray<Result>): ReadonlyArray<string> => {
  const keys = new Set<string>()
  for (const r of rs) for (const [k, v] of Object.entries(r.metrics ?? {})) if (typeof v === 'number' && k !== 'step') keys.add(k)
  return [...keys]
}

export const compare = async (items: ReadonlyArray<string>, o: CompareOptions): Promise<number> => {
  const jobs: Array<Job> = []
  const labels = new Set<string>()
  for (const item of items) {
    const isModel = knownModels.includes(item)
    if (!isModel && !existsSync(item)) throw new UsageError(`compare: "${item}" is neither a model (${knownModels.join(', ')}) nor a file`)
    const e = await loadExperiment(isModel ? undefined : item, isModel ? { model: item, steps: o.steps } : { steps: o.steps })
    checkExperiment(e, item)
    if (labels.has(e.name)) throw new UsageError(`compare: two items are both named "${e.name}"; give the configs distinct names`)
    labels.add(e.name)
    for (let seed = 1; seed <= o.seeds; seed++) {
      const name = `${e.name}-seed${seed}`
      runFolderFor(o.out, name, true)
      jobs.push({
        item,
        label: e.name,
        seed,
        args: [
          'train',
          ...(isModel ? ['--model', item] : [item]),
          '--seed',
          String(seed),
          '--name',
          name,
          '--out',
          o.out,
          '--overwrite',
          '--json',
          ...(o.steps !== undefined ? ['--steps', String(o.steps)] : []),
          ...(o.backend !== undefined ? ['--backend', o.backend] : []),
          ...(o.report === false ? ['--no-report'] : [])
        ]
      })
    }
  }
  const width = Math.max(1, Math.min(o.jobs ?? availableParallelism(), jobs.length))
  o.log(`compare: ${jobs.length} runs, ${width} at a time, into ${o.out}`)
  const results: Array<Result> = []
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]
        const r = await runJob(job)
        o.log(`  ${job.label} seed ${job.seed}: ${r.code === 0 ? 'done' : `failed (exit ${r.code})${r.error !== undefined ? `: ${r.error}` : ''}`}`)
        results.push(r)
      }
    })
  )
  const order = (r: Result) => jobs.indexOf(r.job)
  results.sort((a, b) => order(a) - order(b))
  const keys = numericKeys(results).filter((k) => k !== 'totalModes')
  const rows = [...labels].map((label) => {
    const rs = results.filter((r) => r.job.label === label)
    const ok = rs.filter((r) => r.code === 0 && r.metrics !== undefined)
    return { label, runs: rs.length, failed: rs.length - ok.length, values: Object.fromEntries(keys.map((k) => [k, ok.map((r) => r.metrics![k] as number).filter((v) => typeof v === 'number')])) }
  })
  const table = [
    `| run | seeds | failed | ${keys.join(' | ')} |`,
    `| --- | --- | --- | ${keys.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.label} | ${r.runs} | ${r.failed} | ${keys.map((k) => cell(r.values[k], k === 'modes' ? 1 : 3)).join(' | ')} |`)
  ].join('\n')
  const { writeAtomic, writeJson } = await import('../run/files.ts')
  await writeAtomic(join(o.out, 'compare.md'), table + '\n')
  await writeJson(join(o.out, 'compare.json'), {
    items,
    seeds: o.seeds,
    runs: results.map((r) => ({ label: r.job.label, seed: r.job.seed, exit: r.code, ...(r.error !== undefined ? { error: r.error } : {}), metrics: r.metrics ?? null }))
  })
  o.log(table)
  const plotted = keys.find((k) => k === 'modes') ?? keys[0]
  if (plotted !== undefined) {
    try {
      const { renderPng } = await import('../report/render.ts')
      const values = results.filter((r) => r.metrics !== undefined).map((r) => ({ run: r.job.label, seed: r.job.seed, value: r.metrics![plotted] as number }))
      const { png } = await renderPng(
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          title: `${plotted} by run (each point a seed)`,
          data: { values },
          width: 60 * rows.length + 60,
          height: 200,
          layer: [
            { mark: { type: 'bar', opacity: 0.4 }, encoding: { x: { field: 'run', type: 'nominal', sort: null, axis: { labelAngle: 0 } }, y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: plotted } } },
            { mark: { type: 'point', filled: true }, encoding: { x: { field: 'run', type: 'nominal', sort: null }, y: { field: 'value', type: 'quantitative' } } }
          ]
        },
        2
      )
      await writeAtomic(join(o.out, 'compare.png'), png)
    } catch (e) {
      o.warn(`loss-algebra: the comparison plot could not be drawn: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  o.log(`wrote ${join(o.out, 'compare.md')}, compare.json, compare.png`)
  for (const r of results) {
    const report = join(o.out, `${r.job.label}-seed${r.job.seed}`, 'report.html')
    if (existsSync(report)) o.log(`report: ${report}`)
  }
  return results.some((r) => r.code === 1) ? 1 : results.some((r) => r.code !== 0) ? 2 : 0
}
