/**
 * Generators for the reference world (laws/reference-nets.ts): well-typed expressions in data space
 * [3], code space [2] and pair space [5]; every leaf constructor and variant as its own case; every
 * combinator; schedules of every kind; worlds of random small nets.
 */
import * as fc from 'fast-check'

import type { Expr } from '../src/core/Expr.ts'
import { apply, chunk, data, gaussian, pair, prior, stop } from '../src/core/Expr.ts'
import type { Loss, Reduction, Variant } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import type { Schedule } from '../src/core/Schedule.ts'
import { constant, linear, piecewise } from '../src/core/Schedule.ts'
import type { Architecture, WorldSpec } from './reference-nets.ts'
import { NET_NAMES } from './reference-nets.ts'

// -------------------------------------------------------------------------------------
// worlds
// -------------------------------------------------------------------------------------

export const architecture: fc.Arbitrary<Architecture> = fc.constantFrom('affine', 'tanh', 'leakyRelu')

/** The last step a generated world is at: schedules' breakpoints fall within it. */
export const MAX_STEP = 12

export const worldSpec = (batch = 3): fc.Arbitrary<WorldSpec> =>
  fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 2 }),
    batch: fc.constant(batch),
    step: fc.integer({ min: 0, max: MAX_STEP }),
    architectures: fc.record(
      Object.fromEntries(NET_NAMES.map((n) => [n, architecture])) as Record<string, fc.Arbitrary<Architecture>>
    )
  })

// -------------------------------------------------------------------------------------
// expressions
// -------------------------------------------------------------------------------------

const maybeStop = (e: Expr): fc.Arbitrary<Expr> => fc.constantFrom(e, stop(e))

/** Expressions in data space [3] (`x`) and code space [2] (`z`), to a bounded depth. */
const spaces = (depth: number) =>
  fc.letrec<{ x: Expr; z: Expr }>((tie) => ({
    x: fc.oneof(
      { maxDepth: depth, depthIdentifier: 'expr' },
      fc.constant(data),
      tie('z').map((z) => apply('G', z)),
      tie('x').map(stop)
    ),
    z: fc.oneof(
      { maxDepth: depth, depthIdentifier: 'expr' },
      fc.constant(prior),
      tie('x').map((x) => apply('E', x)),
      // a reparameterised draw from V's mean and log-variance, either half possibly stopped
      tie('x')
        .chain((x) => fc.tuple(maybeStop(chunk(apply('V', x), 0, 2)), maybeStop(chunk(apply('V', x), 1, 2))))
        .map(([m, v]) => gaussian(m, v)),
      fc.tuple(tie('x'), fc.constantFrom(0, 1)).map(([x, i]) => chunk(apply('V', x), i, 2)),
      tie('z').map(stop)
    )
  }))

export const dataExpr = (depth = 2): fc.Arbitrary<Expr> => spaces(depth).x
export const codeExpr = (depth = 2): fc.Arbitrary<Expr> => spaces(depth).z
/** (x, z) for the joint critic J. */
export const pairExpr = (depth = 1): fc.Arbitrary<Expr> =>
  fc.tuple(dataExpr(depth), codeExpr(depth)).map(([x, z]) => pair(x, z))

/** A critic with samples of its own space: D on x, C on z, J on (x, z). */
const criticWith = (sets: number): fc.Arbitrary<{ critic: string; samples: Array<Expr> }> =>
  fc.oneof(
    fc.array(dataExpr(), { minLength: sets, maxLength: sets }).map((samples) => ({ critic: 'D', samples })),
    fc.array(codeExpr(), { minLength: sets, maxLength: sets }).map((samples) => ({ critic: 'C', samples })),
    fc.array(pairExpr(), { minLength: sets, maxLength: sets }).map((samples) => ({ critic: 'J', samples }))
  )

// -------------------------------------------------------------------------------------
// terms
// -------------------------------------------------------------------------------------

const reconstruction = (norm: 'l1' | 'l2' | 'bernoulli', r: Reduction): fc.Arbitrary<Loss> => {
  const make = { l1: L.reconstructionL1, l2: L.reconstructionL2, bernoulli: L.bernoulliNLL }[norm]
  return fc.oneof(
    fc.tuple(dataExpr(), dataExpr()).map(([t, o]) => make(t, o, r)),
    fc.tuple(codeExpr(), codeExpr()).map(([t, o]) => make(t, o, r))
  )
}

const classify = (variant: Variant, fakes: 'one' | 'several'): fc.Arbitrary<Loss> =>
  (fakes === 'one' ? fc.constant(2) : fc.integer({ min: 3, max: 4 }))
    .chain(criticWith)
    .map(({ critic, samples }) =>
      L.classify(critic, { real: samples[0], fake: fakes === 'one' ? samples[1] : samples.slice(1) }, variant)
    )

/** The generator-side WGAN loss −E[a(sample)], built as data (the constructor's name may change). */
const criticLoss = (critic: string, sample: Expr): Loss => ({ _tag: 'Critic', critic, sample })

/** Every leaf constructor, each variant and reduction its own case. */
export const leafCases: Readonly<Record<string, fc.Arbitrary<Loss>>> = {
  'reconstruction l1, mean': reconstruction('l1', 'mean'),
  'reconstruction l1, sum': reconstruction('l1', 'sum'),
  'reconstruction l2, mean': reconstruction('l2', 'mean'),
  'reconstruction l2, sum': reconstruction('l2', 'sum'),
  'reconstruction bernoulli, mean': reconstruction('bernoulli', 'mean'),
  'reconstruction bernoulli, sum': reconstruction('bernoulli', 'sum'),
  densityRatio: criticWith(1).map(({ critic, samples }) => L.densityRatio(critic, samples[0])),
  latentKL: fc.oneof(criticWith(1).map(({ critic, samples }) => L.latentKL(critic, samples[0]))),
  gaussianKL: fc.oneof(
    dataExpr(1)
      .chain((x) => fc.tuple(maybeStop(chunk(apply('V', x), 0, 2)), maybeStop(chunk(apply('V', x), 1, 2))))
      .map(([m, v]) => L.gaussianKL(m, v)),
    fc.tuple(codeExpr(), codeExpr()).map(([m, v]) => L.gaussianKL(m, v))
  ),
  'classify bce, one fake set': classify('bce', 'one'),
  'classify bce, several fake sets': classify('bce', 'several'),
  'classify hinge, one fake set': classify('hinge', 'one'),
  'classify hinge, several fake sets': classify('hinge', 'several'),
  'classify leastSquares, one fake set': classify('leastSquares', 'one'),
  'classify leastSquares, several fake sets': classify('leastSquares', 'several'),
  'classify wasserstein, one fake set': classify('wasserstein', 'one'),
  'classify wasserstein, several fake sets': classify('wasserstein', 'several'),
  nonSaturating: criticWith(1).map(({ critic, samples }) => L.nonSaturating(critic, samples[0])),
  minimax: criticWith(1).map(({ critic, samples }) => L.minimax(critic, samples[0])),
  critic: criticWith(1).map(({ critic, samples }) => criticLoss(critic, samples[0])),
  gradientPenalty: criticWith(2).map(({ critic, samples }) => L.gradientPenalty(critic, samples[0], samples[1])),
  r1: criticWith(1).map(({ critic, samples }) => L.r1(critic, samples[0]))
}

/** Any leaf (penalties, which differentiate twice, optional). */
export const anyLeaf = (penalties = true): fc.Arbitrary<Loss> =>
  fc.oneof(
    ...Object.entries(leafCases)
      .filter(([k]) => penalties || (k !== 'gradientPenalty' && k !== 'r1'))
      .map(([, a]) => a)
  )

/** A weight in [−2, 2]. */
export const weight: fc.Arbitrary<number> = fc
  .double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true })
  .map((w) => w + 0)

/** Schedules of each kind, with breakpoints within the generated steps. */
export const scheduleCases: Readonly<Record<Schedule['_tag'], fc.Arbitrary<Schedule>>> = {
  Constant: weight.map(constant),
  Piecewise: fc.uniqueArray(fc.integer({ min: 1, max: MAX_STEP }), { minLength: 1, maxLength: 3 }).chain((bs) => {
    const boundaries = [...bs].sort((a, b) => a - b)
    return fc
      .array(weight, { minLength: boundaries.length + 1, maxLength: boundaries.length + 1 })
      .map((vs) => piecewise(boundaries, vs))
  }),
  Linear: fc
    .tuple(weight, weight, fc.integer({ min: 0, max: MAX_STEP - 2 }), fc.integer({ min: 1, max: 6 }))
    .map(([a, b, s, d]) => linear(a, b, s, s + d))
}
export const schedule: fc.Arbitrary<Schedule> = fc.oneof(...Object.values(scheduleCases))

const LABELS = ['a', 'b', 'recon'] as const

/** Each combinator around random leaves (no penalties: cheaper, and they have their own cases). */
export const combinatorCases = (
  leaf: fc.Arbitrary<Loss> = anyLeaf(false)
): Readonly<Record<string, fc.Arbitrary<Loss>>> => ({
  zero: fc.constant(L.zero),
  scale: fc.tuple(weight, leaf).map(([k, t]) => L.scale(k, t)),
  sum: fc.array(leaf, { minLength: 0, maxLength: 3 }).map((ts) => L.sum(...ts)),
  named: fc.tuple(fc.constantFrom(...LABELS), leaf).map(([l, t]) => L.named(l, t)),
  'named twice with one label': fc
    .tuple(leaf, leaf, weight)
    .map(([a, b, k]) => L.add(L.named('a', a), L.scale(k, L.named('a', b)))),
  'weighted, constant': fc.tuple(scheduleCases.Constant, leaf).map(([s, t]) => L.weighted(s, t)),
  'weighted, piecewise': fc.tuple(scheduleCases.Piecewise, leaf).map(([s, t]) => L.weighted(s, t)),
  'weighted, linear': fc.tuple(scheduleCases.Linear, leaf).map(([s, t]) => L.weighted(s, t))
})

/** Terms built from `leaf` with every combinator, to a bounded depth. */
export const term = (leaf: fc.Arbitrary<Loss> = anyLeaf(), maxDepth = 2): fc.Arbitrary<Loss> =>
  fc.letrec<{ t: Loss }>((tie) => ({
    t: fc.oneof(
      { maxDepth, depthIdentifier: 'loss' },
      leaf,
      fc.constant(L.zero),
      fc.array(tie('t'), { minLength: 0, maxLength: 3 }).map((ts) => L.sum(...ts)),
      fc.tuple(weight, tie('t')).map(([k, t]) => L.scale(k, t)),
      fc.tuple(fc.constantFrom(...LABELS), tie('t')).map(([l, t]) => L.named(l, t)),
      fc.tuple(schedule, tie('t')).map(([s, t]) => L.weighted(s, t))
    )
  })).t
