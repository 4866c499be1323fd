/**
 * Reading a run folder (config, losses, metrics, samples, status) for the report. Missing optional
 * files are empty; a malformed file is an error naming it.
 * @since 0.1.0
 */
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

import type { LossLine } from './losses.ts'
import { parseLosses } from './losses.ts'
import type { Sample2d } from './scatter.ts'

/** One evaluation's pictures: a 2-D sample file, or PNG grids written by the run. */
export interface Evaluation {
  readonly step: number
  /** `samples/step-000500.json`, for 2-D data. */
  readonly sample?: Sample2d
  /** PNG files of this step under `samples/`, relative to the run folder, by kind (`samples`, `reconstructions`, …). */
  readonly images: ReadonlyArray<{ readonly file: string; readonly kind: string }>
}

export interface RunFolder {
  readonly dir: string
  readonly config: Readonly<Record<string, unknown>>
  readonly losses: ReadonlyArray<LossLine>
  /** `metrics.json`, the final metrics. */
  readonly metrics: Readonly<Record<string, unknown>> | undefined
  /** `metrics.jsonl`, one line per evaluation. */
  readonly metricsLog: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly evaluations: ReadonlyArray<Evaluation>
  readonly status: Readonly<Record<string, unknown>> | undefined
}

const readJson = async (dir: string, file: string): Promise<unknown> => {
  const path = join(dir, file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new Error(`${path}: not JSON: ${(e as Error).message}`)
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

const optionalJson = async (dir: string, file: string): Promise<Record<string, unknown> | undefined> => {
  if (!existsSync(join(dir, file))) return undefined
  const v = await readJson(dir, file)
  if (!isRecord(v)) throw new Error(`${join(dir, file)}: expected a JSON object`)
  return v
}

const isPoint = (p: unknown): p is readonly [number, number] =>
  Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number')

const asSample = (v: unknown, path: string): Sample2d => {
  if (!isRecord(v) || !Array.isArray(v.points) || !Array.isArray(v.modes) || typeof v.sd !== 'number')
    throw new Error(`${path}: expected {"points": [[x, y]…], "modes": [[x, y]…], "sd": σ}`)
  const bad = [...v.points, ...v.modes].findIndex((p) => !isPoint(p))
  if (bad >= 0) throw new Error(`${path}: point ${bad} is not [x, y]`)
  if (
    v.codes !== undefined &&
    (!Array.isArray(v.codes) || !v.codes.every((c) => Array.isArray(c) && c.every((x) => typeof x === 'number')))
  )
    throw new Error(`${path}: codes must be arrays of numbers`)
  return v as unknown as Sample2d
}

const STEP_FILE = /^step-(\d+)(?:-([A-Za-z0-9_-]+))?\.(json|png)$/

/** Reads a run folder. */
export const readRun = async (dir: string): Promise<RunFolder> => {
  const config = await readJson(dir, 'config.json')
  if (!isRecord(config)) throw new Error(`${join(dir, 'config.json')}: expected a JSON object`)
  const lossPath = join(dir, 'losses.jsonl')
  const losses = existsSync(lossPath) ? parseLosses(await readFile(lossPath, 'utf8'), lossPath) : []
  const metricsPath = join(dir, 'metrics.jsonl')
  const metricsLog = existsSync(metricsPath)
    ? (await readFile(metricsPath, 'utf8'))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l, i) => {
          try {
            return JSON.parse(l) as Record<string, unknown>
          } catch (e) {
            throw new Error(`${metricsPath}:${i + 1}: not JSON: ${(e as Error).message}`)
          }
        })
    : []
  const samplesDir = join(dir, 'samples')
  const byStep = new Map<number, { sample?: Sample2d; images: Array<{ file: string; kind: string }> }>()
  if (existsSync(samplesDir)) {
    for (const f of (await readdir(samplesDir)).sort()) {
      const m = STEP_FILE.exec(f)
      if (m === null) continue
      const step = Number(m[1])
      const slot = byStep.get(step) ?? { images: [] }
      byStep.set(step, slot)
      if (m[3] === 'json' && m[2] === undefined)
        slot.sample = asSample(await readJson(samplesDir, f), join(samplesDir, f))
      else if (m[3] === 'png') slot.images.push({ file: `samples/${f}`, kind: m[2] ?? 'samples' })
    }
  }
  const evaluations = [...byStep.entries()].sort(([a], [b]) => a - b).map(([step, e]) => ({ step, ...e }))
  return {
    dir,
    config,
    losses,
    metrics: await optionalJson(dir, 'metrics.json'),
    metricsLog,
    evaluations,
    status: await optionalJson(dir, 'status.json')
  }
}
