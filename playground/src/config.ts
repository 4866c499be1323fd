/**
 * The experiment config `loss-algebra train` runs: the playground's state written out (the game in
 * full, the nets it is built with, the data and the training settings), decoded by the same codec
 * as the CLI's, and read back from a file.
 */
import * as Either from 'fp-ts/Either'

import { decodeExperiment } from '../../src/codec/experiment.ts'
import type { ExperimentInput } from '../../src/codec/experiment.ts'
import type { Game } from '../../src/core/Game.ts'
import { namesOf } from '../../src/core/Loss.ts'
import type { Experiment } from '../../src/experiment/types.ts'
import { gameOf } from '../../src/experiment/game.ts'
import type { State, ToyData } from './state.ts'
import { DEFAULTS, gameJsonValue } from './state.ts'

const ROLES: Readonly<Record<string, { readonly input: string; readonly output: string | number }>> = {
  E: { input: 'data', output: 'latent' },
  G: { input: 'latent', output: 'data' },
  D: { input: 'data', output: 1 },
  C: { input: 'latent', output: 1 },
  J: { input: 'data+latent', output: 1 }
}

/** The nets the game refers to, in order of first use (the order a run seeds them in). */
const usedNets = (s: State): ReadonlyArray<string> => [
  ...new Set(s.players.flatMap((p) => [...p.nets, ...namesOf(p.loss)]))
]

/** The config of this state: the whole game as JSON terms, so the CLI trains exactly what the page shows. */
export const toConfig = (s: State): ExperimentInput => {
  const nets: Record<string, unknown> = {}
  for (const n of usedNets(s)) {
    const role = ROLES[n]
    if (role === undefined) continue // not a standard net: check reports it as unbound
    nets[n] = {
      arch: 'mlp',
      hidden: [s.hidden, s.hidden],
      activation: n === 'G' ? 'relu' : 'leakyRelu',
      outputActivation: 'linear',
      input: role.input,
      output: n === 'E' ? s.encoder : role.output
    }
  }
  return {
    name: `${s.origin === 'blank' ? 'game' : s.origin}-${s.data.kind}`,
    seed: s.seed,
    data: s.data,
    latent: s.latent,
    game: gameJsonValue(s.players),
    nets,
    train: { steps: s.steps, batch: s.batch }
  } as unknown as ExperimentInput
}

/** The normalised experiment of this state, or the config's problems. */
export const experimentOf = (s: State): Either.Either<ReadonlyArray<string>, Experiment> =>
  decodeExperiment(toConfig(s), 'config')

/** The game the page checks and trains: the experiment's, as a run builds it. */
export const gameOfState = (s: State): Either.Either<ReadonlyArray<string>, Game> => Either.map(gameOf)(experimentOf(s))

/** A state from a config file (a model's or a whole game), or one line per problem (with its path). */
export const fromConfig = (
  raw: unknown,
  base: State
): Either.Either<ReadonlyArray<string>, { state: State; notes: ReadonlyArray<string> }> =>
  Either.chain(
    (e: Experiment): Either.Either<ReadonlyArray<string>, { state: State; notes: ReadonlyArray<string> }> => {
      if (e.data.kind !== 'ring' && e.data.kind !== 'grid')
        return Either.left([`$.data.kind: the playground trains the ring and the grid, not ${e.data.kind}`])
      const notes: Array<string> = []
      const mlps = Object.entries(e.nets).filter(([, n]) => n.arch === 'mlp')
      const widths = [...new Set(mlps.flatMap(([, n]) => n.hidden as ReadonlyArray<number>))]
      if (mlps.length < Object.keys(e.nets).length || widths.length > 1)
        notes.push(
          `the playground's nets are MLPs with two hidden layers of one width: using ${widths[0] ?? DEFAULTS.hidden}`
        )
      const game = gameOf(e)
      const state: State = {
        ...base,
        origin: e.model !== undefined ? (e.model.name as State['origin']) : 'blank',
        players: game.players,
        data: e.data as unknown as ToyData,
        latent: e.latent,
        hidden: widths[0] ?? DEFAULTS.hidden,
        encoder: e.nets.E?.output === '2latent' ? '2latent' : 'latent',
        batch: e.train.batch,
        seed: e.seed,
        steps: e.train.steps
      }
      return Either.right({ state, notes })
    }
  )(decodeExperiment(raw))
