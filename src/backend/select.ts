/**
 * Backend selection: the one place that decides which tfjs backend a program runs on.
 *
 * The order is `tensorflow` (tfjs-node) → `native` (oneDNN addon) → `wasm` → `cpu`
 * (docs/ARCHITECTURE.md, backends). A requested backend overrides the order. When a kernel probe
 * is given, a backend is chosen only if it has every kernel the probe runs: the probe runs once,
 * on `cpu`, under `tf.profile`, and its kernel list is remembered by key, so the same game is never
 * profiled twice in a process.
 *
 * Every outcome is data: why a backend was chosen (`Chosen`) and why each one before it was not
 * (`Skip`), each printed by the one table below (`describe`). Nothing here parses messages.
 */
import * as tf from '@tensorflow/tfjs'

import type { StepKernels } from '../compile/optim.ts'
import { adamInPlace } from './adam.ts'
import { wasmAdam } from './wasm-adam.ts'
import { nativeUnavailableReason, registerNativeBackend } from './native.ts'
import { registerWasmTrainingKernels } from './wasm-kernels.ts'
import { useWasmThreads, wasmThreadsWanted } from './wasm-threads.ts'

export const BACKEND_ORDER = ['tensorflow', 'native', 'wasm', 'cpu'] as const
export type KnownBackend = (typeof BACKEND_ORDER)[number]

/** Why a backend was not used. */
export type Skip =
  /** It could not be loaded or registered (`detail`: what the loader said). */
  | { readonly _tag: 'Unavailable'; readonly backend: string; readonly detail: string }
  /** It is registered but `tf.setBackend` refused it. */
  | { readonly _tag: 'SetFailed'; readonly backend: string; readonly detail: string }
  /** It lacks kernels the probe ran. */
  | { readonly _tag: 'LacksKernels'; readonly backend: string; readonly kernels: ReadonlyArray<string> }

/** Why the chosen backend was. */
export type Chosen =
  | { readonly _tag: 'Requested'; readonly backend: string }
  | { readonly _tag: 'FirstInOrder'; readonly backend: string; readonly kernels: number }

export type { StepKernels }

export interface BackendChoice {
  readonly name: string
  /** Why this one, and why not the ones before it, in words (`describe`). */
  readonly reason: string
  readonly chosen: Chosen
  readonly skipped: ReadonlyArray<Skip>
  /** The in-place kernels of this backend, for `compileGame(…, { kernels })`. */
  readonly kernels: StepKernels
}

/** No backend could be used: every `Skip`, in order. */
export class BackendError extends Error {
  constructor(
    readonly requested: string | undefined,
    readonly skipped: ReadonlyArray<Skip>,
    readonly available: ReadonlyArray<string>
  ) {
    super(
      requested === undefined
        ? `no backend can run this game: ${skipped.map(describeSkip).join('; ')}`
        : `backend '${requested}' cannot be used (${skipped.map(describeSkip).join('; ')}); available: ${available.join(', ') || 'none'}`
    )
    this.name = 'BackendError'
  }
}

// ---------------------------------------------------------------------------------------------
// The reason table

const WHAT: Readonly<Record<KnownBackend, string>> = {
  tensorflow: 'tfjs-node (libtensorflow) installed',
  native: 'oneDNN kernels built',
  wasm: 'tfjs-backend-wasm with the added training kernels',
  cpu: 'plain JavaScript kernels'
}

const isKnown = (name: string): name is KnownBackend => (BACKEND_ORDER as ReadonlyArray<string>).includes(name)

export const describeSkip = (s: Skip): string => {
  switch (s._tag) {
    case 'Unavailable':
      return `${s.backend}: ${s.detail}`
    case 'SetFailed':
      return `${s.backend}: tf.setBackend('${s.backend}') failed${s.detail === '' ? '' : `: ${s.detail}`}`
    case 'LacksKernels':
      return `${s.backend}: lacks ${s.kernels.join(', ')}`
  }
}

export const describeChosen = (c: Chosen): string => {
  switch (c._tag) {
    case 'Requested':
      return `${c.backend}: requested`
    case 'FirstInOrder':
      return `${c.backend}: ${isKnown(c.backend) ? WHAT[c.backend] : 'available'}${c.kernels > 0 ? `, has all ${c.kernels} kernels of the game's step` : ''}`
  }
}

export const describe = (chosen: Chosen, skipped: ReadonlyArray<Skip>): string =>
  skipped.length === 0
    ? describeChosen(chosen)
    : `${describeChosen(chosen)} (skipped ${skipped.map(describeSkip).join('; ')})`

// ---------------------------------------------------------------------------------------------
// Loading

const message = (e: unknown): string => (e instanceof Error ? e.message.split('\n')[0] : String(e))

async function loadTensorflow(): Promise<string | null> {
  if (tf.findBackendFactory('tensorflow') != null) return null
  const errors: Array<string> = []
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg)
      if (tf.findBackendFactory('tensorflow') != null) return null
      errors.push(`${pkg} registered no backend`)
    } catch (e) {
      errors.push(`${pkg}: ${(e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ? 'not installed' : message(e)}`)
    }
  }
  return errors.join('; ')
}

let wasmLoaded: string | null | undefined
async function loadWasm(): Promise<string | null> {
  if (wasmLoaded !== undefined) return wasmLoaded
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    // the package's threaded build, started here since the package cannot under Node (./wasm-threads.ts)
    useWasmThreads(wasm, wasmThreadsWanted())
    registerWasmTrainingKernels()
    wasmLoaded = tf.findBackendFactory('wasm') != null ? null : 'tfjs-backend-wasm registered no backend'
  } catch (e) {
    wasmLoaded = `tfjs-backend-wasm failed to load: ${message(e)}`
  }
  return wasmLoaded
}

/** Makes `name` available (loads / registers it): null, or why it cannot be. */
export async function prepare(name: string): Promise<string | null> {
  switch (name) {
    case 'tensorflow':
      return await loadTensorflow()
    case 'native':
      return (await registerNativeBackend()) ? null : (nativeUnavailableReason() ?? 'native addon not loaded')
    case 'wasm':
      return await loadWasm()
    default:
      return tf.findBackendFactory(name) != null ? null : `no backend named ${name} is registered`
  }
}

/** Prepares and sets `name`: null when it is now the active backend, else why not. */
async function activate(name: string): Promise<Skip | null> {
  const why = await prepare(name)
  if (why !== null) return { _tag: 'Unavailable', backend: name, detail: why }
  try {
    if ((await tf.setBackend(name)) && (await tf.ready(), tf.getBackend() === name)) return null
    return { _tag: 'SetFailed', backend: name, detail: '' }
  } catch (e) {
    return { _tag: 'SetFailed', backend: name, detail: message(e) }
  }
}

/** The kernels of `kernelNames` that `backend` has no implementation registered for. */
export function missingKernels(backend: string, kernelNames: ReadonlyArray<string>): Array<string> {
  return kernelNames.filter((k) => tf.getKernel(k, backend) === undefined)
}

/**
 * Adam as one pass: in place over the Float32Arrays of `cpu` and `native` (adam.ts), into new heap
 * buffers on `wasm` (wasm-adam.ts).
 */
export const stepKernels = (backend: string): StepKernels =>
  backend === 'cpu' || backend === 'native' ? { adam: adamInPlace } : backend === 'wasm' ? { adam: wasmAdam } : {}

// ---------------------------------------------------------------------------------------------
// The probe

/** A step to profile: `run` executes it; `key` (e.g. the printed game and net specs) identifies it. */
export interface KernelProbe {
  readonly key?: string
  readonly run: () => void
}

const probed = new Map<string, ReadonlyArray<string>>()

/** The kernels `probe` runs (forward and backward), found once per key with `tf.profile` on `cpu`. */
export const kernelsOf = async (probe: KernelProbe | (() => void)): Promise<ReadonlyArray<string>> => {
  const p = typeof probe === 'function' ? { run: probe } : probe
  const known = p.key === undefined ? undefined : probed.get(p.key)
  if (known !== undefined) return known
  const previous = tf.getBackend()
  await tf.setBackend('cpu')
  // the cpu backend's "install tfjs-node" banner would follow every probe: the choice is reported instead
  ;(tf.backend() as unknown as { firstUse?: boolean }).firstUse = false
  try {
    const info = await tf.profile(() => {
      p.run()
    })
    const names = [...new Set(info.kernelNames)].sort()
    if (p.key !== undefined) probed.set(p.key, names)
    return names
  } finally {
    if (previous !== undefined && previous !== 'cpu') await tf.setBackend(previous)
  }
}

// ---------------------------------------------------------------------------------------------
// The choice

/**
 * Sets and returns the backend: `requested` when given (a `BackendError` if it cannot be set or lacks
 * a kernel the probe runs), else the first of BACKEND_ORDER that can be set and has every kernel.
 */
export const chooseBackend = async (o: {
  readonly requested?: string
  readonly probe?: KernelProbe | (() => void)
  /** The kernels the game needs, when already known (instead of a probe). */
  readonly kernels?: ReadonlyArray<string>
}): Promise<BackendChoice> => {
  const needed = o.kernels ?? (o.probe === undefined ? [] : await kernelsOf(o.probe))
  const requested = o.requested === '' ? undefined : o.requested
  const order: ReadonlyArray<string> = requested === undefined ? BACKEND_ORDER : [requested]
  const skipped: Array<Skip> = []
  for (const name of order) {
    const skip = (await activate(name)) ?? lacking(name, needed)
    if (skip === null) {
      const chosen: Chosen =
        requested !== undefined
          ? { _tag: 'Requested', backend: name }
          : { _tag: 'FirstInOrder', backend: name, kernels: needed.length }
      return { name, reason: describe(chosen, skipped), chosen, skipped, kernels: stepKernels(name) }
    }
    skipped.push(skip)
  }
  const available: Array<string> = []
  if (requested !== undefined)
    for (const b of BACKEND_ORDER) if (b !== requested && (await prepare(b)) === null) available.push(b)
  throw new BackendError(requested, skipped, available)
}

const lacking = (backend: string, needed: ReadonlyArray<string>): Skip | null => {
  const kernels = missingKernels(backend, needed)
  return kernels.length === 0 ? null : { _tag: 'LacksKernels', backend, kernels }
}

/** Sets a backend without a probe: `chooseBackend({ requested })`. */
export const selectBackend = async (requested?: string): Promise<BackendChoice> => await chooseBackend({ requested })
