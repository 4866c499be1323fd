/**
 * Writes the study's configs into examples/study/ (`tsx scripts/study-configs.ts`): the seven models
 * on the ring of 8, the grid of 25 and Stacked MNIST, and the α-GAN ablations as JSON games. The
 * JSON files are committed; this script is how they were made, so that the ablations provably differ
 * from `alphaGanObjective` only in the term they remove or replace.
 *
 * Toy protocol (PacGAN, `synthetic_data_experiments/*​/config.py`): ring radius 1, σ 0.01; grid
 * {−4, −2, 0, 2, 4}², σ 0.05; batch 100; Adam 1e-4, β₁ 0.8; G 4 hidden layers of 400 ReLU; D 3
 * hidden layers of 200 (maxout-5 in PacGAN; leaky ReLU here, maxout is not an architecture we have,
 * and no batch normalisation in G); a 2-D Gaussian prior; 2 500 samples, high quality within 3σ.
 * @since 0.1.0
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { encode, LossC } from '../src/codec/index.ts'
import { apply, data, prior } from '../src/core/Expr.ts'
import type { Expr } from '../src/core/Expr.ts'
import * as L from '../src/core/Loss.ts'

const E = (x: Expr): Expr => apply('E', x)
const G = (z: Expr): Expr => apply('G', z)
const j = (l: L.Loss): unknown => encode(LossC, l)

/** Training steps of the full toy protocol (PacGAN trains 400 epochs; see docs/RESULTS.md for the budget). */
export const toySteps = 10000
/** Stacked MNIST steps (PacGAN: 50 epochs of 128 000 triples at batch 64 = 100 000 steps). */
export const stackedSteps = 20000

const toyAdam = { _tag: 'Adam', learningRate: 1e-4, beta1: 0.8, beta2: 0.999 }
const toyData = {
  ring: { kind: 'ring', modes: 8, radius: 1, sd: 0.01 },
  grid: { kind: 'grid', side: 5, spacing: 2, sd: 0.05 }
} as const
type Toy = keyof typeof toyData

const critic200 = { arch: 'mlp', hidden: [200, 200, 200], activation: 'leakyRelu' }
const generator400 = { arch: 'mlp', hidden: [400, 400, 400, 400], activation: 'relu' }
/** Each net a model binds, PacGAN-sized: G as PacGAN's generator, every critic and encoder as its D. */
const toyNets = (names: ReadonlyArray<string>): Record<string, unknown> =>
  Object.fromEntries(names.map((n) => [n, n === 'G' ? generator400 : critic200]))

const toyTrain = { steps: toySteps, batch: 100, logEvery: 250, evalEvery: 2500, checkpointEvery: 2500 }
const toyEvaluation = { samples: 2500, metrics: ['modes'] }

const modelNets: Record<string, ReadonlyArray<string>> = {
  gan: ['G', 'D'],
  wganGp: ['G', 'D'],
  vae: ['E', 'G'],
  aae: ['E', 'G', 'C'],
  vaeGan: ['E', 'G', 'D'],
  bigan: ['E', 'G', 'J'],
  alphaGan: ['E', 'G', 'D', 'C']
}
const slug: Record<string, string> = {
  gan: 'gan',
  wganGp: 'wgan-gp',
  vae: 'vae',
  aae: 'aae',
  vaeGan: 'vae-gan',
  bigan: 'bigan',
  alphaGan: 'alpha-gan'
}
/** Every model takes the protocol's Adam except WGAN-GP, which keeps its own (Adam 1e-4, β 0, 0.9, 5 critic steps). */
const modelConfig = (m: string): unknown =>
  m === 'wganGp'
    ? { name: m, penalty: 10, critics: 5 }
    : m === 'alphaGan' || m === 'aae'
      ? { name: m, lambda: 1, optimizer: toyAdam }
      : { name: m, optimizer: toyAdam }

const toyModel = (m: string, toy: Toy): Record<string, unknown> => ({
  name: `${slug[m]}-${toy}`,
  data: toyData[toy],
  latent: 2,
  model: modelConfig(m),
  nets: toyNets(modelNets[m]),
  train: toyTrain,
  evaluation: toyEvaluation
})

// -------------------------------------------------------------------------------------
// α-GAN ablations: the model's game with one term removed or replaced
// -------------------------------------------------------------------------------------

interface Variant {
  readonly recon: boolean
  readonly codeCritic: boolean
  readonly samplesToD: boolean
  readonly form: 'densityRatio' | 'nonSaturating'
  readonly lambda: number
}
const full: Variant = { recon: true, codeCritic: true, samplesToD: true, form: 'densityRatio', lambda: 1 }

const adversarial = (v: Variant, x: Expr): L.Loss =>
  v.form === 'densityRatio' ? L.neg(L.densityRatio('D', x)) : L.nonSaturating('D', x)

/** The generator side: `alphaGanObjective(λ)` term by term, each kept or not. */
const objective = (v: Variant): L.Loss =>
  L.sum(
    ...(v.recon ? [L.named('reconstruction', L.scale(v.lambda, L.reconstructionL1(data, G(E(data)))))] : []),
    L.named('ratio(recon)', adversarial(v, G(E(data)))),
    ...(v.samplesToD ? [L.named('ratio(sample)', adversarial(v, G(prior)))] : []),
    ...(v.codeCritic ? [L.named('latent', L.latentKL('C', E(data)))] : [])
  )

const ablation = (name: string, toy: Toy, v: Variant): Record<string, unknown> => {
  const players = [
    { name: 'encoder-generator', nets: ['E', 'G'], loss: j(objective(v)), optimizer: toyAdam },
    {
      name: 'data-critic',
      nets: ['D'],
      loss: j(L.classify('D', { real: data, fake: v.samplesToD ? [G(E(data)), G(prior)] : [G(E(data))] })),
      optimizer: toyAdam
    },
    ...(v.codeCritic
      ? [
          {
            name: 'code-critic',
            nets: ['C'],
            loss: j(L.classify('C', { real: prior, fake: E(data) })),
            optimizer: toyAdam
          }
        ]
      : [])
  ]
  return {
    name: `alpha-gan-${name}-${toy}`,
    data: toyData[toy],
    latent: 2,
    game: { players },
    nets: toyNets(v.codeCritic ? ['E', 'G', 'D', 'C'] : ['E', 'G', 'D']),
    train: toyTrain,
    evaluation: toyEvaluation
  }
}

/** The ablations: name → variant (the full model is `alpha-gan-<toy>.json`, a model config). */
export const ablations: Readonly<Record<string, Variant>> = {
  'no-code-critic': { ...full, codeCritic: false },
  'no-samples-to-d': { ...full, samplesToD: false },
  'no-reconstruction': { ...full, recon: false },
  'lambda-0.1': { ...full, lambda: 0.1 },
  'lambda-10': { ...full, lambda: 10 },
  'non-saturating': { ...full, form: 'nonSaturating' }
}

// -------------------------------------------------------------------------------------
// Stacked MNIST (PacGAN / VEEGAN: DCGAN nets, z = 100, Adam 2e-4 β₁ 0.5, batch 64, 26 000 samples)
// -------------------------------------------------------------------------------------

const stackedModel = (m: string): Record<string, unknown> => ({
  name: `${slug[m]}-stacked-mnist`,
  data: { kind: 'stackedMnist' },
  latent: 100,
  model:
    m === 'wganGp'
      ? { name: m, penalty: 10, critics: 5 }
      : {
          name: m,
          ...(m === 'alphaGan' || m === 'aae' ? { lambda: 1 } : {}),
          optimizer: { _tag: 'Adam', learningRate: 2e-4, beta1: 0.5, beta2: 0.999 }
        },
  train: { steps: stackedSteps, batch: 64, logEvery: 250, evalEvery: 5000, checkpointEvery: 1000 },
  evaluation: {
    samples: 26000,
    metrics: ['stackedModes', 'frechet', ...(modelNets[m].includes('E') ? ['reconstruction'] : [])]
  }
})

// -------------------------------------------------------------------------------------
// write
// -------------------------------------------------------------------------------------

export const compact = (v: unknown, indent = ''): string => {
  const one = JSON.stringify(v)
  if (one.length + indent.length <= 110 || v === null || typeof v !== 'object') return one
  const inner = indent + '  '
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + compact(x, inner)).join(',\n')}\n${indent}]`
  return `{\n${Object.entries(v)
    .map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compact(x, inner)}`)
    .join(',\n')}\n${indent}}`
}

export const studyConfigs = (): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const toy of ['ring', 'grid'] as const) {
    for (const m of Object.keys(modelNets)) out[`${slug[m]}-${toy}`] = toyModel(m, toy)
    for (const [name, v] of Object.entries(ablations)) out[`alpha-gan-${name}-${toy}`] = ablation(name, toy, v)
  }
  for (const m of Object.keys(modelNets)) out[`${slug[m]}-stacked-mnist`] = stackedModel(m)
  return out
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  mkdirSync('examples/study', { recursive: true })
  for (const [k, v] of Object.entries(studyConfigs())) writeFileSync(`examples/study/${k}.json`, compact(v) + '\n')
  console.log(`wrote ${Object.keys(studyConfigs()).length} configs into examples/study/`)
}
