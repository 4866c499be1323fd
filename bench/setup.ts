/**
 * What a benchmark row needs: the reference nets of shared/bench/ARCHITECTURES.md, the model's game
 * (every optimiser Adam 2e-4, β 0.5 / 0.999, as in the peer), a fixed data batch, and both steps —
 * compiled from the algebra and written by hand — on two copies of the same initial weights.
 */
import * as tf from '@tensorflow/tfjs'

import { stepKernels } from '../src/backend/select.ts'
import { compileGame } from '../src/compile/step.ts'
import type { CompiledGame, CompileOptions } from '../src/compile/step.ts'
import type { Game, Signature, StepSchedule } from '../src/core/Game.ts'
import { adam } from '../src/core/Game.ts'
import { models } from '../src/models/index.ts'
import type { ModelName } from '../src/models/index.ts'
import type { Arch } from '../src/nets/index.ts'
import { disposeAll, referenceNets, Z_DIM } from '../src/nets/index.ts'
import { compileParallel, srcModule } from '../src/run/parallel.ts'
import { handwritten } from './handwritten.ts'
import type { HandwrittenStep, Nets } from './handwritten.ts'

/** Rows in the order they are printed; wganGp has no peer. */
export const MODELS: ReadonlyArray<ModelName> = ['gan', 'vae', 'aae', 'vaeGan', 'bigan', 'alphaGan', 'wganGp']
export const ARCHS: ReadonlyArray<Arch> = ['mlp', 'conv']

/** The peer's name for a model (shared/bench/peer_torch.py), or undefined when it has none. */
export const PEER_MODEL: Partial<Record<ModelName, string>> = {
  gan: 'gan',
  vae: 'vae',
  aae: 'aae',
  vaeGan: 'vaegan',
  bigan: 'bigan',
  alphaGan: 'alphagan'
}

export const BATCH = 64
export const DATA: ReadonlyArray<number> = [28, 28, 1]

/** Models that read a mean and a log-variance from E. */
export const encOut = (model: ModelName): number => (model === 'vae' || model === 'vaeGan' ? 2 * Z_DIM : Z_DIM)

export const makeGame = (model: ModelName, nets: Nets): Game => {
  const signatures: Record<string, Signature> = Object.fromEntries(
    Object.entries(nets).map(([k, n]) => [k, n.signature])
  )
  return models[model]({ data: DATA, prior: [Z_DIM], nets: signatures, optimizer: adam(2e-4, 0.5, 0.999) })
}

/** Steps after which every player has stepped a whole number of times (5 for WGAN-GP's critic loop). */
export const cycleOf = (game: Game): number => {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
  return game.players.reduce((l, p) => (l * p.every) / gcd(l, p.every), 1)
}

/** A fixed batch of 64 images in [−1, 1], as in the peer. */
export const dataBatch = (seed: number): tf.Tensor => tf.randomUniform([BATCH, ...DATA], -1, 1, 'float32', seed + 12345)

/** Either side of a row: one step, and a read of its last loss (forces the step to complete). */
export interface Stepper {
  step(): void
  /** The last step's player losses, read back (one device sync). */
  read(): Promise<Record<string, number>>
  dispose(): void
}

export interface Row {
  readonly game: Game
  readonly cycle: number
  readonly compiled: Stepper
  readonly handwritten: Stepper
  dispose(): void
}

const readAll = async (
  values: ReadonlyMap<string, tf.Scalar>,
  names: ReadonlyArray<string>
): Promise<Record<string, number>> => {
  const out: Record<string, number> = {}
  for (const n of names) {
    const t = values.get(n)
    if (t !== undefined) out[n] = (await t.data())[0]
  }
  return out
}

export interface RowOptions extends Pick<CompileOptions, 'batchApplications' | 'earlySamples'> {
  /** The compiled side split over this many parts, one per thread (src/run/parallel.ts); default 1. */
  readonly parts?: number
}

/**
 * Builds both steps of a row on the current backend, from the same initial weights (`seed`); with
 * `parts` ≥ 2 the compiled step is data parallel over worker threads.
 */
export const makeRow = async (
  model: ModelName,
  arch: Arch,
  seed: number,
  schedule: StepSchedule = 'alternating',
  options: RowOptions = {}
): Promise<Row> => {
  const netsA = referenceNets(arch, { encOut: encOut(model), seed })
  const netsB = referenceNets(arch, { encOut: encOut(model), seed })
  const x = dataBatch(seed)
  const game: Game = { ...makeGame(model, netsA), schedule }
  const players = game.players.map((p) => p.name)
  let compiledGame: CompiledGame | undefined
  let hand: HandwrittenStep | undefined
  try {
    const kernels = stepKernels(tf.getBackend())
    const { parts = 1, batchApplications, earlySamples } = options
    compiledGame =
      parts > 1
        ? await compileParallel(
            game,
            netsA,
            { module: srcModule('nets/index'), name: 'referenceNets', args: [arch, { encOut: encOut(model), seed }] },
            { parts, backend: tf.getBackend(), seed, kernels, batchApplications }
          )
        : compileGame(game, netsA, { seed, kernels, batchApplications, earlySamples })
    hand = handwritten(model, netsB, { seed, kernels })
  } catch (e) {
    compiledGame?.dispose()
    disposeAll(netsA)
    disposeAll(netsB)
    x.dispose()
    throw e
  }
  const c = compiledGame
  const h = hand
  let cValues: ReadonlyMap<string, tf.Scalar> = new Map()
  let hValues: ReadonlyMap<string, tf.Scalar> = new Map()
  return {
    game,
    cycle: cycleOf(game),
    compiled: {
      step: () => {
        cValues = c.step(x).values
      },
      read: () => readAll(cValues, players),
      dispose: () => c.dispose()
    },
    handwritten: {
      step: () => {
        hValues = h.step(x)
      },
      read: () => readAll(hValues, players),
      dispose: () => h.dispose()
    },
    dispose: () => {
      c.dispose()
      h.dispose()
      disposeAll(netsA)
      disposeAll(netsB)
      x.dispose()
    }
  }
}
