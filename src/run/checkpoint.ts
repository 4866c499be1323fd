/**
 * Checkpoints: one file holding every net's weights, every player's optimiser state (step count and
 * slots), the step, the compiled game's iteration and the data order's random state, with a hash of
 * the config parts that determine training (a checkpoint of another config is refused).
 *
 * Layout: the bytes `LACK`, a little-endian u32 header length, the header (JSON), then float32 data.
 * Written with `writeAtomic`: a kill during a write leaves the previous checkpoint whole.
 * @since 0.1.0
 */
import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'

import stableStringify from 'fast-json-stable-stringify'

import type { Experiment } from '../experiment/types.ts'
import { writeAtomic } from './files.ts'

const MAGIC = 'LACK'
const FORMAT = 'loss-algebra-checkpoint/1'

/** A tensor's place in the data section. */
interface Slot {
  readonly shape: ReadonlyArray<number>
  readonly offset: number
  readonly length: number
}

export interface CheckpointHeader {
  readonly format: string
  readonly config: string
  readonly step: number
  readonly iteration: number
  readonly rng: number
  readonly nets: Readonly<Record<string, ReadonlyArray<Slot>>>
  readonly optimizers: Readonly<Record<string, { readonly steps: number; readonly slots: ReadonlyArray<Slot> }>>
}

/** What a checkpoint holds, with tensors as arrays. */
export interface Checkpoint {
  readonly config: string
  readonly step: number
  readonly iteration: number
  readonly rng: number
  readonly nets: Readonly<
    Record<string, ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly values: Float32Array }>>
  >
  readonly optimizers: Readonly<
    Record<
      string,
      {
        readonly steps: number
        readonly slots: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly values: Float32Array }>
      }
    >
  >
}

/** What determines a run's trajectory (not its name, length, logging or evaluation). */
const trajectory = (e: Experiment) => ({
  seed: e.seed,
  data: e.data,
  latent: e.latent,
  model: e.model,
  game: e.game,
  nets: e.nets,
  batch: e.train.batch,
  // only when not the default, so that checkpoints written before the field existed still match
  ...(e.schedule !== 'alternating' ? { schedule: e.schedule } : {})
})

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16)

/**
 * The hash of what determines a run's trajectory, over its canonical JSON (keys sorted): a config read
 * back from a run folder may list a net's fields in another order than the one it was trained from.
 */
export const configHash = (e: Experiment): string => sha(stableStringify(trajectory(e)))

/**
 * The hash checkpoints carried before it was canonical (keys in the config's order), still accepted on
 * resume; it changed with key order, so a conv net's config read back from its run folder missed it.
 */
export const legacyConfigHash = (e: Experiment): string => sha(JSON.stringify(trajectory(e)))

export const encodeCheckpoint = (c: Checkpoint): Uint8Array => {
  let offset = 0
  const chunks: Array<Float32Array> = []
  const place = (t: { readonly shape: ReadonlyArray<number>; readonly values: Float32Array }): Slot => {
    const s = { shape: [...t.shape], offset, length: t.values.length }
    offset += t.values.length
    chunks.push(t.values)
    return s
  }
  const header: CheckpointHeader = {
    format: FORMAT,
    config: c.config,
    step: c.step,
    iteration: c.iteration,
    rng: c.rng,
    nets: Object.fromEntries(Object.entries(c.nets).map(([k, ts]) => [k, ts.map(place)])),
    optimizers: Object.fromEntries(
      Object.entries(c.optimizers).map(([k, o]) => [k, { steps: o.steps, slots: o.slots.map(place) }])
    )
  }
  const h = new TextEncoder().encode(JSON.stringify(header))
  const pad = (4 - ((8 + h.length) % 4)) % 4
  const start = 8 + h.length + pad
  const out = new Uint8Array(start + 4 * offset)
  out.set(new TextEncoder().encode(MAGIC), 0)
  new DataView(out.buffer).setUint32(4, h.length + pad, true)
  out.set(h, 8)
  out.fill(0x20, 8 + h.length, start)
  const data = new Float32Array(out.buffer, start, offset)
  let at = 0
  for (const c of chunks) {
    data.set(c, at)
    at += c.length
  }
  return out
}

/** The header's length and the header itself, from the file's first bytes; an Error says what is wrong. */
const decodeHeader = (bytes: Uint8Array): { readonly n: number; readonly header: CheckpointHeader } => {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC)
    throw new Error('not a loss-algebra checkpoint')
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true)
  if (8 + n > bytes.length) throw new Error('truncated header')
  let header: CheckpointHeader
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as CheckpointHeader
  } catch (e) {
    throw new Error(`corrupt header: ${(e as Error).message}`)
  }
  if (header.format !== FORMAT) throw new Error(`unknown format ${JSON.stringify(header.format)} (expected ${FORMAT})`)
  return { n, header }
}

/** Reads a checkpoint; an Error says what is wrong with the file. */
export const decodeCheckpoint = (bytes: Uint8Array): Checkpoint => {
  const { n, header } = decodeHeader(bytes)
  const floats = (bytes.length - 8 - n) / 4
  const copy = new Uint8Array(bytes.subarray(8 + n))
  const data = new Float32Array(copy.buffer, 0, Math.floor(floats))
  const read = (s: Slot) => {
    if (s.offset + s.length > data.length || s.shape.reduce((a, b) => a * b, 1) !== s.length)
      throw new Error('truncated or inconsistent data')
    return { shape: s.shape, values: data.slice(s.offset, s.offset + s.length) }
  }
  return {
    config: header.config,
    step: header.step,
    iteration: header.iteration,
    rng: header.rng,
    nets: Object.fromEntries(Object.entries(header.nets).map(([k, ss]) => [k, ss.map(read)])),
    optimizers: Object.fromEntries(
      Object.entries(header.optimizers).map(([k, o]) => [k, { steps: o.steps, slots: o.slots.map(read) }])
    )
  }
}

export const saveCheckpoint = (path: string, c: Checkpoint): Promise<void> => writeAtomic(path, encodeCheckpoint(c))

export const loadCheckpoint = async (path: string): Promise<Checkpoint> =>
  decodeCheckpoint(new Uint8Array(await readFile(path)))

/** The step a checkpoint file was written at, read from its header alone; undefined when there is none or it is unreadable. */
export const readCheckpointStep = async (path: string): Promise<number | undefined> => {
  const f = await open(path, 'r').catch(() => undefined)
  if (f === undefined) return undefined
  try {
    const head = new Uint8Array(8)
    await f.read(head, 0, 8, 0)
    const n = new DataView(head.buffer).getUint32(4, true)
    if (8 + n > (await f.stat()).size) return undefined
    const bytes = new Uint8Array(8 + n)
    await f.read(bytes, 0, 8 + n, 0)
    const step = decodeHeader(bytes).header.step
    return typeof step === 'number' ? step : undefined
  } catch {
    return undefined
  } finally {
    await f.close()
  }
}
