/**
 * A run's live parts, built from a normalised experiment: the backend, the nets, the compiled game,
 * the data source and the data order's random state; snapshots to and restores from checkpoints.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import { chooseBackend } from '../backend/select.ts'
import type { BackendChoice } from '../backend/select.ts'
import type { Binding } from '../compile/Net.ts'
import type { CompiledGame } from '../compile/step.ts'
import { compileGame } from '../compile/step.ts'
import type { Game } from '../core/Game.ts'
import { size } from '../core/Game.ts'
import { dataKinds } from '../experiment/data.ts'
import type { DataSource } from '../experiment/data.ts'
import { buildNets, dataShape, gameOf } from '../experiment/game.ts'
import type { Experiment } from '../experiment/types.ts'
import type { Checkpoint } from './checkpoint.ts'
import { compileParallel, experimentNets } from './parallel.ts'
import { configHash } from './checkpoint.ts'
import type { Rng } from './rng.ts'
import { seededRng } from './rng.ts'

export const disposeNets = (nets: Binding): void => {
  for (const n of Object.values(nets)) n.dispose()
}

/** A data batch as a tensor `[n, ...shape]`. */
export const batchOf = (e: Experiment, source: DataSource, n: number, u: () => number): tf.Tensor =>
  tf.tensor(source.batch(n, u), [n, ...dataShape(e)])

export interface Session {
  readonly experiment: Experiment
  readonly game: Game
  readonly nets: Binding
  readonly compiled: CompiledGame
  readonly source: DataSource
  readonly backend: BackendChoice
  readonly u: Rng
  /** Steps done. */
  step: number
  /** The state a checkpoint saves (reads every tensor: one device sync). */
  snapshot(): Promise<Checkpoint>
  dispose(): void
}

const restoreInto = (
  vars: ReadonlyArray<tf.Variable>,
  saved: ReadonlyArray<{ shape: ReadonlyArray<number>; values: Float32Array }>,
  what: string
): void => {
  if (vars.length !== saved.length)
    throw new Error(`${what}: the checkpoint has ${saved.length} tensors, the run ${vars.length}`)
  vars.forEach((v, i) => {
    if (v.size !== saved[i].values.length)
      throw new Error(
        `${what}: tensor ${i} has ${saved[i].values.length} values in the checkpoint, ${v.size} in the run`
      )
    const t = tf.tensor(saved[i].values, v.shape, 'float32')
    v.assign(t)
    t.dispose()
  })
}

/**
 * Chooses the backend (the requested one, or the first that has every kernel of a small probe step),
 * builds the nets and compiles the game; from a checkpoint, restores every weight, optimiser state,
 * the iteration and the data order.
 */
export const openSession = async (
  e: Experiment,
  o: {
    readonly backend?: string
    readonly checkpoint?: Checkpoint
    /** Split each batch over this many threads (./parallel.ts); 1 (the default) runs on this one. */
    readonly threads?: number
  } = {}
): Promise<Session> => {
  const threads = o.threads ?? 1
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`threads must be a positive integer, got ${threads}`)
  if (e.train.batch % threads !== 0)
    throw new RangeError(
      `a batch of ${e.train.batch} does not split over ${threads} threads (train.batch must be a multiple)`
    )
  const game = gameOf(e)
  const source = await dataKinds[e.data.kind].load(e.data)
  // the probe's nets are built on cpu; its "install tfjs-node" banner would print (the choice is reported instead)
  await tf.setBackend('cpu')
  ;(tf.backend() as unknown as { firstUse?: boolean }).firstUse = false
  const probeNets = await buildNets(e)
  let backend: BackendChoice
  try {
    backend = await chooseBackend({
      requested: o.backend ?? e.backend,
      probe: {
        key: JSON.stringify([game, e.nets]),
        run: () => {
          const c = compileGame(game, probeNets, { seed: 1 })
          const x = batchOf(e, source, 2, seededRng(1))
          c.step(x)
          c.dispose()
          x.dispose()
        }
      }
    })
  } finally {
    disposeNets(probeNets)
  }
  const nets = await buildNets(e)
  const ck = o.checkpoint
  if (ck !== undefined) {
    for (const [name, net] of Object.entries(nets)) {
      const saved = ck.nets[name]
      if (saved === undefined) throw new Error(`the checkpoint has no net "${name}"`)
      restoreInto(net.variables, saved, `net "${name}"`)
    }
  }
  const compiled =
    threads > 1
      ? await compileParallel(game, nets, experimentNets(e), {
          parts: threads,
          backend: backend.name,
          seed: e.seed,
          kernels: backend.kernels,
          startIteration: ck?.iteration ?? 0
        })
      : compileGame(game, nets, { seed: e.seed, kernels: backend.kernels, startIteration: ck?.iteration ?? 0 })
  if (ck !== undefined) {
    for (const p of game.players) {
      const saved = ck.optimizers[p.name]
      if (saved === undefined) throw new Error(`the checkpoint has no optimiser state for player "${p.name}"`)
      const opt = compiled.optimizerOf(p.name)
      restoreInto(opt.slots, saved.slots, `player "${p.name}"'s optimiser`)
      opt.steps = saved.steps
    }
  }
  const u = seededRng(e.seed)
  if (ck !== undefined) u.state = ck.rng
  const read = async (vars: ReadonlyArray<tf.Variable>) =>
    Promise.all(vars.map(async (v) => ({ shape: v.shape, values: (await v.data()) as Float32Array })))
  const session: Session = {
    experiment: e,
    game,
    nets,
    compiled,
    source,
    backend,
    u,
    step: ck?.step ?? 0,
    snapshot: async () => ({
      config: configHash(e),
      step: session.step,
      iteration: compiled.iteration,
      rng: u.state,
      nets: Object.fromEntries(
        await Promise.all(Object.entries(nets).map(async ([k, n]) => [k, await read(n.variables)] as const))
      ),
      optimizers: Object.fromEntries(
        await Promise.all(
          game.players.map(
            async (p) =>
              [
                p.name,
                { steps: compiled.optimizerOf(p.name).steps, slots: await read(compiled.optimizerOf(p.name).slots) }
              ] as const
          )
        )
      )
    }),
    dispose: () => {
      compiled.dispose()
      disposeNets(nets)
    }
  }
  return session
}

/** Whether every weight is finite (one sync). */
export const weightsFinite = async (nets: Binding): Promise<boolean> => {
  const vars = Object.values(nets).flatMap((n) => n.variables)
  if (vars.length === 0) return true
  const s = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(tf.abs(v)))))
  const [x] = await s.data()
  s.dispose()
  return Number.isFinite(x)
}

/** The flat size of one example. */
export const exampleSize = (e: Experiment): number => size(dataShape(e))
