/**
 * Data-parallel steps over worker threads: each step's batch is cut into `parts` equal row blocks;
 * this thread computes the first, each worker (./parallel-worker.ts, a copy of the run's nets on the
 * same backend) one other. At every player's update the workers send their gradients and loss here;
 * this thread applies the mean over the parts with the player's optimiser, then sends the player's new
 * weights back. So the optimiser state lives only here (checkpoints, resume: unchanged), and the
 * workers only compute gradients.
 *
 * Every part draws the whole batch's noise and keeps its rows (`drawRows`), and every loss is a mean
 * over the batch, so a split step computes the step on the whole batch up to the order of float
 * additions (the law in test/parallel.test.ts). It is worth it where one step keeps one core busy:
 * the `wasm` backend ran on one thread under Node then (it now runs on the cores: ../backend/wasm-threads.ts).
 *
 * The threads meet synchronously: a message on a MessagePort, then a counter in shared memory
 * (Atomics.notify / Atomics.wait) to wake the other side, which takes the message with
 * `receiveMessageOnPort`. A step therefore stays a plain synchronous call.
 * @since 0.4.0
 */
import type { MessagePort } from 'node:worker_threads'
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads'

import * as tf from '@tensorflow/tfjs'

import type { StepKernels } from '../backend/select.ts'
import type { Binding } from '../compile/Net.ts'
import type { CompiledGame, Shard } from '../compile/step.ts'
import { compileGame } from '../compile/step.ts'
import type { Game } from '../core/Game.ts'
import type { Experiment } from '../experiment/types.ts'

/** What one side sends the other. */
export type Message =
  | { readonly kind: 'step'; readonly rows: Float32Array; readonly shape: ReadonlyArray<number> }
  | { readonly kind: 'weights'; readonly player: number; readonly values: ReadonlyArray<Float32Array> }
  | { readonly kind: 'stop' }
  | {
      readonly kind: 'grads'
      readonly player: number
      readonly grads: ReadonlyArray<Float32Array | null>
      readonly value: number
    }
  | { readonly kind: 'named'; readonly entries: ReadonlyArray<readonly [string, number]> }
  | { readonly kind: 'error'; readonly message: string }

/** One direction of a link: its port and the counter that wakes the receiver. */
export interface Link {
  readonly port: MessagePort
  /** [0]: messages towards the worker, [1]: towards the main thread. */
  readonly counters: Int32Array
}

/** Which counter a side waits on. */
export const TO_WORKER = 0
export const TO_MAIN = 1

/** How long a side waits for the other before giving up (a worker that died without a word). */
const TIMEOUT_MS = 10 * 60 * 1000

/** Posts `m` (handing over the buffers in `transfer`, which the sender must not use again) and wakes the receiver. */
export const send = (link: Link, towards: number, m: Message, transfer: ReadonlyArray<ArrayBuffer> = []): void => {
  link.port.postMessage(m, [...transfer])
  Atomics.add(link.counters, towards, 1)
  Atomics.notify(link.counters, towards)
}

/** The next message towards `side`, waiting for it (the thread blocks). */
export const receive = (link: Link, side: number, what: string): Message => {
  const deadline = Date.now() + TIMEOUT_MS
  for (;;) {
    const seen = Atomics.load(link.counters, side)
    const m = receiveMessageOnPort(link.port)
    if (m !== undefined) {
      const msg = m.message as Message
      if (msg.kind === 'error') throw new Error(`${what}: ${msg.message}`)
      return msg
    }
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`${what}: no answer in ${TIMEOUT_MS / 1000} s`)
    Atomics.wait(link.counters, side, seen, left)
  }
}

/** A message of the expected kind, else an error naming what came instead. */
export const expect = <K extends Message['kind']>(m: Message, kind: K, what: string): Extract<Message, { kind: K }> => {
  if (m.kind !== kind) throw new Error(`${what}: expected a "${kind}" message, got "${m.kind}"`)
  return m as Extract<Message, { kind: K }>
}

/**
 * A copy of a tensor's values, the caller's to hand over: `wasm`'s readSync copies out of its heap
 * already; the other backends may hand out their own buffer, so it is copied.
 */
export const valuesOf = (t: tf.Tensor): Float32Array => {
  const d = t.dataSync() as Float32Array
  return tf.getBackend() === 'wasm' ? d : Float32Array.from(d)
}

/**
 * How a worker builds its copy of the nets: `name` exported by the module at `module` (a URL), called
 * with `args` (structured-cloned), returning or resolving to a `Binding` of the same shapes.
 */
export interface NetRecipe {
  readonly module: string
  readonly name: string
  readonly args: ReadonlyArray<unknown>
}

/** A module of this package by its path from src/ (`.js` in the built package, `.ts` in the sources). */
export const srcModule = (path: string): string => {
  const here = import.meta.url
  return new URL(`../${path}${here.endsWith('.ts') ? '.ts' : '.js'}`, here).href
}

/** The recipe of an experiment's nets (`buildNets`). */
export const experimentNets = (e: Experiment): NetRecipe => ({
  module: srcModule('experiment/game'),
  name: 'buildNets',
  args: [e]
})

/** What a worker starts from. */
export interface WorkerData {
  readonly game: Game
  readonly nets: NetRecipe
  readonly backend: string
  readonly seed: number
  readonly startIteration: number
  readonly index: number
  readonly parts: number
  /** Every net's variables, in order. */
  readonly weights: Readonly<Record<string, ReadonlyArray<Float32Array>>>
  readonly port: MessagePort
  readonly counters: Int32Array
  readonly batchApplications?: boolean
}

interface Remote {
  readonly worker: Worker
  readonly link: Link
  readonly index: number
}

/** Starts a worker thread on the module at `url` (through tsx's loader when it is TypeScript). */
const startWorker = (url: string, workerData: WorkerData, transfer: ReadonlyArray<MessagePort>): Worker =>
  url.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}) })`, {
        eval: true,
        workerData,
        transferList: [...transfer]
      })
    : new Worker(new URL(url), { workerData, transferList: [...transfer] })

const ready = (r: Remote): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(new Error(`data-parallel worker ${r.index} did not start: ${e.message}`))
    r.worker.once('error', onError)
    r.worker.once('exit', (code) =>
      reject(new Error(`data-parallel worker ${r.index} exited (${code}) before it started`))
    )
    r.worker.once('message', (m: unknown) => {
      r.worker.off('error', onError)
      r.worker.removeAllListeners('exit')
      if (m === 'ready') resolve()
      else
        reject(
          new Error(
            `data-parallel worker ${r.index} did not start: ${String((m as { message?: string }).message ?? m)}`
          )
        )
    })
  })

export interface ParallelOptions {
  /** The parts each batch is cut into: this thread and `parts − 1` workers (≥ 2). */
  readonly parts: number
  /** The backend every worker sets (this thread's). */
  readonly backend: string
  readonly seed: number
  readonly startIteration?: number
  readonly kernels?: StepKernels
  readonly batchApplications?: boolean
}

/**
 * Compiles `game` against `nets` (this thread's, weights as they are now) with `parts − 1` worker
 * threads, each on a copy of the nets built from `recipe` and given these weights. The result is a
 * `CompiledGame`; `dispose` also stops the workers. A batch whose size `parts` does not divide is a
 * `RangeError`.
 */
export const compileParallel = async (
  game: Game,
  nets: Binding,
  recipe: NetRecipe,
  o: ParallelOptions
): Promise<CompiledGame> => {
  const parts = o.parts
  if (!Number.isInteger(parts) || parts < 2)
    throw new RangeError(`data parallel: parts must be an integer ≥ 2, got ${parts}`)
  const weights = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, n.variables.map(valuesOf)]))
  const url = srcModule('run/parallel-worker')
  const remotes: Array<Remote> = []
  const stopAll = async (): Promise<void> => {
    for (const r of remotes) {
      try {
        send(r.link, TO_WORKER, { kind: 'stop' })
      } catch {
        // a closed port: the worker is gone already
      }
      r.link.port.close()
    }
    await Promise.all(remotes.map(async (r) => await r.worker.terminate()))
  }
  try {
    for (let index = 1; index < parts; index++) {
      const { port1, port2 } = new MessageChannel()
      const counters = new Int32Array(new SharedArrayBuffer(8))
      const worker = startWorker(
        url,
        {
          game,
          nets: recipe,
          backend: o.backend,
          seed: o.seed,
          startIteration: o.startIteration ?? 0,
          index,
          parts,
          weights,
          port: port2,
          counters,
          batchApplications: o.batchApplications
        },
        [port2]
      )
      remotes.push({ worker, link: { port: port1, counters }, index })
    }
    await Promise.all(remotes.map(ready))
    // a caller that never disposes still lets the process end
    for (const r of remotes) r.worker.unref()
  } catch (e) {
    await stopAll()
    throw e
  }
  const from = (r: Remote): string => `data-parallel worker ${r.index}`

  const shard: Shard = {
    rows: { index: 0, count: parts },
    combine: (player, grads, value) => {
      const theirs = remotes.map((r) => {
        const m = expect(receive(r.link, TO_MAIN, from(r)), 'grads', from(r))
        if (m.player !== player) throw new Error(`${from(r)}: gradients of player ${m.player}, expected ${player}`)
        return m
      })
      const mean = (own: tf.Tensor, other: (m: (typeof theirs)[number]) => tf.TensorLike | null): tf.Tensor =>
        tf.tidy(() =>
          tf.div(
            theirs.reduce((acc: tf.Tensor, m) => {
              const o = other(m)
              return o === null ? acc : tf.add(acc, tf.tensor(o, own.shape, 'float32'))
            }, own),
            parts
          )
        )
      return {
        grads: grads.map((g, i) => (g === null ? null : mean(g, (m) => m.grads[i]))),
        value: mean(value, (m) => m.value) as tf.Scalar
      }
    },
    share: (player, vars) => {
      for (const r of remotes) {
        // a copy per worker, handed over rather than cloned
        const values = vars.map(valuesOf)
        send(
          r.link,
          TO_WORKER,
          { kind: 'weights', player, values },
          values.map((v) => v.buffer as ArrayBuffer)
        )
      }
    },
    combineNamed: (named) => {
      const theirs = remotes.map((r) => new Map(expect(receive(r.link, TO_MAIN, from(r)), 'named', from(r)).entries))
      return new Map(
        [...named.entries()].map(([k, v]) => [
          k,
          tf.tidy(() =>
            tf.div(
              theirs.reduce((acc: tf.Scalar, m) => tf.add(acc, m.get(k) ?? NaN), v),
              parts
            )
          )
        ])
      )
    }
  }
  const inner = compileGame(game, nets, {
    seed: o.seed,
    startIteration: o.startIteration,
    kernels: o.kernels,
    batchApplications: o.batchApplications,
    shard
  })
  let stopped = false
  return {
    game,
    step: (batch) => {
      if (stopped) throw new Error('data parallel: the workers were stopped (dispose)')
      const b = batch.shape[0]
      if (b % parts !== 0)
        throw new RangeError(`data parallel: a batch of ${b} does not split into ${parts} equal parts`)
      const per = b / parts
      for (const r of remotes) {
        const rows = tf.tidy(() => tf.slice(batch, r.index * per, per))
        send(r.link, TO_WORKER, { kind: 'step', rows: valuesOf(rows), shape: rows.shape })
        rows.dispose()
      }
      const own = tf.slice(batch, 0, per)
      try {
        return inner.step(own)
      } catch (e) {
        // the parts are out of step now: stop the workers, later steps fail plainly
        stopped = true
        void stopAll()
        throw e
      } finally {
        own.dispose()
      }
    },
    variablesOf: (p) => inner.variablesOf(p),
    optimizerOf: (p) => inner.optimizerOf(p),
    get iteration() {
      return inner.iteration
    },
    dispose: () => {
      inner.dispose()
      if (!stopped) {
        stopped = true
        void stopAll()
      }
    }
  }
}
