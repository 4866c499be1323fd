/**
 * The playground's state: a game's players plus the settings it trains with, the URL that carries
 * them, and the experiment config `loss-algebra train` runs.
 */
import * as Either from 'fp-ts/Either'
import * as t from 'io-ts'

import { decode, encode, PlayerC } from '../../src/codec/index.ts'
import type { Player } from '../../src/core/Game.ts'
import { catalogue } from '../../src/models/index.ts'
import type { ModelName } from '../../src/models/index.ts'
import { decodeExperiment } from '../../src/codec/experiment.ts'
import { gameOf } from '../../src/experiment/game.ts'
import type { Mixture } from '../../src/data/toy.ts'
import { grid, ring } from '../../src/data/toy.ts'

export type { ModelName }
export const MODEL_NAMES: ReadonlyArray<ModelName> = ['alphaGan', 'gan', 'wganGp', 'aae', 'vaeGan', 'vae', 'bigan']
export const MODEL_TITLES: Readonly<Record<ModelName | 'blank', string>> = {
  alphaGan: 'α-GAN',
  gan: 'GAN',
  wganGp: 'WGAN-GP',
  aae: 'AAE',
  vaeGan: 'VAE-GAN',
  vae: 'VAE',
  bigan: 'BiGAN',
  blank: 'blank game'
}

export type Ring = { readonly kind: 'ring'; readonly modes: number; readonly radius: number; readonly sd: number }
export type Grid = { readonly kind: 'grid'; readonly side: number; readonly spacing: number; readonly sd: number }
export type ToyData = Ring | Grid
export type BackendWish = 'auto' | 'webgl' | 'wasm' | 'cpu'

/** A game and the settings it trains with; `toConfig` (config.ts) writes it as an experiment config. */
export interface State {
  /** The model the game started from. */
  readonly origin: ModelName | 'blank'
  readonly players: ReadonlyArray<Player>
  readonly data: ToyData
  readonly latent: number
  /** Hidden width of every net (two hidden layers). */
  readonly hidden: number
  /** The encoder's outputs: one code, or a mean and a log-variance. */
  readonly encoder: 'latent' | '2latent'
  readonly batch: number
  readonly seed: number
  readonly steps: number
  readonly backend: BackendWish
}

export const RING: Ring = { kind: 'ring', modes: 8, radius: 2, sd: 0.05 }
export const GRID: Grid = { kind: 'grid', side: 5, spacing: 2, sd: 0.05 }

export type Settings = Omit<State, 'origin' | 'players' | 'encoder'>

export const DEFAULTS: Settings = {
  data: RING,
  latent: 2,
  hidden: 64,
  batch: 128,
  seed: 1,
  steps: 2000,
  backend: 'auto'
}

const encoderOf = (m: ModelName): State['encoder'] =>
  (catalogue[m].nets as Record<string, { output: unknown }>).E?.output === '2latent' ? '2latent' : 'latent'

/** A model's players with its default hyper-parameters, exactly as a config naming the model builds them. */
export const modelPlayers = (m: ModelName, s: Pick<State, 'data' | 'latent'>): ReadonlyArray<Player> => {
  const e = decodeExperiment({ model: m, data: s.data, latent: s.latent })
  if (Either.isLeft(e)) throw new Error(`model ${m}: ${e.left.join('; ')}`)
  return gameOf(e.right).players
}

/** The state of a fresh start from a model (or a blank game), keeping the other settings. */
export const fromModel = (m: ModelName | 'blank', base: Settings = DEFAULTS): State => ({
  ...base,
  origin: m,
  encoder: m === 'blank' ? 'latent' : encoderOf(m),
  players: m === 'blank' ? [] : modelPlayers(m, base)
})

// -------------------------------------------------------------------------------------
// the game's JSON (the config's `game` field)
// -------------------------------------------------------------------------------------

export const GameJsonC = t.exact(t.type({ players: t.readonlyArray(PlayerC) }), 'Game')

/** The players as the config's `game` value (plain JSON). */
export const gameJsonValue = (players: ReadonlyArray<Player>): unknown => encode(GameJsonC, { players })

export const gameJson = (players: ReadonlyArray<Player>): string => JSON.stringify(gameJsonValue(players), null, 2)

/** The players of a game's JSON text, or one line per problem (with its path). */
export const parseGameJson = (text: string): Either.Either<ReadonlyArray<string>, ReadonlyArray<Player>> => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    return Either.left([`not JSON: ${(e as Error).message}`])
  }
  return Either.map((g: { players: ReadonlyArray<Player> }) => g.players)(decode(GameJsonC, raw, 'game'))
}

// -------------------------------------------------------------------------------------
// the URL
// -------------------------------------------------------------------------------------

const StateC = t.type({
  origin: t.string,
  players: t.readonlyArray(PlayerC),
  data: t.union([
    t.type({ kind: t.literal('ring'), modes: t.number, radius: t.number, sd: t.number }),
    t.type({ kind: t.literal('grid'), side: t.number, spacing: t.number, sd: t.number })
  ]),
  latent: t.number,
  hidden: t.number,
  encoder: t.keyof({ latent: null, '2latent': null }),
  batch: t.number,
  seed: t.number,
  steps: t.number,
  backend: t.keyof({ auto: null, webgl: null, wasm: null, cpu: null })
})

const toBase64Url = (bytes: Uint8Array): string => {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
const fromBase64Url = (s: string): Uint8Array => {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}

const through = async (bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> =>
  new Uint8Array(await new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream)).arrayBuffer())

/** `#g=` + deflated, base64url JSON of the state. */
export const encodeHash = async (s: State): Promise<string> => {
  const json = new TextEncoder().encode(JSON.stringify(s))
  return `#g=${toBase64Url(await through(json, new CompressionStream('deflate-raw')))}`
}

/** The state in a URL hash, or why it cannot be read. */
export const decodeHash = async (hash: string): Promise<Either.Either<ReadonlyArray<string>, State>> => {
  const m = /^#g=([A-Za-z0-9_-]+)$/.exec(hash)
  if (m === null) return Either.left(['the link carries no game'])
  let raw: unknown
  try {
    raw = JSON.parse(
      new TextDecoder().decode(await through(fromBase64Url(m[1]), new DecompressionStream('deflate-raw')))
    )
  } catch (e) {
    return Either.left([`the link's game cannot be read: ${(e as Error).message}`])
  }
  return decode(StateC, raw, 'link') as Either.Either<ReadonlyArray<string>, State>
}

/** The mixture the data kind draws from (for plots before any session exists). */
export const mixtureOf = (d: ToyData): Mixture =>
  d.kind === 'ring' ? ring(d.modes, d.radius, d.sd) : grid(d.side, d.spacing, d.sd)
