/**
 * Codecs of expressions, schedules and loss terms, each a union built from a per-tag record: a new
 * tag in the algebra is a type error here until it has a codec. Tags with a rule (a chunk names a
 * part, a schedule's boundaries increase, a classifier has a fake set, a label is not empty) decode
 * through core's smart constructors, which hold the rule.
 * @since 0.1.0
 */
import * as t from 'io-ts'

import type { Expr } from '../core/Expr.ts'
import * as X from '../core/Expr.ts'
import type { Loss } from '../core/Loss.ts'
import * as L from '../core/Loss.ts'
import type { Schedule } from '../core/Schedule.ts'
import * as S from '../core/Schedule.ts'
import type { TaggedCodecs } from './primitives.ts'
import { built, Finite, Int, tagged } from './primitives.ts'

const tag = <T extends string>(name: T) => t.literal(name)

// -------------------------------------------------------------------------------------
// expressions
// -------------------------------------------------------------------------------------

export const ExprC: t.Type<Expr> = t.recursion<Expr>('Expr', () => tagged<Expr>(exprCodecs))

/** @category codecs */
export const exprCodecs: TaggedCodecs<Expr> = {
  Data: t.type({ _tag: tag('Data') }),
  Prior: t.type({ _tag: tag('Prior') }),
  Apply: t.type({ _tag: tag('Apply'), net: t.string, input: ExprC }),
  Gaussian: t.type({ _tag: tag('Gaussian'), mean: ExprC, logVar: ExprC }),
  Pair: t.type({ _tag: tag('Pair'), x: ExprC, z: ExprC }),
  Stop: t.type({ _tag: tag('Stop'), expr: ExprC }),
  Chunk: built({ _tag: tag('Chunk'), expr: ExprC, index: Int, count: Int }, (c) => X.chunk(c.expr, c.index, c.count))
}

// -------------------------------------------------------------------------------------
// schedules
// -------------------------------------------------------------------------------------

/** @category codecs */
export const scheduleCodecs: TaggedCodecs<Schedule> = {
  Constant: t.type({ _tag: tag('Constant'), value: Finite }),
  Piecewise: built(
    { _tag: tag('Piecewise'), boundaries: t.readonlyArray(Finite), values: t.readonlyArray(Finite) },
    (s) => S.piecewise(s.boundaries, s.values)
  ),
  Linear: built({ _tag: tag('Linear'), from: Finite, to: Finite, start: Finite, end: Finite }, (s) =>
    S.linear(s.from, s.to, s.start, s.end)
  )
}

export const ScheduleC: t.Type<Schedule> = tagged<Schedule>(scheduleCodecs)

// -------------------------------------------------------------------------------------
// terms
// -------------------------------------------------------------------------------------

const Variant = t.keyof({ bce: null, hinge: null, leastSquares: null, wasserstein: null }, 'Variant')
const Reduction = t.keyof({ mean: null, sum: null }, 'Reduction')

export const LossC: t.Type<Loss> = t.recursion<Loss>('Loss', () => tagged<Loss>(lossCodecs))

/** @category codecs */
export const lossCodecs: TaggedCodecs<Loss> = {
  Zero: t.type({ _tag: tag('Zero') }),
  Reconstruction: t.type({
    _tag: tag('Reconstruction'),
    norm: t.keyof({ l1: null, l2: null, bernoulli: null }),
    reduction: Reduction,
    target: ExprC,
    output: ExprC
  }),
  DensityRatio: t.type({ _tag: tag('DensityRatio'), critic: t.string, sample: ExprC }),
  LatentKL: t.type({ _tag: tag('LatentKL'), critic: t.string, code: ExprC }),
  GaussianKL: t.type({ _tag: tag('GaussianKL'), mean: ExprC, logVar: ExprC }),
  Classify: built(
    { _tag: tag('Classify'), critic: t.string, real: ExprC, fake: t.readonlyArray(ExprC), variant: Variant },
    (c) => L.classify(c.critic, { real: c.real, fake: c.fake }, c.variant)
  ),
  NonSaturating: t.type({ _tag: tag('NonSaturating'), critic: t.string, sample: ExprC }),
  Minimax: t.type({ _tag: tag('Minimax'), critic: t.string, sample: ExprC }),
  Critic: t.type({ _tag: tag('Critic'), critic: t.string, sample: ExprC }),
  GradientPenalty: t.type({ _tag: tag('GradientPenalty'), critic: t.string, real: ExprC, fake: ExprC }),
  R1: t.type({ _tag: tag('R1'), critic: t.string, real: ExprC }),
  Sum: t.type({ _tag: tag('Sum'), terms: t.readonlyArray(LossC) }),
  Scale: t.type({ _tag: tag('Scale'), k: Finite, term: LossC }),
  Named: built({ _tag: tag('Named'), label: t.string, term: LossC }, (n) => L.named(n.label, n.term)),
  Weighted: t.type({ _tag: tag('Weighted'), schedule: ScheduleC, term: LossC })
}
