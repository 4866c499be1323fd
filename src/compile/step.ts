/**
 * A game compiled into a training step: each player, in order, evaluates its loss and updates only its
 * own variables (an explicit var list per player). Under the default `alternating` schedule each player
 * recomputes its forward pass with the current weights; under `sharedSamples` later players read the
 * samples earlier players computed (./samples.ts, Game.schedule), and a later player whose samples
 * earlier players read, unchanged, computes them first and runs those players inside its own tape
 * (critic-first games: the generator's forward pass once per step).
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import { checkOrThrow } from '../core/Check.ts'
import type { Game, Player } from '../core/Game.ts'
import { shapeEquals, size, steps } from '../core/Game.ts'
import type { Apply } from '../core/Expr.ts'
import * as X from '../core/Expr.ts'
import { applicationsOf, prefetch } from './batching.ts'
import { drawRows, drawSeed, evaluate, Evaluation, StepEnv } from './term.ts'
import type { Rows } from './term.ts'
import { isolatedTape, registerSecondOrderGradients } from './gradients.ts'
import type { Binding, Net } from './Net.ts'
import type { Updater } from './optim.ts'
import { updater } from './optim.ts'
import { presamples, sampleCache, samplerNets } from './samples.ts'
import type { StepKernels } from './optim.ts'

/** What one step reports: the scalars, still on the device (no sync until read). */
export interface StepReport {
  readonly step: number
  /** `player` → its loss, `player/label` → each named term; owned by the compiled game until the next step. */
  readonly values: ReadonlyMap<string, tf.Scalar>
}

export interface CompiledGame {
  readonly game: Game
  /** Runs one step on a data batch `[B, ...game.data]`; the batch stays the caller's. */
  step(batch: tf.Tensor): StepReport
  /** The variables a player updates. */
  variablesOf(player: string): ReadonlyArray<tf.Variable>
  /** A player's optimiser (its state, for checkpoints). */
  optimizerOf(player: string): Updater
  /** How many steps have run. */
  readonly iteration: number
  /** Frees optimiser state and the last report (not the nets: they are the caller's). */
  dispose(): void
}

export interface CompileOptions {
  /** Seed of the prior and noise draws; each step's draws derive from it and the step number. */
  readonly seed?: number
  /** The iteration to start from (a resumed run's): each step's draws derive from the seed and the iteration. */
  readonly startIteration?: number
  /** In-place kernels of the backend (`chooseBackend(…).kernels`); without them Adam runs as tensor ops. */
  readonly kernels?: StepKernels
  /**
   * Apply each row-wise net once per wave to all the inputs a player's loss gives it (./batching.ts).
   * Default: on, unless the environment sets `LOSS_ALGEBRA_BATCH_APPLY=0`.
   */
  readonly batchApplications?: boolean
  /**
   * Under `sharedSamples`, a later player computes the samples that earlier players read and that
   * none of them changes before it moves (./samples.ts `presamples`), once for the whole step.
   * Default: on; the step is the same either way (laws/schedule.ts), only faster.
   */
  readonly earlySamples?: boolean
  /**
   * Data parallel: this compiled game computes one part of each batch (`rows`), and `exchange` joins
   * the parts at every update (src/run/parallel.ts). Every part draws the whole batch's noise and
   * keeps its rows, so the parts together compute the step on the whole batch (a law:
   * test/parallel.test.ts).
   */
  readonly shard?: Shard
}

/** How the parts of a data-parallel step meet at each update (see `CompileOptions.shard`). */
export interface Shard {
  readonly rows: Rows
  /**
   * A player's gradients (in its variables' order, `null` where none reaches) and loss on this part.
   * The part that applies updates gets back the mean over all parts (new tensors, its to dispose);
   * the others get `null`.
   */
  combine(
    player: number,
    grads: ReadonlyArray<tf.Tensor | null>,
    value: tf.Scalar
  ): { readonly grads: ReadonlyArray<tf.Tensor | null>; readonly value: tf.Scalar } | null
  /** After a player's update: the applying part sends its variables, the others take them. */
  share(player: number, vars: ReadonlyArray<tf.Variable>): void
  /** The step's named values: the applying part gets the means over all parts (new scalars), the others `null`. */
  combineNamed(named: ReadonlyMap<string, tf.Scalar>): Map<string, tf.Scalar> | null
}

/** Training stopped because a value went NaN or ±Inf. */
export class DivergenceError extends Error {
  constructor(
    readonly term: string,
    readonly step: number,
    readonly value: number
  ) {
    super(`training diverged at step ${step}: ${term} = ${value}`)
    this.name = 'DivergenceError'
  }
}

/** Reads a report's values (one device sync), and throws `DivergenceError` naming a non-finite named term, else player. */
export const readValues = async (report: StepReport): Promise<Record<string, number>> => {
  const entries = [...report.values.entries()]
  const datas = await Promise.all(entries.map(([, t]) => t.data()))
  const out: Record<string, number> = Object.fromEntries(entries.map(([k], i) => [k, datas[i][0]]))
  // name the innermost culprit: a named term (`player/label`) before the player's total
  const bad = Object.keys(out)
    .sort((a, b) => Number(b.includes('/')) - Number(a.includes('/')))
    .find((k) => !Number.isFinite(out[k]))
  if (bad !== undefined) throw new DivergenceError(bad, report.step, out[bad])
  return out
}

const checkBinding = (game: Game, nets: Binding): void => {
  const problems: Array<string> = []
  for (const [name, s] of Object.entries(game.nets)) {
    const net: Net | undefined = nets[name]
    if (net === undefined) {
      problems.push(`net "${name}" is declared by the game but not bound`)
      continue
    }
    const sameIn = shapeEquals(net.signature.input, s.input) || size(net.signature.input) === size(s.input)
    if (!sameIn || !shapeEquals(net.signature.output, s.output)) {
      problems.push(
        `net "${name}" maps [${net.signature.input}] → [${net.signature.output}], the game declares [${s.input}] → [${s.output}]`
      )
    }
  }
  if (problems.length > 0)
    throw new Error(`cannot bind the game's nets:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
}

/**
 * Compiles a checked game against bound nets.
 * @throws GameError when the game does not check, Error when the binding does not match it.
 */
export const compileGame = (game: Game, nets: Binding, options: CompileOptions = {}): CompiledGame => {
  checkOrThrow(game)
  checkBinding(game, nets)
  registerSecondOrderGradients()
  const seed = options.seed ?? 0
  const shard = options.shard
  const batching = options.batchApplications ?? globalThis.process?.env?.LOSS_ALGEBRA_BATCH_APPLY !== '0'
  const samplers = game.schedule === 'sharedSamples' ? samplerNets(game) : null
  const presampled = samplers === null || options.earlySamples === false ? null : presamples(game, samplers)
  const players = game.players.map((p: Player) => {
    const vars = p.nets.flatMap((n) => nets[n].variables) as Array<tf.Variable>
    return { player: p, vars, optimizer: updater(p.optimizer, vars, options.kernels) }
  })
  let iteration = options.startIteration ?? 0
  let last: Map<string, tf.Scalar> = new Map()

  const step = (batch: tf.Tensor): StepReport => {
    if (batch.rank < 1 || !shapeEquals(batch.shape.slice(1), game.data)) {
      throw new RangeError(`step: the batch has shape [${batch.shape}], the game's data is [batch, ${game.data}]`)
    }
    tf.dispose([...last.values()])
    const i = iteration
    const b = batch.shape[0]
    const prior = drawRows('normal', [b, ...game.prior], drawSeed(seed, i, 'prior'), shard?.rows)
    const env = new StepEnv(nets, batch, prior, i, drawSeed(seed, i), shard?.rows)
    const values = new Map<string, tf.Scalar>()
    const samples = samplers === null ? null : sampleCache(samplers)
    try {
      // players 0..k in order; a player that takes samples early runs the ones before it inside its tape
      const play = (k: number): void => {
        if (k < 0) return
        const { player, vars, optimizer } = players[k]
        if (!steps(player, i)) return play(k - 1)
        const early = presampled?.[k] ?? new Set<string>()
        if (early.size === 0) play(k - 1)
        const { value, grads } = tf.variableGrads(() => {
          const ev = new Evaluation(env, player.name, samples?.forPlayer(player.nets))
          if (early.size > 0) {
            const only = (a: Apply): boolean => early.has(X.key(a))
            if (batching) prefetch(ev, player.loss, only)
            for (const a of applicationsOf(player.loss)) if (only(a)) ev.expr(a)
            isolatedTape(() => play(k - 1))
          }
          if (batching) prefetch(ev, player.loss)
          return evaluate(player.loss, ev)
        }, vars)
        const own = vars.map((v) => grads[v.name] ?? null)
        // reported values are kept: the scope of an enclosing player's tape would free them
        if (shard === undefined) {
          optimizer.apply(own)
          values.set(player.name, tf.keep(value))
        } else {
          values.set(player.name, tf.keep(value))
          const joined = shard.combine(k, own, value)
          if (joined !== null) {
            values.set(player.name, tf.keep(joined.value))
            value.dispose()
            optimizer.apply(joined.grads)
            tf.dispose(joined.grads.filter((g): g is tf.Tensor => g !== null))
          }
          shard.share(k, vars)
        }
        tf.dispose(grads)
      }
      play(players.length - 1)
      const named = shard?.combineNamed(env.named) ?? null
      if (named !== null) tf.dispose([...env.named.values()])
      for (const [k, v] of named ?? env.named) values.set(k, v)
    } catch (e) {
      tf.dispose([...values.values(), ...env.named.values()])
      throw e
    } finally {
      samples?.dispose()
      env.dispose()
      prior.dispose()
    }
    iteration++
    last = values
    return { step: i, values }
  }

  return {
    game,
    step,
    get iteration() {
      return iteration
    },
    optimizerOf: (name) => {
      const p = players.find((q) => q.player.name === name)
      if (p === undefined) throw new Error(`no player "${name}" in the game`)
      return p.optimizer
    },
    variablesOf: (name) => {
      const p = players.find((q) => q.player.name === name)
      if (p === undefined) throw new Error(`no player "${name}" in the game`)
      return p.vars
    },
    dispose: () => {
      tf.dispose([...last.values()])
      last = new Map()
      for (const p of players) p.optimizer.dispose()
    }
  }
}
