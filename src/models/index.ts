/**
 * The models of docs/ARCHITECTURE.md §6, each a composition of the same terms: a function from net signatures and
 * hyper-parameters to a `Game`. Nets: E encoder, G generator, D data critic, C code critic, J joint critic.
 * `catalogue` describes each model for configs: its hyper-parameters (codec and defaults, its own
 * optimiser included) and the nets it needs with what they map from and to.
 * @since 0.1.0
 */
import * as t from 'io-ts'

import { Finite, OptimizerC } from '../codec/index.ts'
import { apply, chunk, data, gaussian, pair, prior } from '../core/Expr.ts'
import type { Expr } from '../core/Expr.ts'
import type { Game, Optimizer, Shape, Signature } from '../core/Game.ts'
import { adam, player } from '../core/Game.ts'
import type { Loss } from '../core/Loss.ts'
import {
  classify,
  densityRatio,
  gaussianKL,
  gradientPenalty,
  latentKL,
  named,
  neg,
  nonSaturating,
  reconstructionL1,
  reconstructionL2,
  scale,
  sum,
  wassersteinGenerator
} from '../core/Loss.ts'

export interface ModelSpec {
  readonly data: Shape
  readonly prior: Shape
  readonly nets: Readonly<Record<string, Signature>>
  readonly optimizer?: Optimizer
}

const E = (x: Expr): Expr => apply('E', x)
const G = (z: Expr): Expr => apply('G', z)

/** ẑ ~ q(z|x) = N(μ(x), σ²(x)) from an encoder with 2·|z| outputs. */
export const posterior: Expr = gaussian(chunk(E(data), 0, 2), chunk(E(data), 1, 2))
const gaussianPosteriorKL: Loss = gaussianKL(chunk(E(data), 0, 2), chunk(E(data), 1, 2))

const make = (spec: ModelSpec, players: Game['players']): Game => ({
  data: spec.data,
  prior: spec.prior,
  nets: spec.nets,
  players
})

/** The α-GAN generator-side objective: λ·‖x − G(E(x))‖₁ − log-ratio on reconstructions and samples + KL_C. */
export const alphaGanObjective = (lambda = 1): Loss =>
  sum(
    named('reconstruction', scale(lambda, reconstructionL1(data, G(E(data))))),
    named('ratio(recon)', neg(densityRatio('D', G(E(data))))),
    named('ratio(sample)', neg(densityRatio('D', G(prior)))),
    named('latent', latentKL('C', E(data)))
  )

/**
 * α-GAN (Rosca et al. 2017), with the erratum applied: C calls prior codes real.
 * E and G share one optimiser, then D, then C.
 */
export const alphaGan = (spec: ModelSpec, o: { readonly lambda?: number } = {}): Game =>
  make(spec, [
    player('encoder-generator', ['E', 'G'], alphaGanObjective(o.lambda ?? 1), { optimizer: spec.optimizer }),
    player('data-critic', ['D'], classify('D', { real: data, fake: [G(E(data)), G(prior)] }), {
      optimizer: spec.optimizer
    }),
    player('code-critic', ['C'], classify('C', { real: prior, fake: E(data) }), { optimizer: spec.optimizer })
  ])

/** VAE: Gaussian encoder with 2·|z| outputs, summed squared error + closed-form KL. */
export const vae = (spec: ModelSpec): Game =>
  make(spec, [
    player(
      'encoder-generator',
      ['E', 'G'],
      sum(named('reconstruction', reconstructionL2(data, G(posterior), 'sum')), named('kl', gaussianPosteriorKL)),
      { optimizer: spec.optimizer }
    )
  ])

/** GAN (DCGAN): non-saturating generator, BCE critic; the critic steps first. */
export const gan = (spec: ModelSpec): Game =>
  make(spec, [
    player('critic', ['D'], classify('D', { real: data, fake: G(prior) }), { optimizer: spec.optimizer }),
    player('generator', ['G'], nonSaturating('D', G(prior)), { optimizer: spec.optimizer })
  ])

/** WGAN-GP: Wasserstein critic with gradient penalty 10, five critic steps per generator step. */
export const wganGp = (spec: ModelSpec, o: { readonly penalty?: number; readonly critics?: number } = {}): Game =>
  make(spec, [
    player(
      'critic',
      ['D'],
      sum(
        named('wasserstein', classify('D', { real: data, fake: G(prior) }, 'wasserstein')),
        named('penalty', scale(o.penalty ?? 10, gradientPenalty('D', data, G(prior))))
      ),
      { optimizer: spec.optimizer ?? adam(1e-4, 0, 0.9) }
    ),
    player('generator', ['G'], wassersteinGenerator('D', G(prior)), {
      every: o.critics ?? 5,
      optimizer: spec.optimizer ?? adam(1e-4, 0, 0.9)
    })
  ])

/** AAE: L1 reconstruction and a code critic (the encoder fools C). */
export const aae = (spec: ModelSpec, o: { readonly lambda?: number } = {}): Game =>
  make(spec, [
    player(
      'encoder-generator',
      ['E', 'G'],
      sum(
        named('reconstruction', scale(o.lambda ?? 1, reconstructionL1(data, G(E(data))))),
        named('latent', latentKL('C', E(data)))
      ),
      { optimizer: spec.optimizer }
    ),
    player('code-critic', ['C'], classify('C', { real: prior, fake: E(data) }), { optimizer: spec.optimizer })
  ])

/** VAE-GAN: closed-form KL + L1 reconstruction + non-saturating terms on reconstructions and samples. */
export const vaeGan = (spec: ModelSpec): Game =>
  make(spec, [
    player('data-critic', ['D'], classify('D', { real: data, fake: [G(posterior), G(prior)] }), {
      optimizer: spec.optimizer
    }),
    player(
      'encoder-generator',
      ['E', 'G'],
      sum(
        named('kl', gaussianPosteriorKL),
        named('reconstruction', reconstructionL1(data, G(posterior))),
        named('gan(recon)', nonSaturating('D', G(posterior))),
        named('gan(sample)', nonSaturating('D', G(prior)))
      ),
      { optimizer: spec.optimizer }
    )
  ])

/** BiGAN / ALI: a joint critic J on (x, E(x)) against (G(z), z); E and G fool it with flipped labels. */
export const bigan = (spec: ModelSpec): Game => {
  const real = pair(data, E(data))
  const fake = pair(G(prior), prior)
  return make(spec, [
    player('joint-critic', ['J'], classify('J', { real, fake }), { optimizer: spec.optimizer }),
    player('encoder-generator', ['E', 'G'], classify('J', { real: fake, fake: real }), { optimizer: spec.optimizer })
  ])
}

export const models = { alphaGan, vae, gan, wganGp, aae, vaeGan, bigan } as const
export type ModelName = keyof typeof models

// -------------------------------------------------------------------------------------
// catalogue
// -------------------------------------------------------------------------------------

/** What a net maps from or to, relative to the data and the prior: `2latent` is a mean and a log-variance. */
export type Role = 'data' | 'latent' | '2latent' | 'data+latent' | number

/** A model as configs see it: hyper-parameters with defaults, the nets it binds, and the game. */
export interface ModelEntry<P> {
  readonly description: string
  /** The hyper-parameters a config may set (all optional), the optimiser among them. */
  readonly params: t.Props
  readonly defaults: P
  /** Each net the model refers to: what it maps from and to. */
  readonly nets: Readonly<Record<string, { readonly input: Role; readonly output: Role }>>
  build(spec: ModelSpec, params: P): Game
}

interface PositiveIntBrand {
  readonly PositiveInt: unique symbol
}
const PositiveInt = t.brand(
  t.number,
  (n): n is t.Branded<number, PositiveIntBrand> => Number.isInteger(n) && n > 0,
  'PositiveInt'
)

const optimizerOnly = { optimizer: OptimizerC }
/** The toy runs' default: Adam 1e-3, β₁ 0.5. */
const toyAdam = adam(1e-3, 0.5, 0.999)
const encoder = { input: 'data', output: 'latent' } as const
const gaussianEncoder = { input: 'data', output: '2latent' } as const
const generator = { input: 'latent', output: 'data' } as const
const dataCritic = { input: 'data', output: 1 } as const
const codeCritic = { input: 'latent', output: 1 } as const

const entry = <P>(e: ModelEntry<P>): ModelEntry<P> => e

/** Every model, keyed by the name a config uses. */
export const catalogue = {
  alphaGan: entry<{ lambda: number; optimizer: Optimizer }>({
    description: 'α-GAN: L1 reconstruction, data critic D on reconstructions and samples, code critic C',
    params: { lambda: Finite, ...optimizerOnly },
    defaults: { lambda: 1, optimizer: toyAdam },
    nets: { E: encoder, G: generator, D: dataCritic, C: codeCritic },
    build: (spec, p) => alphaGan({ ...spec, optimizer: p.optimizer }, p)
  }),
  gan: entry<{ optimizer: Optimizer }>({
    description: 'GAN (DCGAN): BCE critic D, non-saturating generator G',
    params: optimizerOnly,
    defaults: { optimizer: toyAdam },
    nets: { G: generator, D: dataCritic },
    build: (spec, p) => gan({ ...spec, optimizer: p.optimizer })
  }),
  wganGp: entry<{ penalty: number; critics: number; optimizer: Optimizer }>({
    description: 'WGAN-GP: Wasserstein critic with a gradient penalty, several critic steps per generator step',
    params: { penalty: Finite, critics: PositiveInt, ...optimizerOnly },
    defaults: { penalty: 10, critics: 5, optimizer: adam(1e-4, 0, 0.9) },
    nets: { G: generator, D: dataCritic },
    build: (spec, p) => wganGp({ ...spec, optimizer: p.optimizer }, p)
  }),
  aae: entry<{ lambda: number; optimizer: Optimizer }>({
    description: 'AAE: L1 reconstruction and a code critic C',
    params: { lambda: Finite, ...optimizerOnly },
    defaults: { lambda: 1, optimizer: toyAdam },
    nets: { E: encoder, G: generator, C: codeCritic },
    build: (spec, p) => aae({ ...spec, optimizer: p.optimizer }, p)
  }),
  vaeGan: entry<{ optimizer: Optimizer }>({
    description: 'VAE-GAN: Gaussian encoder, closed-form KL, L1 reconstruction, non-saturating GAN terms',
    params: optimizerOnly,
    defaults: { optimizer: toyAdam },
    nets: { E: gaussianEncoder, G: generator, D: dataCritic },
    build: (spec, p) => vaeGan({ ...spec, optimizer: p.optimizer })
  }),
  vae: entry<{ optimizer: Optimizer }>({
    description: 'VAE: Gaussian encoder, summed squared error and closed-form KL',
    params: optimizerOnly,
    defaults: { optimizer: toyAdam },
    nets: { E: gaussianEncoder, G: generator },
    build: (spec, p) => vae({ ...spec, optimizer: p.optimizer })
  }),
  bigan: entry<{ optimizer: Optimizer }>({
    description: 'BiGAN / ALI: joint critic J on (x, E(x)) against (G(z), z)',
    params: optimizerOnly,
    defaults: { optimizer: toyAdam },
    nets: { E: encoder, G: generator, J: { input: 'data+latent', output: 1 } },
    build: (spec, p) => bigan({ ...spec, optimizer: p.optimizer })
  })
} as const satisfies Readonly<Record<ModelName, AnyModel>>

/** A model entry with its parameters erased. */
export type AnyModel = ModelEntry<Readonly<Record<string, unknown>>>
