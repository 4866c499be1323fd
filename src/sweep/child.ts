/**
 * One run of a sweep, as the command line trains it: a child process `loss-algebra train` (or
 * `resume`, when the run folder already holds a checkpoint), its exit read as the outcome. A run whose
 * folder says it is done is not trained again.
 *
 * Exit 0: done. Exit 1 (training failed, e.g. diverged) and 2 (bad config): failed for a reason that a
 * retry would meet again. Killed by a signal: lost, to be retried (and resumed).
 * @since 0.1.0
 */
import { spawn } from 'node:child_process'
import type { FileHandle } from 'node:fs/promises'
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { readCheckpointStep } from '../run/checkpoint.ts'
import { checkpointPath } from '../run/folder.ts'
import type { Json } from './spec.ts'

/** Where a run stands, from its folder's `status.json`. */
export interface Progress {
  readonly state: string
  readonly step: number
  readonly steps?: number
}

/** The abort reason that stops a training process at once (its run may be someone else's now). */
export const LOCK_LOST = 'lock lost'

export type Outcome =
  | {
      readonly kind: 'done'
      readonly metrics: Json
      readonly from: number
      readonly skipped: boolean
      readonly ms: number
    }
  | { readonly kind: 'failed'; readonly code: number; readonly reason: string }
  | { readonly kind: 'lost'; readonly reason: string; readonly from: number }

export interface RunOptions {
  /** The results root: the run's folder is `<root>/<id>`. */
  readonly root: string
  readonly backend?: string
  /** false: no HTML report and pictures in the run folder (`--no-report`). */
  readonly report?: boolean
  readonly onProgress?: (p: Progress) => void
  /** Aborting stops the child (SIGTERM, then SIGKILL; at once for `LOCK_LOST`); the outcome is `lost`. */
  readonly signal?: AbortSignal
  /** Milliseconds between reads of `status.json` (default 500). */
  readonly pollMs?: number
}

const here = fileURLToPath(new URL('.', import.meta.url))
const mainTs = join(here, '..', 'cli', 'main.ts')
const guard = pathToFileURL(join(here, 'guard.ts')).href
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** The argv that runs the command line directly (no wrapper process between us and the training). */
export const cliArgv = (args: ReadonlyArray<string>): ReadonlyArray<string> => [
  '--import',
  tsx,
  '--import',
  guard,
  mainTs,
  ...args
]

/** A JSON file's value; undefined when it is missing or unreadable. */
export const readJson = async (path: string): Promise<unknown> => {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch {
    return undefined
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The last step logged in the folder's `losses.jsonl` (read from its end), or undefined. */
export const lastLoggedStep = async (dir: string): Promise<number | undefined> => {
  let f: FileHandle | undefined
  try {
    f = await open(join(dir, 'losses.jsonl'), 'r')
    const { size } = await f.stat()
    const n = Math.min(size, 8192)
    const buf = Buffer.alloc(n)
    await f.read(buf, 0, n, size - n)
    const lines = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
    for (const line of lines.reverse()) {
      try {
        const step = (JSON.parse(line) as { step?: unknown }).step
        if (typeof step === 'number') return step
      } catch {
        // a partial line at the start of the window, or one being written
      }
    }
    return undefined
  } catch {
    return undefined
  } finally {
    await f?.close()
  }
}

/** The run folder's status, if it has a readable one. */
export const readStatus = async (dir: string): Promise<Progress | undefined> => {
  const s = await readJson(join(dir, 'status.json'))
  return isObject(s) && typeof s.state === 'string' && typeof s.step === 'number'
    ? { state: s.state, step: s.step, ...(typeof s.steps === 'number' ? { steps: s.steps } : {}) }
    : undefined
}

/** The step of the run folder's last checkpoint; undefined when it has none or it is unreadable. */
export const checkpointStep = (dir: string): Promise<number | undefined> => readCheckpointStep(checkpointPath(dir))

/**
 * Why a training process failed, from its standard error: the command line's own message
 * (`loss-algebra: …`) when it wrote one, else the error a crash printed, else the last lines.
 */
export const failureReason = (stderr: string): string => {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
  const own = lines.findIndex((l) => l.startsWith('loss-algebra: '))
  if (own >= 0) return lines.slice(own).join('\n')
  const crash = lines.filter((l) => /^\w*(Error|Exception)\b/.test(l.trim()))
  if (crash.length > 0) return crash.at(-1)!.trim()
  return lines
    .filter((l) => !/^Node\.js v/.test(l))
    .slice(-5)
    .join('\n')
}

/** Trains (or resumes, or skips) one run in a child process. */
export const runOne = async (run: { readonly id: string; readonly config: Json }, o: RunOptions): Promise<Outcome> => {
  const dir = join(o.root, run.id)
  const t0 = performance.now()
  const before = await readStatus(dir)
  if (before?.state === 'done') {
    const metrics = (await readJson(join(dir, 'metrics.json'))) as Json | undefined
    if (metrics !== undefined) return { kind: 'done', metrics, from: before.step, skipped: true, ms: 0 }
  }
  const from = await checkpointStep(dir)
  let args: Array<string>
  let tmp: string | undefined
  if (from !== undefined) {
    args = ['resume', dir, '--json']
  } else {
    // Nothing to resume from: whatever a lost attempt left before its first checkpoint goes.
    await rm(dir, { recursive: true, force: true })
    await mkdir(o.root, { recursive: true })
    tmp = await mkdtemp(join(tmpdir(), 'loss-algebra-sweep-'))
    const file = join(tmp, `${run.id}.json`)
    await writeFile(file, JSON.stringify(run.config, null, 2) + '\n')
    args = ['train', file, '--out', o.root, '--name', run.id, '--overwrite', '--json']
  }
  if (o.backend !== undefined) args.push('--backend', o.backend)
  if (o.report === false) args.push('--no-report')

  const child = spawn(process.execPath, cliArgv(args), { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-65536)))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-65536)))
  const stop = (): void => {
    // Another worker may own the run now: stop at once, writing nothing more. Otherwise (a worker
    // stopping) SIGTERM lets the run write a checkpoint first.
    if (o.signal?.reason === LOCK_LOST) {
      child.kill('SIGKILL')
      return
    }
    child.kill('SIGTERM')
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 5000).unref()
  }
  o.signal?.addEventListener('abort', stop, { once: true })
  let last = -1
  const poll = setInterval(() => {
    void Promise.all([readStatus(dir), lastLoggedStep(dir)]).then(([p, logged]) => {
      // status.json says running/done/failed; losses.jsonl says how far training got
      const step = Math.max(p?.step ?? 0, logged ?? 0)
      if (p !== undefined && step !== last && o.onProgress !== undefined) {
        last = step
        o.onProgress({ ...p, step, steps: p.steps ?? stepsOf(run.config) })
      }
    })
  }, o.pollMs ?? 500)
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => {
      stderr += String(e)
      resolve({ code: null, signal: null })
    })
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
  clearInterval(poll)
  o.signal?.removeEventListener('abort', stop)
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })

  if (exit.code === 0) {
    const metrics = ((await readJson(join(dir, 'metrics.json'))) ?? lastJsonLine(stdout)) as Json | undefined
    if (metrics === undefined)
      return { kind: 'failed', code: 0, reason: `exited 0 without metrics (${dir}/metrics.json)` }
    return { kind: 'done', metrics, from: from ?? 0, skipped: false, ms: performance.now() - t0 }
  }
  // 130: stopped by SIGINT/SIGTERM after writing a checkpoint; a signal: killed outright. Both resume.
  if (exit.code === 130 || exit.signal !== null || o.signal?.aborted === true) {
    return {
      kind: 'lost',
      reason: `training process ${exit.signal !== null ? `killed by ${exit.signal}` : 'stopped'}`,
      from: from ?? 0
    }
  }
  if (exit.code === 1 || exit.code === 2)
    return { kind: 'failed', code: exit.code, reason: failureReason(stderr) || `exit ${exit.code}` }
  return { kind: 'failed', code: exit.code ?? -1, reason: failureReason(stderr) || `exit ${String(exit.code)}` }
}

const stepsOf = (config: Json): number | undefined => {
  if (!isObject(config)) return undefined
  const train = config.train
  if (isObject(train) && typeof train.steps === 'number') return train.steps
  return typeof config.steps === 'number' ? config.steps : undefined
}

const lastJsonLine = (s: string): Json | undefined => {
  for (const line of s.trimEnd().split('\n').reverse()) {
    if (!line.startsWith('{')) continue
    try {
      return JSON.parse(line) as Json
    } catch {
      return undefined
    }
  }
  return undefined
}
