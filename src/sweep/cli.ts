/**
 * The `sweep` and `worker` commands.
 *
 * - `loss-algebra sweep <sweep.json> [--out runs] [--jobs n]`: every run on this machine, in child processes.
 * - `loss-algebra sweep <sweep.json> --queue redis://host:port`: enqueue the runs (once: a run already in
 *   the queue is not added again) and wait for the workers; `--no-wait` only enqueues.
 * - `loss-algebra sweep <sweep.json> --status [--queue …]`: where every run stands.
 * - `loss-algebra worker --queue redis://host:port --results <root> [--concurrency n]`: train runs from
 *   the queue into `<root>/<run id>` until stopped (SIGINT/SIGTERM hand unfinished runs back).
 *
 * Exit codes: 0 every run done, 1 some run failed, 2 bad usage or a bad sweep file (nothing enqueued).
 * @since 0.1.0
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { basename } from 'node:path'

import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import * as E from 'fp-ts/Either'

import type { RunState } from './queue.ts'
import type { QueueRef } from './redis.ts'
import { connectionOf, DEFAULT_QUEUE } from './redis.ts'
import type { Sweep } from './spec.ts'
import { expandSweep } from './spec.ts'
import { statusTable, summarize } from './summary.ts'

/** A problem with the command line or the sweep file: exit 2. */
export class SweepUsageError extends Error {}

const positive = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`)
  return n
}

/** Reads and expands a sweep file, or throws a `SweepUsageError` naming every problem. */
export const loadSweep = async (path: string): Promise<Sweep> => {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new SweepUsageError(`cannot read sweep ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch (e) {
    throw new SweepUsageError(`sweep ${path} is not JSON: ${(e as Error).message}`)
  }
  const r = expandSweep(input, path, { defaultName: basename(path).replace(/\.json$/, '') })
  if (E.isLeft(r)) throw new SweepUsageError(`invalid sweep:\n${r.left.map((l) => `  ${l}`).join('\n')}`)
  return r.right
}

const queueRef = (url: string, name: string | undefined): QueueRef => {
  try {
    connectionOf(url)
  } catch (e) {
    throw new SweepUsageError((e as Error).message)
  }
  return { url, ...(name !== undefined ? { name } : {}) }
}

/** Runs a command's body with the project's exit codes: 2 for usage, 1 for anything else thrown. */
const guarded =
  <A extends Array<unknown>>(body: (...a: A) => Promise<number>) =>
  async (...a: A): Promise<void> => {
    try {
      process.exitCode = await body(...a)
    } catch (e) {
      console.error(`loss-algebra: ${e instanceof Error ? e.message : String(e)}`)
      process.exitCode = e instanceof SweepUsageError ? 2 : 1
    }
  }

const finish = async (
  sweep: Sweep,
  states: ReadonlyArray<RunState>,
  o: { readonly json: boolean; readonly dir: string }
): Promise<number> => {
  const s = await summarize(sweep, states, o.dir)
  console.log(o.json ? JSON.stringify(s.summary) : s.markdown.trimEnd())
  if (s.files.length > 0) console.error(`wrote ${s.files.join(', ')}`)
  return states.every((x) => x.state === 'completed') ? 0 : 1
}

interface SweepOpts {
  out: string
  summary?: string
  jobs?: number
  backend?: string
  queue?: string
  queueName?: string
  status?: boolean
  wait: boolean
  retryFailed?: boolean
  json?: boolean
  report: boolean
}

interface WorkerOpts {
  queue: string
  queueName?: string
  results: string
  concurrency: number
  backend?: string
  report: boolean
  lockDuration: number
  stalledInterval: number
}

/** Adds `sweep` and `worker` to the command line. */
export const registerSweep = (program: Command): Command => {
  program
    .command('sweep')
    .description('train a grid or list of experiments: here in child processes, or through a Redis queue with --queue')
    .argument('<sweep>', 'sweep file (JSON): base, runs and/or grid, seeds')
    .option('--out <dir>', 'results root for runs on this machine (and where the summary goes)', 'runs')
    .option('--summary <dir>', 'where <sweep name>.md, .json and .png go (default: --out)')
    .option('--jobs <n>', `runs at a time on this machine (default: ${availableParallelism()}, the cores)`, positive)
    .option('--backend <name>', 'tfjs backend for every run')
    .option('--no-report', "no HTML report and pictures in the runs' folders")
    .option('--queue <url>', 'enqueue on this Redis (redis://host:port) for workers instead of training here')
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE})`)
    .option('--status', 'show where every run stands (in the queue with --queue, else in --out)')
    .option('--no-wait', 'with --queue: enqueue and return without waiting for the workers')
    .option('--retry-failed', 'with --queue: put failed runs back in the queue')
    .option('--json', 'print the summary (or status) as one JSON line')
    .action(
      guarded(async (file: string, o: SweepOpts) => {
        const sweep = await loadSweep(file)
        const q = o.queue !== undefined ? queueRef(o.queue, o.queueName) : undefined
        // BullMQ takes over a second to load: only the commands that use it load it.
        const { localStatus, runLocal } = await import('./local.ts')
        const { enqueue, sweepStatus, waitForSweep } = q !== undefined ? await import('./queue.ts') : ({} as never)
        if (o.status === true) {
          const states = q !== undefined ? await sweepStatus(q, sweep) : await localStatus(sweep, o.out)
          console.log(o.json === true ? JSON.stringify({ sweep: sweep.name, runs: states }) : statusTable(states))
          return 0
        }
        if (q === undefined) {
          console.error(`sweep ${sweep.name}: ${sweep.runs.length} runs into ${o.out}`)
          const ac = new AbortController()
          const onSignal = (): void => ac.abort()
          process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
          const states = await runLocal(sweep, {
            root: o.out,
            ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
            ...(o.backend !== undefined ? { backend: o.backend } : {}),
            report: o.report,
            signal: ac.signal,
            log: (l) => console.error(l)
          })
          process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
          const code = await finish(sweep, states, { json: o.json === true, dir: o.summary ?? o.out })
          return ac.signal.aborted ? 130 : code
        }
        const slow = setTimeout(() => console.error(`waiting for Redis at ${o.queue ?? ''} …`), 5000)
        const e = await enqueue(q, sweep, {
          ...(o.backend !== undefined ? { backend: o.backend } : {}),
          report: o.report,
          retryFailed: o.retryFailed === true
        }).finally(() => clearTimeout(slow))
        console.error(
          `sweep ${sweep.name}: ${sweep.runs.length} runs; ${e.added.length} enqueued, ${e.present.length} already in the queue${e.retried.length > 0 ? `, ${e.retried.length} failed ones retried` : ''}`
        )
        if (!o.wait) return 0
        let shown = ''
        const states = await waitForSweep(q, sweep, (s) => {
          const count = (k: string): number => s.filter((x) => x.state === k).length
          const line = `${count('completed')} done, ${count('failed')} failed, ${count('active')} running, ${s.length - count('completed') - count('failed') - count('active')} waiting`
          if (line !== shown) console.error(line)
          shown = line
        })
        return finish(sweep, states, { json: o.json === true, dir: o.summary ?? o.out })
      })
    )

  program
    .command('worker')
    .description('train runs from a Redis queue (see sweep --queue) until stopped')
    .requiredOption('--queue <url>', 'the Redis holding the queue (redis://host:port)')
    .requiredOption('--results <dir>', "results root shared by every worker: each run's folder is <dir>/<run id>")
    .option('--queue-name <name>', `BullMQ queue name (default ${DEFAULT_QUEUE})`)
    .option('--concurrency <n>', 'runs at a time', positive, 1)
    .option('--backend <name>', 'tfjs backend for runs that name none')
    .option('--no-report', "no HTML report and pictures in the runs' folders")
    .option(
      '--lock-duration <ms>',
      "how long a run's lock lasts unrenewed: a dead worker's run is taken over after about this",
      positive,
      30_000
    )
    .option('--stalled-interval <ms>', 'how often to look for runs of dead workers', positive, 30_000)
    .action(
      guarded(async (o: WorkerOpts) => {
        const q = queueRef(o.queue, o.queueName)
        const { startWorker } = await import('./queue.ts')
        const w = startWorker(q, {
          root: o.results,
          concurrency: o.concurrency,
          lockDuration: o.lockDuration,
          stalledInterval: o.stalledInterval,
          ...(o.backend !== undefined ? { backend: o.backend } : {}),
          report: o.report,
          log: (l) => console.error(`${new Date().toISOString()} ${l}`)
        })
        await w.worker.waitUntilReady()
        console.error(
          `worker ${process.pid}: taking runs from ${o.queue} (${q.name ?? DEFAULT_QUEUE}) into ${o.results}, ${o.concurrency} at a time`
        )
        await new Promise<void>((resolve) => {
          const onSignal = (): void => {
            console.error(`worker ${process.pid}: stopping; unfinished runs go back to the queue`)
            void w.stop().then(resolve)
          }
          process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
        })
        return 0
      })
    )
  return program
}
