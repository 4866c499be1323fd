/**
 * io-ts codecs for expressions, terms, schedules and games: objectives saved as JSON and read back,
 * with errors that name the path into the document.
 *
 * Law: `decode(encode(t)) ≡ t` (structurally) for every term and game.
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'

import type { Expr } from '../core/Expr.ts'
import type { Game, Optimizer, Player, Signature } from '../core/Game.ts'
import type { Loss } from '../core/Loss.ts'
import type { Schedule } from '../core/Schedule.ts'

// -------------------------------------------------------------------------------------
// primitives
// -------------------------------------------------------------------------------------

interface FiniteBrand {
  readonly Finite: unique symbol
}
/** A finite number (JSON has no NaN or Infinity, and a loss weight must be finite). */
export const Finite = t.brand(t.number, (n): n is t.Branded<number, FiniteBrand> => Number.isFinite(n), 'Finite')

interface DimBrand {
  readonly Dim: unique symbol
}
const Dim = t.brand(t.number, (n): n is t.Branded<number, DimBrand> => Number.isInteger(n) && n > 0, 'Dim')
export const ShapeC = t.readonlyArray(Dim, 'Shape')

const tag = <T extends string>(name: T) => t.literal(name)

// -------------------------------------------------------------------------------------
// expressions
// -------------------------------------------------------------------------------------

export const ExprC: t.Type<Expr> = t.recursion<Expr>('Expr', () =>
  (t.union([
    t.type({ _tag: tag('Data') }),
    t.type({ _tag: tag('Prior') }),
    t.type({ _tag: tag('Apply'), net: t.string, input: ExprC }),
    t.type({ _tag: tag('Gaussian'), mean: ExprC, logVar: ExprC }),
    t.type({ _tag: tag('Pair'), x: ExprC, z: ExprC }),
    t.type({ _tag: tag('Stop'), expr: ExprC }),
    t.refinement(
      t.type({ _tag: tag('Chunk'), expr: ExprC, index: t.Int, count: t.Int }),
      (c) => c.count >= 1 && c.index >= 0 && c.index < c.count,
      'Chunk(0 ≤ index < count)'
    )
  ]) as unknown as t.Type<Expr>)
)

// -------------------------------------------------------------------------------------
// schedules
// -------------------------------------------------------------------------------------

export const ScheduleC: t.Type<Schedule> = t.union([
  t.type({ _tag: tag('Constant'), value: Finite }),
  t.refinement(
    t.type({ _tag: tag('Piecewise'), boundaries: t.readonlyArray(Finite), values: t.readonlyArray(Finite) }),
    (s) => s.values.length === s.boundaries.length + 1 && s.boundaries.every((b, i) => i === 0 || b > s.boundaries[i - 1]),
    'Piecewise(increasing boundaries, one more value than boundaries)'
  ),
  t.refinement(
    t.type({ _tag: tag('Linear'), from: Finite, to: Finite, start: Finite, end: Finite }),
    (s) => s.end > s.start,
    'Linear(end > start)'
  )
]) as unknown as t.Type<Schedule>

// -------------------------------------------------------------------------------------
// terms
// -------------------------------------------------------------------------------------

const Variant = t.keyof({ bce: null, hinge: null, leastSquares: null, wasserstein: null }, 'Variant')
const Reduction = t.keyof({ mean: null, sum: null }, 'Reduction')

export const LossC: t.Type<Loss> = t.recursion<Loss>('Loss', () =>
  (t.union([
    t.type({ _tag: tag('Zero') }),
    t.type({
      _tag: tag('Reconstruction'),
      norm: t.keyof({ l1: null, l2: null, bernoulli: null }),
      reduction: Reduction,
      target: ExprC,
      output: ExprC
    }),
    t.type({ _tag: tag('DensityRatio'), critic: t.string, sample: ExprC }),
    t.type({ _tag: tag('LatentKL'), critic: t.string, code: ExprC }),
    t.type({ _tag: tag('GaussianKL'), mean: ExprC, logVar: ExprC }),
    t.type({ _tag: tag('Classify'), critic: t.string, real: ExprC, fake: t.readonlyArray(ExprC), variant: Variant }),
    t.type({ _tag: tag('NonSaturating'), critic: t.string, sample: ExprC }),
    t.type({ _tag: tag('Minimax'), critic: t.string, sample: ExprC }),
    t.type({ _tag: tag('Critic'), critic: t.string, sample: ExprC }),
    t.type({ _tag: tag('GradientPenalty'), critic: t.string, real: ExprC, fake: ExprC }),
    t.type({ _tag: tag('R1'), critic: t.string, real: ExprC }),
    t.type({ _tag: tag('Sum'), terms: t.readonlyArray(LossC) }),
    t.type({ _tag: tag('Scale'), k: Finite, term: LossC }),
    t.type({ _tag: tag('Named'), label: t.string, term: LossC }),
    t.type({ _tag: tag('Weighted'), schedule: ScheduleC, term: LossC })
  ]) as unknown as t.Type<Loss>)
)

// -------------------------------------------------------------------------------------
// games
// -------------------------------------------------------------------------------------

export const OptimizerC: t.Type<Optimizer> = t.union([
  t.type({ _tag: tag('Adam'), learningRate: Finite, beta1: Finite, beta2: Finite }),
  t.type({ _tag: tag('Sgd'), learningRate: Finite })
]) as unknown as t.Type<Optimizer>

export const SignatureC: t.Type<Signature> = t.type({ input: ShapeC, output: ShapeC }) as unknown as t.Type<Signature>

export const PlayerC: t.Type<Player> = t.type({
  name: t.string,
  nets: t.readonlyArray(t.string),
  loss: LossC,
  every: t.Int,
  optimizer: OptimizerC
}) as unknown as t.Type<Player>

export const GameC: t.Type<Game> = t.type({
  data: ShapeC,
  prior: ShapeC,
  nets: t.record(t.string, SignatureC),
  players: t.readonlyArray(PlayerC)
}) as unknown as t.Type<Game>

// -------------------------------------------------------------------------------------
// errors
// -------------------------------------------------------------------------------------

/** Codecs whose numeric context keys name alternatives or members, not positions in the document. */
const isComposite = (c: t.Decoder<unknown, unknown>): boolean => {
  const inner = c instanceof t.RecursiveType || c instanceof t.ExactType ? (c as t.RecursiveType<t.Any>).type : c
  return inner instanceof t.UnionType || inner instanceof t.IntersectionType
}

/** The path into the document: union alternatives and intersection members are not part of it. */
const path = (e: t.ValidationError): string =>
  e.context
    .map((c, i, all) => (i === 0 || c.key === '' || isComposite(all[i - 1].type) ? '' : /^\d+$/.test(c.key) ? `[${c.key}]` : `.${c.key}`))
    .join('')

const show = (v: unknown): string => {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/**
 * One line per problem: the path into the document, what was expected and what was found. Where a
 * union's tag matched, only that alternative's errors are kept; where none matched, the expected
 * tags are listed together.
 */
export const report = (errors: t.Errors, root = '$'): ReadonlyArray<string> => {
  const byPath = new Map<string, { expected: Set<string>; value: unknown }>()
  for (const e of errors) {
    const p = path(e)
    const slot = byPath.get(p) ?? { expected: new Set<string>(), value: e.value }
    slot.expected.add(e.message ?? e.context[e.context.length - 1].type.name)
    byPath.set(p, slot)
  }
  const paths = [...byPath.keys()]
  return paths
    .filter((p) => !(p.endsWith('._tag') && paths.some((q) => q !== p && q.startsWith(p.slice(0, -'_tag'.length)))))
    .map((p) => {
      const { expected, value } = byPath.get(p)!
      return `${root}${p}: expected ${[...expected].join(' | ')}, got ${show(value)}`
    })
}

/** Decodes, or returns the report lines. */
export const decode = <A, O>(codec: t.Type<A, O>, input: unknown, root = '$'): E.Either<ReadonlyArray<string>, A> =>
  pipe(
    codec.decode(input),
    E.mapLeft((errs) => report(errs, root))
  )

/** Plain JSON of a term or game (they already are plain data). */
export const encode = <A, O>(codec: t.Type<A, O>, a: A): unknown => JSON.parse(JSON.stringify(codec.encode(a)))
