import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import * as fc from 'fast-check'
import { pipe } from 'fp-ts/function'

import * as A from '../laws/algebra.ts'
import { coefficient, getLeaf, getLoss, getNearPair } from '../laws/arbitraries.ts'
import { encode, exprCodecs, LossC, lossCodecs, scheduleCodecs } from '../src/codec/index.ts'
import type { Expr } from '../src/core/Expr.ts'
import * as X from '../src/core/Expr.ts'
import { apply, data, prior } from '../src/core/Expr.ts'
import * as L from '../src/core/Loss.ts'
import { linear } from '../src/core/Schedule.ts'
import { showLatex, showUnicode } from '../src/core/Show.ts'

const params = { seed: 20261124, numRuns: 300 }
const term = getLoss()

describe('Loss is a commutative monoid under add (exact, after normalize)', () => {
  it('associativity', () => fc.assert(fc.property(term, term, term, A.monoid.associativity(L.Monoid, L.Eq)), params))
  it('left identity', () => fc.assert(fc.property(term, A.monoid.leftIdentity(L.Monoid, L.Eq)), params))
  it('right identity', () => fc.assert(fc.property(term, A.monoid.rightIdentity(L.Monoid, L.Eq)), params))
  it('commutativity', () => fc.assert(fc.property(term, term, A.monoid.commutativity(L.Monoid, L.Eq)), params))
})

describe('Loss is a module over numbers under scale', () => {
  it('scale composes', () => fc.assert(fc.property(coefficient, coefficient, term, A.module.composes(L.Eq)), params))
  it('scale distributes over add', () =>
    fc.assert(fc.property(coefficient, term, term, A.module.distributesOverAdd(L.Eq)), params))
  it('scale distributes over coefficients', () =>
    fc.assert(fc.property(coefficient, coefficient, term, A.module.distributesOverCoefficients(L.Eq)), params))
  it('scale(1) is the identity', () => fc.assert(fc.property(term, A.module.unit(L.Eq)), params))
  it('scale(0) annihilates', () => fc.assert(fc.property(term, A.module.annihilation(L.Eq)), params))
})

describe('normal forms', () => {
  it('normalize is idempotent', () => fc.assert(fc.property(term, A.normalForm.idempotent), params))
  it('a term equals its normal form', () => fc.assert(fc.property(term, A.normalForm.sound), params))
  // nearly equal pairs (other coefficients, labels, weights) make collisions of a lossy printer likely
  const near = getNearPair()
  it('showUnicode is injective on normal forms', () =>
    fc.assert(
      fc.property(near, ([a, b]) => A.normalForm.injective(showUnicode)(a, b)),
      { ...params, numRuns: 1000 }
    ))
  it('showLatex is injective on normal forms', () =>
    fc.assert(
      fc.property(near, ([a, b]) => A.normalForm.injective(showLatex)(a, b)),
      { ...params, numRuns: 1000 }
    ))
  it('Eq tells different objectives apart', () => {
    const G = (z: typeof prior) => apply('G', z)
    assert.equal(L.Eq.equals(L.densityRatio('D', G(prior)), L.densityRatio('D', G(data))), false)
    assert.equal(L.Eq.equals(L.scale(2, L.latentKL('C', data)), L.latentKL('C', data)), false)
    assert.equal(L.Eq.equals(L.named('a', L.zero), L.zero), false)
  })
})

describe('codec', () => {
  it('decode(encode(t)) is t, structurally', () =>
    fc.assert(
      fc.property(
        term,
        A.codec.roundTrip(LossC, L.EqStrict, (t) => encode(LossC, t))
      ),
      params
    ))
})

describe('show', () => {
  it('prints the α-GAN objective as the paper writes it', () => {
    const x̂ = apply('G', apply('E', data))
    const t = L.sum(
      L.scale(10, L.reconstructionL1(data, x̂, 'sum')),
      L.neg(L.densityRatio('D', x̂)),
      L.neg(L.densityRatio('D', apply('G', prior))),
      L.latentKL('C', apply('E', data))
    )
    assert.equal(showUnicode(t), '10·‖x − G(E(x))‖₁ − E[log D/(1−D)](G(E(x))) − E[log D/(1−D)](G(z)) + KL_C(E(x))')
    assert.equal(
      showLatex(t),
      '10 \\cdot \\lVert x - G(E(x)) \\rVert_1 - \\mathbb{E}\\left[\\log \\frac{D}{1-D}\\right](G(E(x))) - \\mathbb{E}\\left[\\log \\frac{D}{1-D}\\right](G(z)) + \\mathrm{KL}_{C}(E(x))'
    )
  })
})

describe('printing a factor of 1', () => {
  it('writes no "1 ·" (λ = 1), in a sum or alone, and keeps the parentheses of a scaled sum', () => {
    const rec = L.reconstructionL1(data, apply('G', apply('E', data)))
    const t = L.sum(L.scale(1, rec), L.scale(1, L.neg(L.densityRatio('D', apply('G', prior)))))
    assert.equal(showLatex(t), showLatex(L.sum(rec, L.neg(L.densityRatio('D', apply('G', prior))))))
    assert.equal(showUnicode(t), showUnicode(L.sum(rec, L.neg(L.densityRatio('D', apply('G', prior))))))
    assert.doesNotMatch(showLatex(L.named('reconstruction', L.scale(1, rec))), /(^|[^\d.])1 \\cdot/)
    assert.doesNotMatch(showUnicode(L.scale(1, rec)), /^1·/)
    assert.equal(showUnicode(L.scale(2, L.scale(1, L.sum(rec, rec)))), `2·(${showUnicode(L.sum(rec, rec))})`)
  })
})

describe('the generators cover the algebra', () => {
  // every tag, from the codecs' per-tag records (a tag without a codec does not compile)
  const subterms = (t: L.Loss): ReadonlyArray<L.Loss> =>
    L.matchCombinator<ReadonlyArray<L.Loss>>(() => [t], {
      Zero: () => [t],
      Sum: (s) => [t, ...s.terms.flatMap(subterms)],
      Scale: (s) => [t, ...subterms(s.term)],
      Named: (s) => [t, ...subterms(s.term)],
      Weighted: (s) => [t, ...subterms(s.term)]
    })(t)
  const subexprs: (e: Expr) => ReadonlyArray<Expr> = X.match<ReadonlyArray<Expr>>({
    Data: (e) => [e],
    Prior: (e) => [e],
    Apply: (e) => [e, ...subexprs(e.input)],
    Gaussian: (e) => [e, ...subexprs(e.mean), ...subexprs(e.logVar)],
    Pair: (e) => [e, ...subexprs(e.x), ...subexprs(e.z)],
    Stop: (e) => [e, ...subexprs(e.expr)],
    Chunk: (e) => [e, ...subexprs(e.expr)]
  })
  const sample = fc.sample(getLoss(getLeaf({ penalties: true })), { seed: 20261124, numRuns: 500 }).flatMap(subterms)
  it('every term tag', () => assert.deepEqual(new Set(sample.map((t) => t._tag)), new Set(Object.keys(lossCodecs))))
  it('every expression tag', () => {
    const exprs = sample.filter(L.isLeaf).flatMap(L.exprsOf).flatMap(subexprs)
    assert.deepEqual(new Set(exprs.map((e) => e._tag)), new Set(Object.keys(exprCodecs)))
  })
  it('every schedule tag but Constant (a constant weight normalises to a scale)', () => {
    const schedules = sample.flatMap((t) => (t._tag === 'Weighted' ? [t.schedule._tag] : []))
    assert.deepEqual(new Set(schedules), new Set(Object.keys(scheduleCodecs).filter((k) => k !== 'Constant')))
  })
})

describe('combinators are data-first and data-last', () => {
  const a = L.densityRatio('D', apply('G', prior))
  const b = L.latentKL('C', apply('E', data))
  it('pipe(a, add(b)) is add(a, b), and so for scale, named, weighted', () => {
    assert.ok(L.EqStrict.equals(pipe(a, L.add(b)), L.add(a, b)))
    assert.ok(L.EqStrict.equals(pipe(a, L.scale(3)), L.scale(3, a)))
    assert.ok(L.EqStrict.equals(pipe(a, L.named('x')), L.named('x', a)))
    assert.ok(L.EqStrict.equals(pipe(a, L.weighted(linear(0, 1, 0, 10))), L.weighted(linear(0, 1, 0, 10), a)))
  })
  it('a rule is checked as soon as its argument is given', () => {
    assert.throws(() => L.scale(Infinity), /scale: the factor must be finite/)
    assert.throws(() => L.named(''), /named: the label must not be empty/)
  })
})
