/**
 * An experiment with every default filled in: what `normalize` returns, what a run folder's
 * `config.json` holds, and what the rest of a run reads.
 * @since 0.1.0
 */
import type { Player, StepSchedule } from '../core/Game.ts'
import type { DataSpec } from './data.ts'
import type { NetSpec } from './nets.ts'

/** A model by name with every hyper-parameter (its optimiser included). */
export type ModelConfig = { readonly name: string } & Readonly<Record<string, unknown>>

export interface TrainConfig {
  readonly steps: number
  readonly batch: number
  /** Losses are read (one device sync) and logged every `logEvery` steps. */
  readonly logEvery: number
  /** Samples, pictures and metrics every `evalEvery` steps. */
  readonly evalEvery: number
  /** A checkpoint every `checkpointEvery` steps (and at the end). */
  readonly checkpointEvery: number
}

export interface Experiment {
  readonly name: string
  readonly seed: number
  /** The backend a run used (recorded in the run folder, so a rerun uses the same). */
  readonly backend?: string
  readonly data: DataSpec
  /** The prior's dimension. */
  readonly latent: number
  /** Exactly one of `model` and `game`. */
  readonly model?: ModelConfig
  readonly game?: { readonly players: ReadonlyArray<Player> }
  /**
   * How the players of one step see each other's samples (`Game.schedule`): `alternating` (each player
   * recomputes every sample with the current weights) or `sharedSamples`. Always written out.
   */
  readonly schedule: StepSchedule
  /** Every net the game refers to. */
  readonly nets: Readonly<Record<string, NetSpec>>
  readonly train: TrainConfig
  readonly evaluation: { readonly samples: number; readonly metrics: ReadonlyArray<string> }
}
