/**
 * Experiment configs: what the CLI trains. Every field but `model` has a default; unknown models,
 * shapes or numbers are reported with their path.
 * @since 0.1.0
 */
import * as t from 'io-ts'

import { Finite } from './index.ts'

interface PositiveIntBrand {
  readonly PositiveInt: unique symbol
}
const PositiveInt = t.brand(t.number, (n): n is t.Branded<number, PositiveIntBrand> => Number.isInteger(n) && n > 0, 'PositiveInt')
interface PositiveBrand {
  readonly Positive: unique symbol
}
const Positive = t.brand(t.number, (n): n is t.Branded<number, PositiveBrand> => Number.isFinite(n) && n > 0, 'Positive')

const MODELS = { alphaGan: null, gan: null, wganGp: null, aae: null, vaeGan: null, vae: null, bigan: null }
export const ModelNameC = t.keyof(MODELS, Object.keys(MODELS).join(' | '))

export const ToyDataC = t.union([
  t.type({ kind: t.literal('ring'), modes: PositiveInt, radius: Positive, sd: Positive }),
  t.type({ kind: t.literal('grid'), side: PositiveInt, spacing: Positive, sd: Positive })
])

export const ExperimentC = t.exact(
  t.intersection([
    t.type({ model: ModelNameC }),
    t.partial({
      name: t.string,
      data: ToyDataC,
      latent: PositiveInt,
      hidden: PositiveInt,
      lambda: Finite,
      steps: PositiveInt,
      batch: PositiveInt,
      seed: t.Int,
      learningRate: Positive,
      logEvery: PositiveInt,
      samples: PositiveInt
    })
  ]),
  'Experiment'
)
export type ExperimentInput = t.TypeOf<typeof ExperimentC>

/** A config with every default filled in. */
export interface Experiment {
  readonly name: string
  readonly model: t.TypeOf<typeof ModelNameC>
  readonly data: t.TypeOf<typeof ToyDataC>
  readonly latent: number
  readonly hidden: number
  readonly lambda: number
  readonly steps: number
  readonly batch: number
  readonly seed: number
  readonly learningRate: number
  readonly logEvery: number
  readonly samples: number
}

export const withDefaults = (e: ExperimentInput): Experiment => ({
  name: e.name ?? `${e.model}-${e.data?.kind ?? 'ring'}`,
  model: e.model,
  data: e.data ?? { kind: 'ring', modes: 8, radius: 2, sd: 0.05 } as t.TypeOf<typeof ToyDataC>,
  latent: e.latent ?? 2,
  hidden: e.hidden ?? 128,
  lambda: e.lambda ?? 1,
  steps: e.steps ?? 2000,
  batch: e.batch ?? 256,
  seed: e.seed ?? 1,
  learningRate: e.learningRate ?? 1e-3,
  logEvery: e.logEvery ?? 250,
  samples: e.samples ?? 2500
})

/** The embedded default: α-GAN on the ring of 8 Gaussians. */
export const defaultExperiment: ExperimentInput = { model: 'alphaGan', name: 'alpha-gan-ring' } as ExperimentInput
