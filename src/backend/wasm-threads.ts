/**
 * The `wasm` backend on more than one thread under Node: tfjs-backend-wasm's threaded-SIMD build,
 * whose XNNPACK thread pool splits every matmul and convolution over the cores.
 *
 * tfjs-backend-wasm 4.22 never starts that build under Node (its WASM_HAS_MULTITHREAD_SUPPORT flag
 * is false there, tfjs issue 3830), and its own start-up could not work there: it hands Emscripten
 * the pthread worker's script and its own main script as `blob:` URLs, which `worker_threads`
 * cannot load. This module starts the same build itself, with the package's `BackendWasm`: the
 * worker is a file (./wasm-thread-worker.cjs, which runs the package's worker script) and the main
 * script is the package's own file, both plain paths. Two more things it has to do:
 * - The build sizes its pool as min(requested, logical cores / 2) (it assumes two hardware threads
 *   a core), read once when the module starts; on a machine whose logical cores are its cores that
 *   halves the pool, so while the module starts `os.cpus()` reports twice the threads asked for.
 * - The pool's worker is `ref`'d while it runs, which would keep Node alive after the program ends;
 *   it is `unref`'d, and the seven workers Emscripten starts in advance and the pool does not use are
 *   stopped.
 * Any failure (or no start within START_TIMEOUT_MS) falls back to the package's single-threaded SIMD
 * build, and `wasmThreadStatus()` says why; the threaded module's workers are then stopped.
 */
import os from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm')

const require = createRequire(import.meta.url)
const OUT = '@tensorflow/tfjs-backend-wasm/wasm-out/'
const START_TIMEOUT_MS = 30_000
/** The build's own ceiling on its pool (tfjs-backend-wasm's backend.cc). */
const MAX_THREADS = 8

let wanted: number | undefined

/** Sets the threads of the `wasm` backend (1: the single-threaded build, at most 8); only before it starts. */
export function setWasmThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`wasm threads: expected a whole number ≥ 1, got ${n}`)
  wanted = n
}

/**
 * The threads asked for: `setWasmThreads`, else `LOSS_ALGEBRA_WASM_THREADS`, else the machine's cores
 * (at most 4). Throws with what is wrong when the variable is not a whole number ≥ 1.
 */
export function wasmThreadsWanted(): number {
  if (wanted !== undefined) return Math.min(wanted, MAX_THREADS)
  const env = process.env.LOSS_ALGEBRA_WASM_THREADS
  if (env !== undefined && env.trim() !== '') {
    const n = Number(env)
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`LOSS_ALGEBRA_WASM_THREADS: expected a whole number ≥ 1, got '${env}'`)
    return Math.min(n, MAX_THREADS)
  }
  return Math.min(os.availableParallelism(), 4)
}

/** What the started `wasm` backend runs on: its pool's threads and, when fewer than asked, why. */
export interface WasmThreads {
  readonly threads: number
  readonly note?: string
}

let status: WasmThreads | undefined

/** The started `wasm` backend's threads; undefined before it starts. */
export const wasmThreadStatus = (): WasmThreads | undefined => status

/** The started `wasm` backend's threads in words ("2 threads", "1 thread (why)"); undefined before it starts. */
export const describeWasmThreads = (): string | undefined =>
  status === undefined
    ? undefined
    : `${status.threads} thread${status.threads === 1 ? '' : 's'}${status.note === undefined ? '' : ` (${status.note})`}`

interface PThreadWorker {
  unref(): void
  terminate(): unknown
}
interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: ReadonlyArray<string>): (...a: Array<unknown>) => unknown
  PThread: { runningWorkers: Array<PThreadWorker>; unusedWorkers: Array<PThreadWorker> }
  tfjs?: Record<string, unknown>
}

const withTimeout = <A>(p: Promise<A>, ms: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms)
    p.then(
      (a) => {
        clearTimeout(t)
        resolve(a)
      },
      (e: unknown) => {
        clearTimeout(t)
        reject(e instanceof Error ? e : new Error(String(e)))
      }
    )
  })

async function threadedBackend(wasm: WasmPackage, threads: number): Promise<BackendWasm> {
  const factory = require(`${OUT}tfjs-backend-wasm-threaded-simd.js`) as (config: object) => Promise<ThreadedModule>
  const main = require.resolve(`${OUT}tfjs-backend-wasm-threaded-simd.js`)
  const worker = join(dirname(fileURLToPath(import.meta.url)), 'wasm-thread-worker.cjs')
  const cpus = os.cpus
  const one = cpus()[0]
  os.cpus = () => Array.from({ length: 2 * threads }, () => one)
  // async, so that a factory that throws rejects here, after which os.cpus is restored
  const starting = (async () =>
    factory({
      locateFile: (path: string) => (path.endsWith('.worker.js') ? worker : join(dirname(main), path)),
      mainScriptUrlOrBlob: main
    }))()
  let mod: ThreadedModule
  try {
    mod = await withTimeout(starting, START_TIMEOUT_MS, "tfjs-backend-wasm's threaded build")
  } catch (e) {
    // a module that starts after all is stopped then, so that its workers do not keep Node alive
    starting.then(stopWorkers, () => undefined)
    throw e
  } finally {
    os.cpus = cpus
  }
  try {
    // what the package's own start-up attaches to the module (tf-backend-wasm's init)
    mod.tfjs = {
      init: mod.cwrap('init', null, []),
      initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
      registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: mod.cwrap('dispose_data', null, ['number']),
      dispose: mod.cwrap('dispose', null, [])
    }
    wasm.setThreadsCount(threads)
    const backend = new wasm.BackendWasm(mod as unknown as ConstructorParameters<typeof wasm.BackendWasm>[0])
    for (const w of mod.PThread.runningWorkers) w.unref()
    for (const w of mod.PThread.unusedWorkers.splice(0)) void w.terminate()
    return backend
  } catch (e) {
    stopWorkers(mod)
    throw e
  }
}

/** Stops every worker of a threaded module that will not be used (the fallback takes over). */
const stopWorkers = (mod: ThreadedModule): void => {
  for (const w of [...mod.PThread.runningWorkers.splice(0), ...mod.PThread.unusedWorkers.splice(0)]) void w.terminate()
}

const engineHas = (name: string): boolean =>
  (tf.engine() as unknown as { registry: Record<string, unknown> }).registry[name] !== undefined

/**
 * Makes the `wasm` backend start on `threads` threads (the threaded build) when it starts, falling
 * back to the package's single-threaded build. A backend already started is left as it is.
 */
export function useWasmThreads(wasm: WasmPackage, threads: number): void {
  if (engineHas('wasm')) return
  wasm.setThreadsCount(1)
  if (threads <= 1) {
    status = { threads: 1 }
    return
  }
  const single = tf.findBackendFactory('wasm')
  if (single === null || single === undefined) return
  tf.removeBackend('wasm')
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        const backend = await threadedBackend(wasm, threads)
        status = { threads: wasm.getThreadsCount() }
        return backend
      } catch (e) {
        status = { threads: 1, note: `threaded build did not start (${e instanceof Error ? e.message : String(e)})` }
        wasm.setThreadsCount(1)
        return await single()
      }
    },
    2
  )
}
