/**
 * fast-check arbitraries for expressions and terms. Every generated term is well-typed in the
 * fixture's world (laws/fixture.ts), so the same generator serves the symbolic and the numeric laws.
 */
import * as fc from 'fast-check'

import type { Expr } from '../src/core/Expr.ts'
import { apply, chunk, data, gaussian, pair, prior, stop } from '../src/core/Expr.ts'
import type { Loss, Variant } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import type { Schedule } from '../src/core/Schedule.ts'
import { linear, piecewise } from '../src/core/Schedule.ts'

/** Coefficients whose sums and products are exact in floating point (multiples of 1/4 in [−2, 2]). */
export const coefficient: fc.Arbitrary<number> = fc.integer({ min: -8, max: 8 }).map((n) => n / 4 + 0)

/** Samples in data space, shape [3]. */
export const getDataExpr = (depth = 1): fc.Arbitrary<Expr> =>
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
      tie('x').map((x) => gaussian(chunk(apply('V', x), 0, 2), chunk(apply('V', x), 1, 2))),
      tie('z').map(stop)
    )
  })).x

/** Samples in code space, shape [2]. */
export const getCodeExpr = (depth = 1): fc.Arbitrary<Expr> =>
  fc.oneof(
    fc.constant(prior),
    getDataExpr(depth).map((x) => apply('E', x)),
    getDataExpr(depth).map((x) => gaussian(chunk(apply('V', x), 0, 2), chunk(apply('V', x), 1, 2))),
    getDataExpr(depth).map((x) => stop(apply('E', x)))
  )

const variant: fc.Arbitrary<Variant> = fc.constantFrom('bce', 'hinge', 'leastSquares', 'wasserstein')

export interface LeafOptions {
  /** Include the penalties that need second-order gradients (slower). */
  readonly penalties?: boolean
}

/** Every leaf constructor of the algebra, over well-typed samples. */
export const getLeaf = (o: LeafOptions = {}): fc.Arbitrary<Loss> => {
  const x = getDataExpr()
  const z = getCodeExpr()
  const leaves: Array<fc.Arbitrary<Loss>> = [
    fc.tuple(x, x, fc.constantFrom<L.Reduction>('mean', 'sum')).map(([a, b, r]) => L.reconstructionL1(a, b, r)),
    fc.tuple(x, x, fc.constantFrom<L.Reduction>('mean', 'sum')).map(([a, b, r]) => L.reconstructionL2(a, b, r)),
    fc.tuple(x, x, fc.constantFrom<L.Reduction>('mean', 'sum')).map(([a, b, r]) => L.bernoulliNLL(a, b, r)),
    x.map((s) => L.densityRatio('D', s)),
    z.map((s) => L.latentKL('C', s)),
    fc.tuple(z, z).map(([m, v]) => L.gaussianKL(m, v)),
    fc.tuple(x, fc.array(x, { minLength: 1, maxLength: 2 }), variant).map(([r, f, v]) => L.classify('D', { real: r, fake: f }, v)),
    fc.tuple(z, fc.array(z, { minLength: 1, maxLength: 2 }), variant).map(([r, f, v]) => L.classify('C', { real: r, fake: f }, v)),
    fc.tuple(x, z, x, z).map(([a, b, c, d]) => L.classify('J', { real: pair(a, b), fake: pair(c, d) })),
    x.map((s) => L.nonSaturating('D', s)),
    z.map((s) => L.minimax('C', s)),
    x.map((s) => L.critic('D', s))
  ]
  if (o.penalties) {
    leaves.push(
      fc.tuple(x, x).map(([r, f]) => L.gradientPenalty('D', r, f)),
      x.map((r) => L.r1('D', r))
    )
  }
  return fc.oneof(...leaves)
}

export const schedule: fc.Arbitrary<Schedule> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 5 }), coefficient, coefficient).map(([b, v0, v1]) => piecewise([b], [v0, v1])),
  fc.tuple(coefficient, coefficient, fc.integer({ min: 0, max: 3 })).map(([a, b, s]) => linear(a, b, s, s + 4))
)

/** Terms built from leaves with every combinator, to a bounded depth. */
export const getLoss = (leaf: fc.Arbitrary<Loss> = getLeaf(), maxDepth = 3): fc.Arbitrary<Loss> =>
  fc.letrec<{ term: Loss }>((tie) => ({
    term: fc.oneof(
      { maxDepth, depthIdentifier: 'loss', withCrossShrink: true },
      leaf,
      fc.constant(L.zero),
      fc.array(tie('term'), { minLength: 0, maxLength: 3 }).map((ts) => L.sum(...ts)),
      fc.tuple(tie('term'), tie('term')).map(([a, b]) => L.add(a, b)),
      fc.tuple(coefficient, tie('term')).map(([k, t]) => L.scale(k, t)),
      fc.tuple(fc.constantFrom('a', 'b', 'recon', 'x: y'), tie('term')).map(([l, t]) => L.named(l, t)),
      fc.tuple(schedule, tie('term')).map(([s, t]) => L.weighted(s, t))
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
    fc.tuple(term, term, coefficient, coefficient).map(([a, b, j, k]) => [L.add(a, L.scale(j, b)), L.add(a, L.scale(k, b))] as const),
    fc.tuple(term, fc.constantFrom('a', 'b', 'x: y', '"a"'), fc.constantFrom('a', 'b', 'x: y', '"a"')).map(([a, l, m]) => [L.named(l, a), L.named(m, a)] as const),
    fc.tuple(term, schedule, schedule).map(([a, s, r]) => [L.weighted(s, a), L.weighted(r, a)] as const),
    term.map((a) => [a, L.add(a, a)] as const)
  )
