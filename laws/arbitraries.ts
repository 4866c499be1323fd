/**
 * fast-check arbitraries for expressions and terms. Every generated term is well-typed in the
 * fixture's world (laws/fixture.ts), so the same generator serves the symbolic and the numeric laws.
 * Each generator is built from a record with one entry per tag of the algebra, so a new tag is a
 * type error here until the laws can generate it.
 */
import * as fc from 'fast-check'

import type { Expr } from '../src/core/Expr.ts'
import { apply, chunk, data, gaussian, pair, prior, stop } from '../src/core/Expr.ts'
import type { Leaf, Loss, Variant } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import type { Schedule } from '../src/core/Schedule.ts'
import { linear, piecewise } from '../src/core/Schedule.ts'

/** Coefficients whose sums and products are exact in floating point (multiples of 1/4 in [−2, 2]). */
export const coefficient: fc.Arbitrary<number> = fc.integer({ min: -8, max: 8 }).map((n) => n / 4 + 0)

/** Generators of one tag: in data space (`x`, shape [3]) and in code space (`z`, shape [2]). */
interface Spaces {
  readonly x: ReadonlyArray<fc.Arbitrary<Expr>>
  readonly z: ReadonlyArray<fc.Arbitrary<Expr>>
}

/**
 * Every expression tag, and where it enters the generators: a new tag is a type error here until
 * it is given its generators (or an empty entry that says why it has none).
 */
const exprGenerators = (x: fc.Arbitrary<Expr>, z: fc.Arbitrary<Expr>): { readonly [K in Expr['_tag']]: Spaces } => ({
  Data: { x: [fc.constant(data)], z: [] },
  Prior: { x: [], z: [fc.constant(prior)] },
  Apply: { x: [z.map((z) => apply('G', z))], z: [x.map((x) => apply('E', x))] },
  Gaussian: { x: [], z: [x.map((x) => gaussian(chunk(apply('V', x), 0, 2), chunk(apply('V', x), 1, 2)))] },
  // joint samples: only the joint critic J reads them (`getLeaf`)
  Pair: { x: [], z: [] },
  Stop: { x: [x.map(stop)], z: [z.map(stop)] },
  // parts of the encoder V's output: the mean and log-variance of `Gaussian`
  Chunk: { x: [], z: [] }
})

/** Samples in data space, shape [3]. */
export const getDataExpr = (depth = 1): fc.Arbitrary<Expr> =>
  fc.letrec<{ x: Expr; z: Expr }>((tie) => {
    const spaces = Object.values(exprGenerators(tie('x'), tie('z')))
    const options = { maxDepth: depth, depthIdentifier: 'expr' }
    return { x: fc.oneof(options, ...spaces.flatMap((s) => s.x)), z: fc.oneof(options, ...spaces.flatMap((s) => s.z)) }
  }).x

/** Samples in code space, shape [2]. */
export const getCodeExpr = (depth = 1): fc.Arbitrary<Expr> =>
  fc.oneof(
    fc.constant(prior),
    getDataExpr(depth).map((x) => apply('E', x)),
    getDataExpr(depth).map((x) => gaussian(chunk(apply('V', x), 0, 2), chunk(apply('V', x), 1, 2))),
    getDataExpr(depth).map((x) => stop(apply('E', x)))
  )

const variant: fc.Arbitrary<Variant> = fc.constantFrom('bce', 'hinge', 'leastSquares', 'wasserstein')
const reduction: fc.Arbitrary<L.Reduction> = fc.constantFrom('mean', 'sum')

export interface LeafOptions {
  /** Include the penalties that need second-order gradients (slower). */
  readonly penalties?: boolean
}

/** One generator list per leaf tag, each over well-typed samples and producing only that tag. */
export type LeafGenerators = {
  readonly [K in Leaf['_tag']]: ReadonlyArray<fc.Arbitrary<Extract<Leaf, { readonly _tag: K }>>>
}

/** Every leaf constructor of the algebra, by tag: a new leaf is a type error here until it has a generator. */
export const leafGenerators = (x: fc.Arbitrary<Expr>, z: fc.Arbitrary<Expr>): LeafGenerators => ({
  Reconstruction: [
    fc.tuple(x, x, reduction).map(([a, b, r]) => L.reconstructionL1(a, b, r)),
    fc.tuple(x, x, reduction).map(([a, b, r]) => L.reconstructionL2(a, b, r)),
    fc.tuple(x, x, reduction).map(([a, b, r]) => L.bernoulliNLL(a, b, r))
  ],
  DensityRatio: [x.map((s) => L.densityRatio('D', s))],
  LatentKL: [z.map((s) => L.latentKL('C', s))],
  GaussianKL: [fc.tuple(z, z).map(([m, v]) => L.gaussianKL(m, v))],
  Classify: [
    fc
      .tuple(x, fc.array(x, { minLength: 1, maxLength: 2 }), variant)
      .map(([r, f, v]) => L.classify('D', { real: r, fake: f }, v)),
    fc
      .tuple(z, fc.array(z, { minLength: 1, maxLength: 2 }), variant)
      .map(([r, f, v]) => L.classify('C', { real: r, fake: f }, v)),
    fc.tuple(x, z, x, z).map(([a, b, c, d]) => L.classify('J', { real: pair(a, b), fake: pair(c, d) }))
  ],
  NonSaturating: [x.map((s) => L.nonSaturating('D', s))],
  Minimax: [z.map((s) => L.minimax('C', s))],
  Critic: [x.map((s) => L.wassersteinGenerator('D', s))],
  GradientPenalty: [fc.tuple(x, x).map(([r, f]) => L.gradientPenalty('D', r, f))],
  R1: [x.map((r) => L.r1('D', r))]
})

/** The leaves whose values need second-order gradients: generated only with `penalties`. */
const PENALTIES: ReadonlySet<Leaf['_tag']> = new Set<Leaf['_tag']>(['GradientPenalty', 'R1'])

/** Every leaf constructor of the algebra, over well-typed samples. */
export const getLeaf = (o: LeafOptions = {}): fc.Arbitrary<Loss> => {
  const generators = leafGenerators(getDataExpr(), getCodeExpr())
  const tags = (Object.keys(generators) as Array<Leaf['_tag']>).filter(
    (tag) => o.penalties === true || !PENALTIES.has(tag)
  )
  return fc.oneof(...tags.flatMap((tag): ReadonlyArray<fc.Arbitrary<Loss>> => generators[tag]))
}

/** Every schedule tag: a new one is a type error here until it has a generator. */
const scheduleGenerators: { readonly [K in Schedule['_tag']]: ReadonlyArray<fc.Arbitrary<Schedule>> } = {
  // a constant weight normalises to a scale, which `getLoss` generates already
  Constant: [],
  Piecewise: [
    fc.tuple(fc.integer({ min: 1, max: 5 }), coefficient, coefficient).map(([b, v0, v1]) => piecewise([b], [v0, v1]))
  ],
  Linear: [
    fc.tuple(coefficient, coefficient, fc.integer({ min: 0, max: 3 })).map(([a, b, s]) => linear(a, b, s, s + 4))
  ]
}

export const schedule: fc.Arbitrary<Schedule> = fc.oneof(...Object.values(scheduleGenerators).flat())

/** Every combinator, by tag, over generated sub-terms: a new one is a type error here until it has a generator. */
const combinatorGenerators = (
  term: fc.Arbitrary<Loss>
): { readonly [K in L.Combinator['_tag']]: ReadonlyArray<fc.Arbitrary<Loss>> } => ({
  Zero: [fc.constant(L.zero)],
  Sum: [
    fc.array(term, { minLength: 0, maxLength: 3 }).map((ts) => L.sum(...ts)),
    fc.tuple(term, term).map(([a, b]) => L.add(a, b))
  ],
  Scale: [fc.tuple(coefficient, term).map(([k, t]) => L.scale(k, t))],
  Named: [fc.tuple(fc.constantFrom('a', 'b', 'recon', 'x: y'), term).map(([l, t]) => L.named(l, t))],
  Weighted: [fc.tuple(schedule, term).map(([s, t]) => L.weighted(s, t))]
})

/** Terms built from leaves with every combinator, to a bounded depth. */
export const getLoss = (leaf: fc.Arbitrary<Loss> = getLeaf(), maxDepth = 3): fc.Arbitrary<Loss> =>
  fc.letrec<{ term: Loss }>((tie) => ({
    term: fc.oneof(
      { maxDepth, depthIdentifier: 'loss', withCrossShrink: true },
      leaf,
      ...Object.values(combinatorGenerators(tie('term'))).flat()
    )
  })).term

/**
 * Pairs of terms that are often nearly equal (same body, other coefficients, labels or weights):
 * where a printer that drops information collides, these find it.
 */
export const getNearPair = (term: fc.Arbitrary<Loss> = getLoss(getLeaf(), 2)): fc.Arbitrary<readonly [Loss, Loss]> =>
  fc.oneof(
    fc.tuple(term, term),
    fc.tuple(term, coefficient, coefficient).map(([a, j, k]) => [L.scale(j, a), L.scale(k, a)] as const),
    fc
      .tuple(term, term, coefficient, coefficient)
      .map(([a, b, j, k]) => [L.add(a, L.scale(j, b)), L.add(a, L.scale(k, b))] as const),
    fc
      .tuple(term, fc.constantFrom('a', 'b', 'x: y', '"a"'), fc.constantFrom('a', 'b', 'x: y', '"a"'))
      .map(([a, l, m]) => [L.named(l, a), L.named(m, a)] as const),
    fc.tuple(term, schedule, schedule).map(([a, s, r]) => [L.weighted(s, a), L.weighted(r, a)] as const),
    term.map((a) => [a, L.add(a, a)] as const)
  )
