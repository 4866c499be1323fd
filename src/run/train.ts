/**
 * The training loop of a run folder: steps, logs every player's and named term's loss, evaluates,
 * checkpoints (atomically, only weights known to be finite), and stops on divergence with the player,
 * the term and the step, keeping the last good checkpoint.
 * @since 0.1.0
 */
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'

import type { StepReport } from '../compile/step.ts'
import { DivergenceError, readValues } from '../compile/step.ts'
import { showUnicode } from '../core/Show.ts'
import { showStepSchedule } from '../core/Game.ts'
import type { Experiment } from '../experiment/types.ts'
import type { Checkpoint } from './checkpoint.ts'
import { saveCheckpoint } from './checkpoint.ts'
import { evaluateInto } from './evaluate.ts'
import { appendJsonLine, writeJson } from './files.ts'
import { checkpointPath, trimLogs } from './folder.ts'
import { batchOf, openSession, weightsFinite } from './session.ts'

/** What the loop reports as it goes: a progress bar on a terminal, plain lines otherwise. */
export interface Progress {
  start(total: number, done: number): void
  update(step: number, losses: Readonly<Record<string, number>>): void
  stop(): void
}

export interface TrainOptions {
  readonly dir: string
  readonly backend?: string
  /** Split each batch over this many threads (data parallel, ./parallel.ts); default 1. */
  readonly threads?: number
  readonly checkpoint?: Checkpoint
  /** Replace what is in `dir` (once the backend and nets are ready, so a failure to start leaves it as it was). */
  readonly replace?: boolean
  readonly log: (line: string) => void
  readonly progress?: Progress
  /** Set `stopped` (e.g. on SIGINT): the loop checkpoints and returns at the next step. */
  readonly signal?: { stopped: boolean }
}

export type Outcome =
  | { readonly _tag: 'Done'; readonly metrics: Readonly<Record<string, unknown>> }
  | {
      readonly _tag: 'Diverged'
      readonly player: string
      readonly term: string
      readonly step: number
      readonly value: number
      readonly checkpoint: number | undefined
      readonly message: string
    }
  | { readonly _tag: 'Stopped'; readonly step: number }

const status = (dir: string, s: Record<string, unknown>) => writeJson(join(dir, 'status.json'), s)

/** Trains `e` in `dir` (fresh, or from `checkpoint`) up to `e.train.steps`. */
export const train = async (e: Experiment, o: TrainOptions): Promise<Outcome> => {
  const s = await openSession(e, { backend: o.backend, checkpoint: o.checkpoint, threads: o.threads })
  const dir = o.dir
  if (o.replace === true) await rm(dir, { recursive: true, force: true })
  const recorded: Experiment = { ...e, backend: s.backend.name }
  await writeJson(join(dir, 'config.json'), recorded)
  if (o.checkpoint !== undefined) await trimLogs(dir, o.checkpoint.step)
  const threads = o.threads ?? 1
  o.log(`backend: ${s.backend.reason}${threads > 1 ? `; each batch split over ${threads} threads` : ''}`)
  o.log(
    `${e.model !== undefined ? e.model.name : 'game'} on the ${s.source.description}, ${e.train.steps} steps of ${e.train.batch}${s.step > 0 ? `, resuming at step ${s.step}` : ''}`
  )
  for (const p of s.game.players)
    o.log(
      `  ${p.name} [${p.nets.join(', ')}] minimises ${showUnicode(p.loss)}${p.every > 1 ? ` every ${p.every} steps` : ''}`
    )
  o.log(`  schedule: ${showStepSchedule(s.game)}`)
  await status(dir, { state: 'running', step: s.step })
  let lastCheckpoint = existsSync(checkpointPath(dir)) && o.checkpoint !== undefined ? o.checkpoint.step : undefined
  let lastEval = -1
  let report: StepReport | undefined
  let losses: Record<string, number> = {}
  const total = e.train.steps
  o.progress?.start(total, s.step)
  let t0 = performance.now()
  let since = s.step
  const started = performance.now()
  // evaluation time, left out of the step times logged and reported
  let evaluating = 0
  const evaluate = async () => {
    const e0 = performance.now()
    try {
      return await evaluateInto(s, dir)
    } finally {
      const d = performance.now() - e0
      evaluating += d
      t0 += d
    }
  }
  const startStep = s.step
  const checkpoint = async () => {
    if (report !== undefined) await readValues(report)
    if (!(await weightsFinite(s.nets))) throw new DivergenceError('weights', s.step, NaN)
    await saveCheckpoint(checkpointPath(dir), await s.snapshot())
    lastCheckpoint = s.step
  }
  try {
    try {
      while (s.step < total && o.signal?.stopped !== true) {
        const x = batchOf(e, s.source, e.train.batch, s.u)
        try {
          report = s.compiled.step(x)
        } finally {
          x.dispose()
        }
        s.step++
        if (s.step % e.train.logEvery === 0 || s.step === total) {
          losses = await readValues(report)
          const now = performance.now()
          const ms = (now - t0) / (s.step - since)
          t0 = now
          since = s.step
          await appendJsonLine(join(dir, 'losses.jsonl'), { step: s.step, values: losses, ms: +ms.toFixed(3) })
          o.progress?.update(s.step, losses)
        }
        if (s.step % e.train.checkpointEvery === 0 || s.step === total) await checkpoint()
        if (s.step % e.train.evalEvery === 0 || s.step === total) {
          await evaluate()
          lastEval = s.step
        }
      }
      if (o.signal?.stopped === true) {
        if (lastCheckpoint !== s.step) await checkpoint()
        o.progress?.stop()
        await status(dir, {
          state: 'stopped',
          step: s.step,
          reason: 'interrupted; `resume` continues from the checkpoint'
        })
        o.log(`stopped at step ${s.step}; checkpoint kept`)
        return { _tag: 'Stopped', step: s.step }
      }
    } catch (err) {
      o.progress?.stop()
      if (!(err instanceof DivergenceError)) throw err
      const slash = err.term.indexOf('/')
      const player = slash < 0 ? err.term : err.term.slice(0, slash)
      const message = `training diverged at step ${err.step + (err.term === 'weights' ? 0 : 1)}: player "${player}", term "${err.term}" = ${err.value}; ${
        lastCheckpoint === undefined ? 'no checkpoint was written' : `last good checkpoint: step ${lastCheckpoint}`
      }`
      await status(dir, { state: 'failed', step: s.step, reason: message })
      return {
        _tag: 'Diverged',
        player,
        term: err.term,
        step: err.step + 1,
        value: err.value,
        checkpoint: lastCheckpoint,
        message
      }
    }
    o.progress?.stop()
    const metrics = lastEval === s.step ? undefined : await evaluate()
    const last = metrics ?? (await lastMetrics(dir))
    const ran = s.step - startStep
    // a run resumed after its last step ran none: its loss log has the step time and the last losses
    const fromLog = ran > 0 ? undefined : await loggedSteps(dir)
    const final = {
      ...last,
      step: s.step,
      backend: s.backend.name,
      ...(threads > 1 ? { threads } : {}),
      msPerStep:
        fromLog !== undefined ? fromLog.msPerStep : +((performance.now() - started - evaluating) / ran).toFixed(3),
      losses: fromLog?.losses ?? losses
    }
    await writeJson(join(dir, 'metrics.json'), final)
    await status(dir, { state: 'done', step: s.step })
    return { _tag: 'Done', metrics: final }
  } finally {
    s.dispose()
  }
}

/** The mean of the step times a run's loss log records (one per logged interval), and its last losses. */
const loggedSteps = async (dir: string): Promise<{ msPerStep: number | null; losses: Record<string, number> }> => {
  const { readFile } = await import('node:fs/promises')
  const { parseLosses } = await import('../report/losses.ts')
  const path = join(dir, 'losses.jsonl')
  const lines = existsSync(path) ? parseLosses(await readFile(path, 'utf8'), path) : []
  const ms = lines.map((l) => l.ms).filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
  return {
    msPerStep: ms.length === 0 ? null : +(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(3),
    losses: { ...lines.at(-1)?.values }
  }
}

const lastMetrics = async (dir: string): Promise<Record<string, unknown>> => {
  const { readFile } = await import('node:fs/promises')
  const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n')
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
}
