/**
 * Reading and checking an experiment before anything is written or any tensor exists: the file, the
 * exact decode, the game's static check, a memory estimate against the machine, and the output path.
 * Every problem is a `UsageError` (exit 2) that names the file, the path into it and the problem.
 * No tfjs here.
 * @since 0.1.0
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'

import * as E from 'fp-ts/Either'

import { decodeExperiment, defaultExperiment, modelNames } from '../codec/experiment.ts'
import { check, describe } from '../core/Check.ts'
import type { Experiment } from '../experiment/index.ts'
import { estimateMemory, gameOf, showBytes } from '../experiment/index.ts'

/** Bad usage or a bad config: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface Overrides {
  readonly model?: string
  readonly steps?: number
  readonly seed?: number
  readonly name?: string
  readonly backend?: string
}

/** Reads a JSON file, or the usage error that says why not. */
export const readJsonFile = async (path: string): Promise<unknown> => {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new UsageError(
      `${path}: cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (code ?? String(e))})`
    )
  }
  if (text.trim() === '') throw new UsageError(`${path}: empty file (expected a JSON object)`)
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new UsageError(`${path}: not JSON: ${(e as Error).message}`)
  }
}

/** A config file (or, without one, the embedded default or `--model`), decoded exactly, overrides applied. */
export const loadExperiment = async (path: string | undefined, o: Overrides = {}): Promise<Experiment> => {
  let input: unknown = o.model !== undefined ? { model: o.model } : defaultExperiment
  if (path !== undefined) {
    if (o.model !== undefined) throw new UsageError('give a config file or --model, not both')
    input = await readJsonFile(path)
  }
  const where = path === undefined ? (o.model !== undefined ? '--model' : 'the default config') : path
  const r = decodeExperiment(input, `${where}: $`)
  if (E.isLeft(r)) throw new UsageError(`invalid config:\n${r.left.map((l) => `  ${l}`).join('\n')}`)
  const e = r.right
  return {
    ...e,
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.backend !== undefined ? { backend: o.backend } : {}),
    train: { ...e.train, ...(o.steps !== undefined ? { steps: o.steps } : {}) }
  }
}

/** The backends a config or `--backend` may name. */
export const BACKENDS = ['tensorflow', 'native', 'wasm', 'cpu'] as const

/** What the machine may give a run: half its memory. */
export const memoryLimit = (): number => totalmem() / 2

/** The game's static check, the backend's name and the memory estimate; throws a `UsageError` listing every problem. */
export const checkExperiment = (e: Experiment, where: string): { readonly bytes: number } => {
  const problems: Array<string> = []
  const r = check(gameOf(e))
  if (E.isLeft(r))
    problems.push(...r.left.map((x) => `${where}: $.${e.model !== undefined ? 'model' : 'game'}: ${describe(x)}`))
  if (e.backend !== undefined && !(BACKENDS as ReadonlyArray<string>).includes(e.backend)) {
    problems.push(`${where}: $.backend: unknown backend "${e.backend}" (known: ${BACKENDS.join(', ')})`)
  }
  let bytes = 0
  if (problems.length === 0) {
    const m = estimateMemory(e)
    bytes = m.bytes
    if (m.bytes > memoryLimit()) {
      const parts = Object.entries(m.parts)
        .filter(([, b]) => b > 0)
        .map(([k, b]) => `${k} ${showBytes(b)}`)
        .join(', ')
      problems.push(
        `${where}: $.train.batch: this run needs about ${showBytes(m.bytes)} (${parts}); this machine allows ${showBytes(memoryLimit())} (half its memory): lower train.batch, evaluation.samples or the nets' sizes`
      )
    }
  }
  if (problems.length > 0) throw new UsageError(`invalid config:\n${problems.map((l) => `  ${l}`).join('\n')}`)
  return { bytes }
}

/** The nearest existing ancestor of a path. */
const existingAncestor = (p: string): string => {
  let d = resolve(p)
  while (!existsSync(d)) d = dirname(d)
  return d
}

/**
 * Where a run will be written: `out/name`, refused when `out` is a file or not writable, or when the
 * run folder exists (unless `overwrite`, and then only a run folder).
 */
export const runFolderFor = (out: string, name: string, overwrite: boolean): string => {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out}: a file, not a folder`)
  const base = existingAncestor(out)
  if (!statSync(base).isDirectory()) throw new UsageError(`--out ${out}: ${base} is a file, not a folder`)
  try {
    accessSync(base, constants.W_OK)
  } catch {
    throw new UsageError(`--out ${out}: ${base} is not writable`)
  }
  const dir = join(out, name)
  if (existsSync(dir)) {
    if (!overwrite)
      throw new UsageError(
        `${dir}: exists (resume it with \`resume ${dir}\`, choose another --name, or pass --overwrite)`
      )
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'config.json')))
      throw new UsageError(`${dir}: exists and is not a run folder; not overwriting it`)
    try {
      accessSync(dir, constants.W_OK)
    } catch {
      throw new UsageError(`${dir}: not writable`)
    }
  }
  return dir
}

export const knownModels = modelNames
