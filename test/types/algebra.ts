/**
 * Type tests, checked by `tsc --noEmit` (the project's `typecheck`): each `@ts-expect-error` line
 * must fail to compile, or the build fails. They show that the per-tag records fix every case and
 * every field, and that the data-last combinators are typed.
 */
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'

import type { TaggedCodecs } from '../../src/codec/index.ts'
import { ExprC, GameC, LossC, lossCodecs, ScheduleC } from '../../src/codec/index.ts'
import type { Expr } from '../../src/core/Expr.ts'
import { apply, data, prior } from '../../src/core/Expr.ts'
import type { Game } from '../../src/core/Game.ts'
import type { Leaf, LeafMatch, Loss, LossMatch, R1 } from '../../src/core/Loss.ts'
import * as L from '../../src/core/Loss.ts'
import type { Schedule } from '../../src/core/Schedule.ts'
import { constant } from '../../src/core/Schedule.ts'

/** `true` exactly when `A` and `B` are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <_T extends true>(): void => undefined

// -------------------------------------------------------------------------------------
// codecs decode to, and encode from, exactly the algebra's types
// -------------------------------------------------------------------------------------

assertType<Equals<t.TypeOf<typeof LossC>, Loss>>()
assertType<Equals<t.OutputOf<typeof LossC>, Loss>>()
assertType<Equals<t.TypeOf<typeof ExprC>, Expr>>()
assertType<Equals<t.TypeOf<typeof ScheduleC>, Schedule>>()
assertType<Equals<t.TypeOf<typeof GameC>, Game>>()
assertType<Equals<t.TypeOf<(typeof lossCodecs)['R1']>, R1>>()

const expr = ExprC

/** The codec of `R1` as written in `src/codec/term.ts`. */
export const r1: TaggedCodecs<Loss>['R1'] = t.type({ _tag: t.literal('R1'), critic: t.string, real: expr })
// @ts-expect-error a codec that lacks a field of its member is refused
export const r1Short: TaggedCodecs<Loss>['R1'] = t.type({ _tag: t.literal('R1'), critic: t.string })
// @ts-expect-error a codec with a field its member does not have is refused
export const r1Long: TaggedCodecs<Loss>['R1'] = t.type({
  _tag: t.literal('R1'),
  critic: t.string,
  real: expr,
  k: t.number
})
// @ts-expect-error a codec whose field has another type is refused
export const r1Wrong: TaggedCodecs<Loss>['R1'] = t.type({ _tag: t.literal('R1'), critic: t.number, real: expr })
// @ts-expect-error a codec under another member's tag is refused
export const r1Other: TaggedCodecs<Loss>['R1'] = t.type({
  _tag: t.literal('DensityRatio'),
  critic: t.string,
  sample: expr
})

// -------------------------------------------------------------------------------------
// interpreters have one case per tag
// -------------------------------------------------------------------------------------

const leafCases: LeafMatch<number> = {
  Reconstruction: () => 0,
  DensityRatio: () => 1,
  LatentKL: () => 2,
  GaussianKL: () => 3,
  Classify: () => 4,
  NonSaturating: () => 5,
  Minimax: () => 6,
  Critic: () => 7,
  GradientPenalty: () => 8,
  R1: () => 9
}
export const byTag: (l: Leaf) => number = L.matchLeaf(leafCases)
// @ts-expect-error an interpreter without a case for R1 is refused
export const withoutR1: LeafMatch<number> = { ...leafCases, R1: undefined }
// @ts-expect-error an interpreter of every term needs the combinators too
export const leavesOnly: LossMatch<number> = leafCases
// @ts-expect-error a fold over the combinators needs every combinator
export const noWeighted = L.matchCombinator<number>(() => 0, {
  Zero: () => 0,
  Sum: () => 1,
  Scale: () => 2,
  Named: () => 3
})

// -------------------------------------------------------------------------------------
// combinators: data-first and data-last
// -------------------------------------------------------------------------------------

const a: Loss = L.densityRatio('D', apply('G', prior))
const b: Loss = L.reconstructionL1(data, apply('G', apply('E', data)))

export const piped: Loss = pipe(a, L.add(b), L.scale(2), L.named('total'), L.weighted(constant(1)))
export const direct: Loss = L.weighted(constant(1), L.named('total', L.scale(2, L.add(a, b))))
// @ts-expect-error the label comes first
export const swapped = L.named(a, 'total')
// @ts-expect-error add takes terms
export const addNumber = L.add(a, 2)
