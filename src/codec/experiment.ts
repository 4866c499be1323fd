/**
 * Experiment configs, decoded exactly: every field is checked, and a field the schema does not know
 * is an error with its path (`$.model.lamda: unknown field`), never silently ignored. `decodeExperiment`
 * decodes, rejects unknown fields and fills every default (`normalize`), so that a run folder's
 * `config.json` is the whole experiment.
 *
 * The model list, the data kinds and the architectures come from their own modules (`src/models`,
 * `src/experiment/data.ts`, `src/experiment/nets.ts`): adding one there adds it here.
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import * as t from 'io-ts'

import type { Optimizer, Player } from '../core/Game.ts'
import { adam } from '../core/Game.ts'
import { namesOf } from '../core/Loss.ts'
import type { DataSpec } from '../experiment/data.ts'
import { dataKinds } from '../experiment/data.ts'
import type { Io, NetSpec } from '../experiment/nets.ts'
import { archs } from '../experiment/nets.ts'
import { Positive, PositiveInt } from '../experiment/primitives.ts'
import type { Experiment, ModelConfig } from '../experiment/types.ts'
import type { AnyModel, Role } from '../models/index.ts'
import { catalogue } from '../models/index.ts'
import { decode, LossC, OptimizerC, ShapeC } from './index.ts'

export { Positive, PositiveInt } from '../experiment/primitives.ts'
export type { Experiment } from '../experiment/types.ts'

// -------------------------------------------------------------------------------------
// tagged objects: { <field>: key, ...that key's fields }
// -------------------------------------------------------------------------------------

interface Entry {
  readonly required: t.Props
  readonly optional: t.Props
}

const show = (u: unknown): string => {
  const s = JSON.stringify(u)
  return s === undefined ? String(u) : s.length > 60 ? `${s.slice(0, 57)}...` : s
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

/**
 * An object whose `field` picks an entry of a registry, and whose other fields are that entry's.
 * With `shorthand`, a bare string stands for `{ [field]: string }`.
 */
export class Tagged extends t.Type<Record<string, unknown>, unknown, unknown> {
  readonly _tag = 'Tagged' as const
  constructor(
    name: string,
    readonly field: string,
    readonly entries: () => Readonly<Record<string, Entry>>,
    readonly shorthand: boolean
  ) {
    super(
      name,
      (u): u is Record<string, unknown> => isRecord(u),
      (u, c) => {
        const keys = Object.keys(this.entries())
        const o = shorthand && typeof u === 'string' ? { [field]: u } : u
        if (!isRecord(o))
          return t.failure(
            u,
            c,
            `expected ${shorthand ? `one of ${keys.join(' | ')}, or ` : ''}an object with "${field}", got ${show(u)}`
          )
        const k = o[field]
        if (typeof k !== 'string' || !keys.includes(k)) {
          const at = typeof u === 'string' ? c : [...c, { key: field, type: t.string, actual: k }]
          return t.failure(k, at, `expected ${keys.join(' | ')}, got ${show(k)}`)
        }
        const codec = this.codecOf(k)
        // an empty key: the path skips it, and the intersection's member indices after it
        return codec.validate(o, [...c, { key: '', type: codec, actual: o }]) as t.Validation<Record<string, unknown>>
      },
      (a) => a
    )
  }
  codecOf(k: string): t.Mixed {
    const e = this.entries()[k]
    return t.intersection([t.type({ [this.field]: t.string, ...e.required }), t.partial(e.optional)])
  }
  /** The fields an input may have, or undefined where it is not an object with a known key. */
  propsFor(u: unknown): t.Props | undefined {
    if (!isRecord(u) || typeof u[this.field] !== 'string' || !((u[this.field] as string) in this.entries()))
      return undefined
    const e = this.entries()[u[this.field] as string]
    return { [this.field]: t.string, ...e.required, ...e.optional }
  }
}

// -------------------------------------------------------------------------------------
// exactness: unknown fields, for any codec built from io-ts combinators
// -------------------------------------------------------------------------------------

type AnyCodec = t.Decoder<unknown, unknown>

const unwrap = (c: AnyCodec): AnyCodec => {
  let x: AnyCodec = c
  for (;;) {
    if (
      x instanceof t.RecursiveType ||
      x instanceof t.RefinementType ||
      x instanceof t.ExactType ||
      x instanceof t.ReadonlyType
    ) {
      x = (x as unknown as { type: AnyCodec }).type
    } else return x
  }
}

/** The fields an object may have under `codec` (merging intersections, picking the union member that decodes it). */
const propsOf = (codec: AnyCodec, u: unknown): t.Props | undefined => {
  const c = unwrap(codec)
  if (c instanceof Tagged) return c.propsFor(u)
  if (c instanceof t.InterfaceType || c instanceof t.PartialType) return c.props as t.Props
  if (c instanceof t.IntersectionType) {
    const parts = (c.types as ReadonlyArray<AnyCodec>).map((m) => propsOf(m, u))
    return parts.every((p) => p === undefined) ? undefined : Object.assign({}, ...parts.filter((p) => p !== undefined))
  }
  if (c instanceof t.UnionType) {
    const m = (c.types as ReadonlyArray<AnyCodec>).find((m) => E.isRight(m.decode(u)))
    return m === undefined ? undefined : propsOf(m, u)
  }
  return undefined
}

const key = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)

/** Every field of `u` that `codec` does not know, as `path: unknown field …` lines (run after a successful decode). */
export const unknownFields = (codec: AnyCodec, u: unknown, path = '$'): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (codec: AnyCodec, u: unknown, path: string): void => {
    const props = propsOf(codec, u)
    if (props !== undefined && isRecord(u)) {
      for (const [k, v] of Object.entries(u)) {
        if (k in props) walk(props[k], v, `${path}${key(k)}`)
        else out.push(`${path}${key(k)}: unknown field "${k}" (known here: ${Object.keys(props).join(', ')})`)
      }
      return
    }
    const c = unwrap(codec)
    if ((c instanceof t.ArrayType || c instanceof t.ReadonlyArrayType) && Array.isArray(u)) {
      u.forEach((x, i) => walk((c as unknown as { type: AnyCodec }).type, x, `${path}[${i}]`))
    } else if (c instanceof t.DictionaryType && isRecord(u)) {
      for (const [k, v] of Object.entries(u)) walk(c.codomain as AnyCodec, v, `${path}${key(k)}`)
    } else if (c instanceof t.UnionType) {
      const m = (c.types as ReadonlyArray<AnyCodec>).find((m) => E.isRight(m.decode(u)))
      if (m !== undefined) walk(m, u, path)
    }
  }
  walk(codec, u, path)
  return out
}

// -------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------

const IoC = t.union(
  [t.keyof({ data: null, latent: null, '2latent': null, 'data+latent': null }), PositiveInt, ShapeC],
  'Io'
)

const models = catalogue as unknown as Readonly<Record<string, AnyModel>>

/** A model: its name, or `{ "name": …, …its hyper-parameters }`. */
export const ModelC = new Tagged(
  'Model',
  'name',
  () => Object.fromEntries(Object.entries(models).map(([k, m]) => [k, { required: {}, optional: m.params }])),
  true
)

/** A data set: `{ "kind": …, …that kind's fields }`. */
export const DataC = new Tagged('Data', 'kind', () => dataKinds, false)

/** A net: `{ "arch": …, "input"?: …, "output"?: …, …that architecture's fields }`. */
export const NetC = new Tagged(
  'Net',
  'arch',
  () =>
    Object.fromEntries(
      Object.entries(archs).map(([k, a]) => [k, { required: {}, optional: { ...a.params, input: IoC, output: IoC } }])
    ),
  false
)

const PlayerSpecC = t.intersection([
  t.type({ name: t.string, nets: t.readonlyArray(t.string), loss: LossC }),
  t.partial({ every: PositiveInt, optimizer: OptimizerC })
])

/** A whole game as JSON terms: its players (the data, prior and net signatures come from the rest of the config). */
export const GameSpecC = t.type({ players: t.readonlyArray(PlayerSpecC) }, 'Game')

/** How the players of one step see each other's samples (`Game.schedule`; absent: `alternating`). */
export const StepScheduleC = t.keyof({ alternating: null, sharedSamples: null }, 'alternating | sharedSamples')

const NameC = t.refinement(
  t.string,
  (s) => /^[A-Za-z0-9][\w.+-]{0,99}$/.test(s),
  'a name of letters, digits, ".", "_", "+", "-"'
)

export const TrainC = t.partial(
  {
    steps: PositiveInt,
    batch: PositiveInt,
    learningRate: Positive,
    logEvery: PositiveInt,
    evalEvery: PositiveInt,
    checkpointEvery: PositiveInt
  },
  'Train'
)
export const EvaluationC = t.partial({ samples: PositiveInt, metrics: t.readonlyArray(t.string) }, 'Evaluation')

/** An experiment config as written (every field optional; `normalize` fills the defaults). */
export const ExperimentC = t.partial(
  {
    name: NameC,
    seed: t.Int,
    backend: t.string,
    data: DataC,
    latent: PositiveInt,
    model: ModelC,
    game: GameSpecC,
    schedule: StepScheduleC,
    nets: t.record(t.string, NetC),
    train: TrainC,
    evaluation: EvaluationC
  },
  'an experiment object'
)
export type ExperimentInput = t.TypeOf<typeof ExperimentC>

/** The model names, for messages and `--help`. */
export const modelNames: ReadonlyArray<string> = Object.keys(catalogue)

// -------------------------------------------------------------------------------------
// normalize
// -------------------------------------------------------------------------------------

/** What a net maps from and to where the game names it and the config does not declare it. */
const standardRoles: Readonly<Record<string, { readonly input: Role; readonly output: Role }>> = {
  E: { input: 'data', output: 'latent' },
  G: { input: 'latent', output: 'data' },
  D: { input: 'data', output: 1 },
  C: { input: 'latent', output: 1 },
  J: { input: 'data+latent', output: 1 }
}

const toyAdam = (learningRate = 1e-3): Optimizer => adam(learningRate, 0.5, 0.999)

/** Fills every default; problems (with their paths) that the codec cannot see are returned as lines. */
export const normalize = (e: ExperimentInput, root = '$'): E.Either<ReadonlyArray<string>, Experiment> => {
  const problems: Array<string> = []
  const data = (e.data ?? { kind: 'ring' }) as DataSpec
  const kind = dataKinds[data.kind]
  const dataSpec = Object.assign({ kind: data.kind }, kind.defaults, data) as DataSpec
  const latent = e.latent ?? kind.latent
  const lr = e.train?.learningRate
  if (e.model !== undefined && e.game !== undefined) problems.push(`${root}: give "model" or "game", not both`)
  if (e.model === undefined && e.game === undefined)
    problems.push(`${root}: give "model" (one of ${modelNames.join(', ')}) or "game"`)

  let model: ModelConfig | undefined
  let game: Experiment['game']
  let roles: Record<string, { readonly input: Io; readonly output: Io }> = {}
  if (e.model !== undefined) {
    const given = e.model as ModelConfig
    const entry = models[given.name]
    const optimizer =
      given.optimizer ??
      (lr !== undefined ? { ...(entry.defaults.optimizer as Optimizer), learningRate: lr } : entry.defaults.optimizer)
    model = Object.assign({ name: given.name }, entry.defaults, given, { optimizer }) as ModelConfig
    roles = { ...entry.nets }
    for (const k of Object.keys(e.nets ?? {})) {
      if (!(k in roles))
        problems.push(
          `${root}.nets${key(k)}: model ${given.name} has no net "${k}" (its nets: ${Object.keys(roles).join(', ')})`
        )
    }
  } else if (e.game !== undefined) {
    const players: Array<Player> = e.game.players.map((p) => ({
      name: p.name,
      nets: [...p.nets],
      loss: p.loss,
      every: p.every ?? 1,
      optimizer: p.optimizer ?? toyAdam(lr)
    }))
    game = { players }
    const used = [...new Set(players.flatMap((p) => [...p.nets, ...namesOf(p.loss)]))]
    for (const n of used) if (standardRoles[n] !== undefined) roles[n] = standardRoles[n]
    for (const [k, spec] of Object.entries(e.nets ?? {})) {
      const input = spec.input as Io | undefined
      const output = spec.output as Io | undefined
      const std = standardRoles[k]
      if ((input === undefined || output === undefined) && std === undefined) {
        problems.push(
          `${root}.nets${key(k)}: give its "input" and "output" ("${k}" is not one of ${Object.keys(standardRoles).join(', ')}, which have defaults)`
        )
        continue
      }
      roles[k] = { input: input ?? std.input, output: output ?? std.output }
      if (!used.includes(k)) problems.push(`${root}.nets${key(k)}: declared, but no player of the game uses "${k}"`)
    }
  }
  const nets: Record<string, NetSpec> = {}
  for (const [k, role] of Object.entries(roles)) {
    const declared = e.nets?.[k] as NetSpec | undefined
    nets[k] =
      declared === undefined
        ? kind.defaultNet(k, role.input, role.output)
        : ({
            ...archs[declared.arch].defaults,
            ...declared,
            input: declared.input ?? role.input,
            output: declared.output ?? role.output
          } as NetSpec)
  }

  const steps = e.train?.steps ?? 2000
  const train = {
    steps,
    batch: e.train?.batch ?? 256,
    logEvery: e.train?.logEvery ?? Math.min(100, steps),
    evalEvery: e.train?.evalEvery ?? Math.min(500, steps),
    checkpointEvery: e.train?.checkpointEvery ?? Math.min(500, steps)
  }
  const metrics = e.evaluation?.metrics ?? kind.metrics.defaults
  metrics.forEach((m, i) => {
    if (!kind.metrics.available.includes(m)) {
      problems.push(
        `${root}.evaluation.metrics[${i}]: unknown metric "${m}" for ${data.kind} data (available: ${kind.metrics.available.join(', ')})`
      )
    }
  })
  if (problems.length > 0) return E.left(problems)
  return E.right({
    name: e.name ?? `${model !== undefined ? model.name : 'game'}-${data.kind}`,
    seed: e.seed ?? 1,
    ...(e.backend !== undefined ? { backend: e.backend } : {}),
    data: dataSpec,
    latent,
    ...(model !== undefined ? { model } : {}),
    ...(game !== undefined ? { game } : {}),
    schedule: e.schedule ?? 'alternating',
    nets,
    train,
    evaluation: { samples: e.evaluation?.samples ?? 2500, metrics: [...metrics] }
  })
}

/** Decodes a config exactly (unknown fields are errors) and fills every default; `root` prefixes each path. */
export const decodeExperiment = (input: unknown, root = '$'): E.Either<ReadonlyArray<string>, Experiment> => {
  const r = decode(ExperimentC, input, root)
  if (E.isLeft(r)) return r
  const unknown = unknownFields(ExperimentC, input, root)
  if (unknown.length > 0) return E.left(unknown)
  return normalize(r.right, root)
}

/** The embedded default: α-GAN on the ring of 8 Gaussians. */
export const defaultExperiment: ExperimentInput = {
  name: 'alpha-gan-ring',
  model: 'alphaGan',
  train: { learningRate: 1e-3 }
} as unknown as ExperimentInput
