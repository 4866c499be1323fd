/**
 * Sweeps through BullMQ on Redis: `enqueue` adds one job per run (the job id is the run id, so a run
 * already in the queue is not added again), `startWorker` trains jobs in child processes and reports
 * progress and final metrics through the queue, `sweepStatus` reads where every run stands.
 *
 * A worker that dies holding a job stops renewing its lock; after `lockDuration` the next stalled
 * check (every `stalledInterval`, by any worker) puts the job back, and whichever worker takes it
 * resumes the run from its folder's last checkpoint. A run that fails for a reason (exit 1 or 2) is
 * failed at once with that reason; a lost training process is retried (`attempts`), resuming.
 * @since 0.1.0
 */
import { hostname } from 'node:os'

import type { Job } from 'bullmq'
import { DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq'
import { Redis } from 'ioredis'

import type { Progress } from './child.ts'
import type { QueueRef } from './redis.ts'
import { connectionOf, DEFAULT_QUEUE } from './redis.ts'
import { LOCK_LOST, runOne } from './child.ts'
import type { Json, Sweep, SweepRun } from './spec.ts'

/** What a job carries: everything a worker on another machine needs to train the run. */
export interface RunJob {
  readonly id: string
  readonly label: string
  readonly sweep: string
  readonly config: Json
  readonly backend?: string
  /** false: the run folder gets no HTML report. */
  readonly report?: boolean
}

/** What a job returns: the run's final metrics and how it got there. */
export interface RunResult {
  readonly metrics: Json
  /** The step this attempt started from (0: from scratch; more: resumed from a checkpoint). */
  readonly from: number
  /** The run folder said it was done already: nothing was trained. */
  readonly skipped: boolean
  readonly ms: number
  readonly worker: string
}

export interface JobProgress extends Progress {
  readonly worker: string
}

/** A Redis client that reconnects by itself; errors while away are the reconnection's business. */
const client = (q: QueueRef): Redis => {
  const r = new Redis(connectionOf(q.url))
  r.on('error', () => undefined)
  return r
}

interface Opened {
  readonly queue: Queue<RunJob, RunResult>
  readonly close: () => Promise<void>
}

const openQueue = (q: QueueRef): Opened => {
  const connection = client(q)
  const queue = new Queue<RunJob, RunResult>(q.name ?? DEFAULT_QUEUE, { connection })
  queue.on('error', () => undefined)
  return {
    queue,
    close: async () => {
      await queue.close()
      connection.disconnect()
    }
  }
}

export interface Enqueued {
  readonly added: ReadonlyArray<string>
  readonly present: ReadonlyArray<string>
  readonly retried: ReadonlyArray<string>
}

/**
 * Adds the sweep's runs that the queue does not hold yet; with `retryFailed`, failed ones go back to
 * waiting. Runs done, waiting or active are left alone.
 */
export const enqueue = async (
  q: QueueRef,
  sweep: Sweep,
  o: {
    readonly backend?: string
    readonly report?: boolean
    readonly retryFailed?: boolean
    readonly attempts?: number
  } = {}
): Promise<Enqueued> => {
  const { queue, close } = openQueue(q)
  try {
    const added: Array<string> = []
    const present: Array<string> = []
    const retried: Array<string> = []
    for (const r of sweep.runs) {
      const data: RunJob = {
        id: r.id,
        label: r.label,
        sweep: sweep.name,
        config: r.config,
        ...(o.backend !== undefined ? { backend: o.backend } : {}),
        ...(o.report === false ? { report: false } : {})
      }
      const held = await queue.getJob(r.id)
      if (held !== undefined) {
        present.push(r.id)
        if (o.retryFailed === true && (await held.getState()) === 'failed') {
          await held.retry('failed')
          retried.push(r.id)
        }
        continue
      }
      // The job id makes adding idempotent even between two enqueuers: an id the queue holds is not added again.
      await queue.add('run', data, { jobId: r.id, attempts: o.attempts ?? 3, backoff: { type: 'fixed', delay: 1000 } })
      added.push(r.id)
    }
    return { added, present, retried }
  } finally {
    await close()
  }
}

export interface RunState {
  readonly id: string
  readonly label: string
  /** waiting, active, completed, failed, delayed … or `missing` when the queue does not hold the run. */
  readonly state: string
  readonly progress?: JobProgress
  readonly result?: RunResult
  readonly reason?: string
  readonly attempts: number
}

/** Where every run of the sweep stands in the queue. */
export const sweepStatus = async (q: QueueRef, sweep: Sweep): Promise<ReadonlyArray<RunState>> => {
  const { queue, close } = openQueue(q)
  try {
    return await statesOf(queue, sweep.runs)
  } finally {
    await close()
  }
}

const statesOf = async (queue: Queue<RunJob, RunResult>, runs: ReadonlyArray<SweepRun>): Promise<Array<RunState>> =>
  Promise.all(
    runs.map(async (r): Promise<RunState> => {
      const job = await queue.getJob(r.id)
      if (job === undefined) return { id: r.id, label: r.label, state: 'missing', attempts: 0 }
      const state = await job.getState()
      const p = job.progress
      return {
        id: r.id,
        label: r.label,
        state,
        attempts: job.attemptsStarted,
        ...(typeof p === 'object' && p !== null && typeof (p as JobProgress).step === 'number'
          ? { progress: p as JobProgress }
          : {}),
        ...(state === 'completed' && job.returnvalue !== null ? { result: job.returnvalue } : {}),
        ...(state === 'failed' ? { reason: job.failedReason } : {})
      }
    })
  )

/**
 * Waits until every run of the sweep is completed or failed, calling `onTick` with the states every
 * `everyMs`. A Redis that goes away meanwhile is waited for.
 */
export const waitForSweep = async (
  q: QueueRef,
  sweep: Sweep,
  onTick: (s: ReadonlyArray<RunState>) => void,
  everyMs = Math.max(1000, 5 * sweep.runs.length)
): Promise<ReadonlyArray<RunState>> => {
  const { queue, close } = openQueue(q)
  try {
    for (;;) {
      let states: ReadonlyArray<RunState> | undefined
      try {
        states = await statesOf(queue, sweep.runs)
      } catch {
        states = undefined // Redis away: ask again
      }
      if (states !== undefined) {
        onTick(states)
        if (states.every((s) => s.state === 'completed' || s.state === 'failed' || s.state === 'missing')) return states
      }
      await new Promise((r) => setTimeout(r, everyMs))
    }
  } finally {
    await close()
  }
}

export interface WorkerOptions {
  /** The shared results root: each run's folder is `<root>/<run id>`. */
  readonly root: string
  readonly concurrency?: number
  /** Milliseconds a job's lock lasts without renewal (a dead worker's job waits this long). */
  readonly lockDuration?: number
  /** Milliseconds between stalled-job checks. */
  readonly stalledInterval?: number
  /** Times a job may be recovered from a dead worker before it fails. */
  readonly maxStalledCount?: number
  readonly backend?: string
  /** false: no run folder gets an HTML report. */
  readonly report?: boolean
  readonly log?: (line: string) => void
}

export interface RunningWorker {
  readonly worker: Worker<RunJob, RunResult>
  /** Stops taking jobs; runs in progress are stopped and handed back to the queue (they resume elsewhere). */
  readonly stop: () => Promise<void>
}

/** Takes runs from the queue and trains them until stopped. */
export const startWorker = (q: QueueRef, o: WorkerOptions): RunningWorker => {
  const me = `${hostname()}:${process.pid}`
  const log = o.log ?? (() => undefined)
  let stopping = false
  const processor = async (job: Job<RunJob, RunResult>, token?: string, signal?: AbortSignal): Promise<RunResult> => {
    const { id, label, config } = job.data
    log(`${id} (${label}): taken, attempt ${job.attemptsStarted}`)
    const outcome = await runOne(
      { id, config },
      {
        root: o.root,
        ...(job.data.backend !== undefined || o.backend !== undefined
          ? { backend: job.data.backend ?? o.backend }
          : {}),
        ...(signal !== undefined ? { signal } : {}),
        ...(job.data.report === false || o.report === false ? { report: false } : {}),
        onProgress: (p) => void job.updateProgress({ ...p, worker: me }).catch(() => undefined)
      }
    )
    switch (outcome.kind) {
      case 'done':
        log(
          `${id}: ${outcome.skipped ? 'already done' : `done${outcome.from > 0 ? ` (resumed from step ${outcome.from})` : ''} in ${(outcome.ms / 1000).toFixed(1)} s`}`
        )
        await job
          .log(`${me}: ${outcome.skipped ? 'already done' : `trained from step ${outcome.from}`}`)
          .catch(() => undefined)
        return { metrics: outcome.metrics, from: outcome.from, skipped: outcome.skipped, ms: outcome.ms, worker: me }
      case 'failed':
        log(`${id}: failed (exit ${outcome.code}): ${outcome.reason.split('\n').at(-1) ?? ''}`)
        throw new UnrecoverableError(`exit ${outcome.code}: ${outcome.reason}`)
      case 'lost':
        if (stopping && token !== undefined) {
          log(`${id}: handed back (worker stopping)`)
          await job.moveToDelayed(Date.now(), token)
          throw new DelayedError()
        }
        log(`${id}: ${outcome.reason}`)
        throw new Error(outcome.reason)
    }
  }
  const connection = client(q)
  const worker = new Worker<RunJob, RunResult>(q.name ?? DEFAULT_QUEUE, processor, {
    connection,
    concurrency: o.concurrency ?? 1,
    lockDuration: o.lockDuration ?? 30_000,
    stalledInterval: o.stalledInterval ?? 30_000,
    maxStalledCount: o.maxStalledCount ?? 5,
    autorun: true
  })
  let lastError = ''
  worker.on('error', (e) => {
    const m = e instanceof Error ? e.message : String(e)
    if (m !== lastError) log(`queue: ${m}`)
    lastError = m
  })
  worker.on('stalled', (id) =>
    log(`${id}: its worker stopped renewing the lock; back in the queue, to resume from its checkpoint`)
  )
  // A lock this worker could not renew may already be another worker's: stop training that run here.
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) {
      log(`${id}: lock lost, stopping the run here`)
      worker.cancelJob(id, LOCK_LOST)
    }
  })
  const stop = async (): Promise<void> => {
    stopping = true
    worker.cancelAllJobs('worker stopping')
    await worker.close()
    connection.disconnect()
  }
  return { worker, stop }
}
