/**
 * A data-parallel worker (./parallel.ts): sets the main thread's backend, builds its copy of the
 * nets (the recipe) with the main thread's weights and compiles the game as part `index` of each batch. Then, per
 * step, it takes its rows, sends each player's gradients and loss, takes the player's new weights,
 * and at the end sends the step's named values. An error is sent to the main thread, which throws it.
 */
import { parentPort, workerData } from 'node:worker_threads'

import * as tf from '@tensorflow/tfjs'

import { chooseBackend } from '../backend/select.ts'
import { setWasmThreads } from '../backend/wasm-threads.ts'
import type { Shard } from '../compile/step.ts'
import { compileGame } from '../compile/step.ts'
import type { Binding } from '../compile/Net.ts'
import type { Link, WorkerData } from './parallel.ts'
import { expect, receive, send, TO_MAIN, TO_WORKER, valuesOf } from './parallel.ts'

const d = workerData as WorkerData
const link: Link = { port: d.port, counters: d.counters }
const what = 'the main thread'

const run = async (): Promise<void> => {
  // the cpu backend's "install tfjs-node" banner would print once per worker
  await tf.setBackend('cpu')
  ;(tf.backend() as unknown as { firstUse?: boolean }).firstUse = false
  // the worker threads are the parallelism here: each one's wasm stays on one thread
  setWasmThreads(1)
  const backend = await chooseBackend({ requested: d.backend })
  const game = d.game
  const build = ((await import(d.nets.module)) as Record<string, (...args: ReadonlyArray<unknown>) => unknown>)[
    d.nets.name
  ]
  if (typeof build !== 'function') throw new Error(`${d.nets.module} exports no function "${d.nets.name}"`)
  const nets = (await build(...d.nets.args)) as Binding
  for (const [name, net] of Object.entries(nets)) {
    const saved = d.weights[name]
    if (saved === undefined || saved.length !== net.variables.length)
      throw new Error(`net "${name}" does not match the main thread's`)
    net.variables.forEach((v, i) => v.assign(tf.tensor(saved[i], v.shape, 'float32')))
  }
  const shard: Shard = {
    rows: { index: d.index, count: d.parts },
    combine: (player, grads, value) => {
      const values = grads.map((g) => (g === null ? null : valuesOf(g)))
      send(
        link,
        TO_MAIN,
        { kind: 'grads', player, grads: values, value: value.dataSync()[0] },
        values.flatMap((v) => (v === null ? [] : [v.buffer as ArrayBuffer]))
      )
      return null
    },
    share: (player, vars) => {
      const m = expect(receive(link, TO_WORKER, what), 'weights', what)
      if (m.player !== player) throw new Error(`weights of player ${m.player}, expected ${player}`)
      vars.forEach((v, i) => {
        const t = tf.tensor(m.values[i], v.shape, 'float32')
        v.assign(t)
        t.dispose()
      })
    },
    combineNamed: (named) => {
      send(link, TO_MAIN, {
        kind: 'named',
        entries: [...named.entries()].map(([k, v]) => [k, v.dataSync()[0]] as const)
      })
      return null
    }
  }
  const compiled = compileGame(game, nets, {
    seed: d.seed,
    startIteration: d.startIteration,
    kernels: backend.kernels,
    batchApplications: d.batchApplications,
    shard
  })
  parentPort!.postMessage('ready')
  for (;;) {
    const m = receive(link, TO_WORKER, what)
    if (m.kind === 'stop') break
    const step = expect(m, 'step', what)
    const batch = tf.tensor(step.rows, [...step.shape], 'float32')
    try {
      compiled.step(batch)
    } finally {
      batch.dispose()
    }
  }
  compiled.dispose()
  for (const n of Object.values(nets)) n.dispose()
  link.port.close()
}

run().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e)
  try {
    send(link, TO_MAIN, { kind: 'error', message })
  } catch {
    // the port is closed: the main thread has gone
  }
  parentPort!.postMessage({ message })
})
