/**
 * A sweep on this machine: up to `jobs` runs at a time, each a child process (see `child.ts`). A run
 * whose training process is lost is retried, resuming from its checkpoint; runs already done in the
 * results root are not trained again.
 * @since 0.1.0
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

import { lastLoggedStep, readStatus, runOne } from './child.ts'
import type { RunState } from './queue.ts'
import type { Sweep } from './spec.ts'

export interface LocalOptions {
  readonly root: string
  /** Runs at a time (default: the number of cores). */
  readonly jobs?: number
  readonly backend?: string
  readonly report?: boolean
  /** Times a lost training process is retried (default 2). */
  readonly retries?: number
  readonly log?: (line: string) => void
  readonly signal?: AbortSignal
}

export const runLocal = async (sweep: Sweep, o: LocalOptions): Promise<ReadonlyArray<RunState>> => {
  const log = o.log ?? (() => undefined)
  const states: Array<RunState> = sweep.runs.map((r) => ({ id: r.id, label: r.label, state: 'waiting', attempts: 0 }))
  let next = 0
  let finished = 0
  const lane = async (): Promise<void> => {
    while (next < sweep.runs.length && o.signal?.aborted !== true) {
      const i = next++
      const r = sweep.runs[i]
      for (let attempt = 1; ; attempt++) {
        states[i] = { ...states[i], state: 'active', attempts: attempt }
        const outcome = await runOne(r, {
          root: o.root,
          ...(o.backend !== undefined ? { backend: o.backend } : {}),
          ...(o.report === false ? { report: false } : {}),
          ...(o.signal !== undefined ? { signal: o.signal } : {})
        })
        if (outcome.kind === 'lost' && attempt <= (o.retries ?? 2) && !(o.signal?.aborted ?? false)) {
          log(`${r.label}: ${outcome.reason}; retrying from its checkpoint`)
          continue
        }
        finished++
        if (outcome.kind === 'done') {
          states[i] = {
            ...states[i],
            state: 'completed',
            result: {
              metrics: outcome.metrics,
              from: outcome.from,
              skipped: outcome.skipped,
              ms: outcome.ms,
              worker: 'local'
            }
          }
          log(
            `[${finished}/${sweep.runs.length}] ${r.label}: ${outcome.skipped ? 'already done' : `done in ${(outcome.ms / 1000).toFixed(1)} s`} (${r.id})`
          )
        } else if (outcome.kind === 'lost') {
          // interrupted: the next sweep resumes it from its checkpoint
          states[i] = { ...states[i], state: 'stopped', reason: outcome.reason }
          log(`[${finished}/${sweep.runs.length}] ${r.label}: ${outcome.reason} (${r.id})`)
        } else {
          states[i] = { ...states[i], state: 'failed', reason: outcome.reason }
          log(
            `[${finished}/${sweep.runs.length}] ${r.label}: failed: ${outcome.reason.split('\n').at(-1) ?? ''} (${r.id})`
          )
        }
        break
      }
    }
  }
  const n = Math.max(1, Math.min(o.jobs ?? availableParallelism(), sweep.runs.length))
  await Promise.all(Array.from({ length: n }, lane))
  return states
}

/** Where every run stands in a local results root (from the run folders' `status.json`). */
export const localStatus = async (sweep: Sweep, root: string): Promise<ReadonlyArray<RunState>> =>
  Promise.all(
    sweep.runs.map(async (r): Promise<RunState> => {
      const s = await readStatus(join(root, r.id))
      if (s === undefined) return { id: r.id, label: r.label, state: 'missing', attempts: 0 }
      const step = Math.max(s.step, (await lastLoggedStep(join(root, r.id))) ?? 0)
      // `running` in a folder with no sweep attached means stopped part-way: the next sweep resumes it.
      const state = s.state === 'done' ? 'completed' : s.state === 'running' ? 'started' : s.state
      return { id: r.id, label: r.label, state, attempts: 0, progress: { ...s, step, worker: 'local' } }
    })
  )
