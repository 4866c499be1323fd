/**
 * `compare`: several models or configs × seeds, each trained by its own `train` process (up to the
 * core count at once), then the summary a sweep also writes (src/report/compare.ts): a Markdown table of each
 * metric's mean ± sd over seeds, the same as JSON, and a plot of every seed's value.
 * Every config is read and checked before any process starts.
 * @since 0.1.0
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Experiment } from '../experiment/index.ts'
import { checkExperiment, knownModels, loadExperiment, runFolderFor, UsageError } from './load.ts'

export interface CompareOptions {
  readonly seeds: number
  readonly steps?: number
  readonly backend?: string
  readonly jobs?: number
  readonly out: string
  /** false: the runs write no report (faster) */
  readonly report?: boolean
  /**
   * Keep the runs of `out` already finished with the same config and steps, continue those stopped or
   * killed from their checkpoints, and start the rest; a run folder holding another config is refused.
   */
  readonly resume?: boolean
  readonly log: (line: string) => void
  readonly warn: (line: string) => void
}

interface Job {
  readonly item: string
  readonly label: string
  readonly seed: number
  readonly args: ReadonlyArray<string>
  /** the metrics of a run `--resume` found finished: nothing to run */
  readonly done?: Readonly<Record<string, unknown>>
}

interface Result {
  readonly job: Job
  readonly code: number
  /** The signal that killed the run's process, if one did (its exit code then reads 1). */
  readonly signal?: string
  readonly metrics?: Readonly<Record<string, unknown>>
  readonly error?: string
}

const main = fileURLToPath(new URL('./main.ts', import.meta.url))

/** How a run ended, for people: its exit code, or the signal that killed it. */
const ending = (r: Result): string => (r.signal !== undefined ? `killed by ${r.signal}` : `exit ${r.code}`)

/**
 * The environment of a run when `width` runs share the machine: the native addon's helper thread does
 * not watch for work between products (LOSS_ALGEBRA_NATIVE_SPIN_US=0, native/src/split.cc), since
 * the CPU it would burn belongs to the other runs. A value the caller set is kept.
 */
export const jobEnv = (width: number, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  width > 1 && env.LOSS_ALGEBRA_NATIVE_SPIN_US === undefined ? { ...env, LOSS_ALGEBRA_NATIVE_SPIN_US: '0' } : env

const runJob = (job: Job, width: number): Promise<Result> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, main, ...job.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: jobEnv(width, process.env)
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? ''
      let metrics: Record<string, unknown> | undefined
      try {
        metrics = last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : undefined
      } catch {
        metrics = undefined
      }
      const error =
        stderr
          .split('\n')
          .filter((l) => l.startsWith('loss-algebra:'))
          .join(' ') || undefined
      resolve({ job, code: code ?? 1, ...(signal !== null ? { signal } : {}), metrics, error })
    })
  })

/**
 * What `--resume` finds in a run folder: nothing (start it), a finished run of the same config and
 * steps (its metrics), or a checkpoint of the same config to continue from. A folder holding another
 * config or step count is refused: resuming it would mix two experiments under one label.
 */
const existingRun = async (
  dir: string,
  e: Experiment
): Promise<{ readonly done?: Readonly<Record<string, unknown>>; readonly checkpoint?: boolean } | undefined> => {
  if (!existsSync(join(dir, 'config.json'))) return undefined
  const { readRunConfig, RunFolderError } = await import('../run/folder.ts')
  const { configHash } = await import('../run/checkpoint.ts')
  // what a sweep reads of its run folders (src/sweep/child.ts), here checked against the config first
  const { checkpointStep, readJson, readStatus } = await import('../sweep/child.ts')
  let saved: Experiment
  try {
    saved = await readRunConfig(dir)
  } catch (x) {
    if (x instanceof RunFolderError) throw new UsageError(`compare --resume: ${x.message}`)
    throw x
  }
  if (configHash(saved) !== configHash(e) || saved.train.steps !== e.train.steps)
    throw new UsageError(
      `compare --resume: ${dir} holds another config (${saved.train.steps} steps, hash ${configHash(saved)}; this sweep asks ${e.train.steps} steps, hash ${configHash(e)}); move it away or drop --resume to overwrite it`
    )
  const metrics = await readJson(join(dir, 'metrics.json'))
  const finished = (await readStatus(dir))?.state === 'done'
  if (
    finished &&
    typeof metrics === 'object' &&
    metrics !== null &&
    (metrics as { step?: unknown }).step === e.train.steps
  )
    return { done: metrics as Readonly<Record<string, unknown>> }
  return (await checkpointStep(dir)) !== undefined ? { checkpoint: true } : undefined
}

export const compare = async (items: ReadonlyArray<string>, o: CompareOptions): Promise<number> => {
  const jobs: Array<Job> = []
  const labels = new Set<string>()
  for (const item of items) {
    const isModel = knownModels.includes(item)
    if (!isModel && !existsSync(item))
      throw new UsageError(`compare: "${item}" is neither a model (${knownModels.join(', ')}) nor a file`)
    const e = await loadExperiment(
      isModel ? undefined : item,
      isModel ? { model: item, steps: o.steps } : { steps: o.steps }
    )
    checkExperiment(e, item)
    if (labels.has(e.name))
      throw new UsageError(`compare: two items are both named "${e.name}"; give the configs distinct names`)
    labels.add(e.name)
    for (let seed = 1; seed <= o.seeds; seed++) {
      const name = `${e.name}-seed${seed}`
      const dir = runFolderFor(o.out, name, true)
      const common = [
        '--json',
        ...(o.backend !== undefined ? ['--backend', o.backend] : []),
        ...(o.report === false ? ['--no-report'] : [])
      ]
      const found = o.resume === true ? await existingRun(dir, { ...e, seed }) : undefined
      jobs.push({
        item,
        label: e.name,
        seed,
        ...(found?.done !== undefined ? { done: { run: dir, ...found.done } } : {}),
        args:
          found?.checkpoint === true
            ? ['resume', dir, ...common]
            : [
                'train',
                ...(isModel ? ['--model', item] : [item]),
                '--seed',
                String(seed),
                '--name',
                name,
                '--out',
                o.out,
                '--overwrite',
                ...(o.steps !== undefined ? ['--steps', String(o.steps)] : []),
                ...common
              ]
      })
    }
  }
  // seed-major, so that a sweep stopped part-way has seed 1 of every item before seed 2 of any
  jobs.sort((a, b) => a.seed - b.seed)
  const width = Math.max(1, Math.min(o.jobs ?? availableParallelism(), jobs.length))
  const kept = jobs.filter((j) => j.done !== undefined).length
  o.log(
    `compare: ${jobs.length} runs, ${width} at a time, into ${o.out}${o.resume === true ? ` (${kept} already finished, kept)` : ''}`
  )
  const results: Array<Result> = []
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]
        const r: Result = job.done !== undefined ? { job, code: 0, metrics: job.done } : await runJob(job, width)
        o.log(
          `  ${job.label} seed ${job.seed}: ${job.done !== undefined ? 'kept (finished before)' : r.code === 0 ? 'done' : `failed (${ending(r)})${r.error !== undefined ? `: ${r.error}` : ''}`}`
        )
        results.push(r)
      }
    })
  )
  const order = (r: Result) => jobs.indexOf(r.job)
  results.sort((a, b) => order(a) - order(b))
  // one summary for compare and sweeps (src/report/compare.ts): mean ± sd per metric over seeds, a plot with every seed
  const rows = results.flatMap((r) =>
    r.code === 0 && r.metrics !== undefined ? [{ label: r.job.label, seed: r.job.seed, metrics: r.metrics }] : []
  )
  const failed = results
    .filter((r) => !rows.some((x) => x.label === r.job.label && x.seed === r.job.seed))
    .map((r) => `${r.job.label} seed ${r.job.seed}: ${ending(r)}${r.error !== undefined ? `: ${r.error}` : ''}`)
  const notCompleted = failed.length > 0 ? `\nnot completed:\n${failed.map((f) => `- ${f}`).join('\n')}\n` : ''
  const { writeAtomic, writeJson } = await import('../run/files.ts')
  const runs = results.map((r) => ({
    label: r.job.label,
    seed: r.job.seed,
    exit: r.code,
    ...(r.signal !== undefined ? { signal: r.signal } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    metrics: r.metrics ?? null
  }))
  const written = [join(o.out, 'compare.md'), 'compare.json']
  if (rows.length === 0) {
    const markdown = `no run completed\n${notCompleted}`
    await writeAtomic(join(o.out, 'compare.md'), markdown)
    await writeJson(join(o.out, 'compare.json'), { items, seeds: o.seeds, runs })
    o.log(markdown.trimEnd())
  } else {
    const { compareJson, compareMarkdown, compareReport } = await import('../report/compare.ts')
    const metric = rows.some((r) => typeof r.metrics.modes === 'number') ? 'modes' : undefined
    const options = {
      title: `${metric ?? 'metric'} by run over ${o.seeds} seed${o.seeds === 1 ? '' : 's'}`,
      ...(metric !== undefined ? { metric } : {})
    }
    let report: { readonly markdown: string; readonly json: ReturnType<typeof compareJson>; readonly png?: Buffer }
    try {
      report = await compareReport(rows, options)
    } catch (e) {
      // the table and the JSON do not need the renderer
      o.warn(`loss-algebra: the comparison plot could not be drawn: ${e instanceof Error ? e.message : String(e)}`)
      const json = compareJson(rows, options)
      report = { markdown: compareMarkdown(json), json }
    }
    const markdown = report.markdown + notCompleted
    await writeAtomic(join(o.out, 'compare.md'), markdown)
    await writeJson(join(o.out, 'compare.json'), { items, seeds: o.seeds, runs, comparison: report.json })
    if (report.png !== undefined) {
      await writeAtomic(join(o.out, 'compare.png'), report.png)
      written.push('compare.png')
    }
    o.log(markdown.trimEnd())
  }
  o.log(`wrote ${written.join(', ')}`)
  for (const r of results) {
    const report = join(o.out, `${r.job.label}-seed${r.job.seed}`, 'report.html')
    if (existsSync(report)) o.log(`report: ${report}`)
  }
  return results.some((r) => r.code === 1) ? 1 : results.some((r) => r.code !== 0) ? 2 : 0
}
