/**
 * A run folder's layout, and reading one back (config and checkpoint) with errors that say which file
 * is wrong and how.
 * @since 0.1.0
 */
import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

import * as E from 'fp-ts/Either'

import { decodeExperiment } from '../codec/experiment.ts'
import type { Experiment } from '../experiment/types.ts'
import type { Checkpoint } from './checkpoint.ts'
import { configHash, legacyConfigHash, loadCheckpoint } from './checkpoint.ts'
import { writeAtomic } from './files.ts'

export const checkpointPath = (dir: string): string => join(dir, 'checkpoints', 'latest.ckpt')
export const configPath = (dir: string): string => join(dir, 'config.json')

/** A run folder that cannot be used: the message names the file and the problem. */
export class RunFolderError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RunFolderError'
  }
}

/** Reads a run folder's normalised config. */
export const readRunConfig = async (dir: string): Promise<Experiment> => {
  if (!existsSync(dir)) throw new RunFolderError(`${dir}: no such run folder`)
  if (!statSync(dir).isDirectory()) throw new RunFolderError(`${dir}: not a folder`)
  const path = configPath(dir)
  if (!existsSync(path)) throw new RunFolderError(`${path}: missing (not a run folder)`)
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (e) {
    throw new RunFolderError(`${path}: not JSON: ${(e as Error).message}`)
  }
  const r = decodeExperiment(json, `${path}: $`)
  if (E.isLeft(r))
    throw new RunFolderError(`${path}: not an experiment config:\n${r.left.map((l) => `  ${l}`).join('\n')}`)
  return r.right
}

/** Reads a run folder's checkpoint, refusing one written for another config. */
export const readRunCheckpoint = async (dir: string, e: Experiment): Promise<Checkpoint> => {
  const path = checkpointPath(dir)
  if (!existsSync(path)) throw new RunFolderError(`${path}: missing (the run wrote no checkpoint)`)
  let c: Checkpoint
  try {
    c = await loadCheckpoint(path)
  } catch (e) {
    throw new RunFolderError(`${path}: corrupt checkpoint: ${(e as Error).message}`)
  }
  if (c.config !== configHash(e) && c.config !== legacyConfigHash(e)) {
    throw new RunFolderError(
      `${path}: written for another config (hash ${c.config}, ${configPath(dir)} hashes to ${configHash(e)})`
    )
  }
  return c
}

/**
 * Drops the log lines (`losses.jsonl`, `metrics.jsonl`) written after `step`, the step of the checkpoint a
 * run resumes from: a killed run may have logged steps past its last checkpoint, and the resumed run logs
 * them again, so that each step appears once. A line cut short by the kill goes too.
 */
export const trimLogs = async (dir: string, step: number): Promise<void> => {
  for (const name of ['losses.jsonl', 'metrics.jsonl']) {
    const path = join(dir, name)
    if (!existsSync(path)) continue
    const text = await readFile(path, 'utf8')
    const lines = text.split('\n').filter((l) => l.trim() !== '')
    const kept = lines.filter((l) => {
      try {
        const s = (JSON.parse(l) as { step?: unknown }).step
        return typeof s === 'number' && s <= step
      } catch {
        return false
      }
    })
    if (kept.length === lines.length && text.endsWith('\n')) continue
    await writeAtomic(path, kept.map((l) => `${l}\n`).join(''))
  }
}
