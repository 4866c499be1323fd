/**
 * Every term means what its definition says: on every backend, the compiled value, named values and
 * gradients of random terms from every constructor equal a float64 reference interpreter written
 * from the doc comments (laws/reference.ts) and its finite-difference gradient — including the
 * second-order paths of the penalties and `stop`.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as fc from 'fast-check'

import { applyNet, inputGradient, refExpr, refLoss } from '../laws/reference.ts'
import { combinatorCases, dataExpr, leafCases, term, worldSpec } from '../laws/reference-arbitraries.ts'
import { layersOf, randomNet, signatures, tfWorld, worldOf } from '../laws/reference-nets.ts'
import { rng } from '../src/data/toy.ts'
import { compileTerm, drawId, matchesReference } from '../laws/semantics.ts'
import type { Net } from '../src/compile/Net.ts'
import { compileGame } from '../src/compile/step.ts'
import { player, sgd } from '../src/core/Game.ts'
import { apply, chunk, data, gaussian, pair, prior, stop } from '../src/core/Expr.ts'
import type { Expr } from '../src/core/Expr.ts'
import type { Loss } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import { testBackends, useBackend } from './backend.ts'

// tensor-backed properties: tiny shapes, tens of runs, pinned seeds; cpu gets the most runs
const runsOn = (backend: string): number => (backend === 'cpu' ? 20 : 8)
const agree = matchesReference()

/** Every expression constructor at the top of an expression, read whole by a term (elementwise and through a critic). */
const exprCases: Readonly<Record<Expr['_tag'], fc.Arbitrary<Loss>>> = (() => {
  const x = dataExpr(1)
  const readX = (e: fc.Arbitrary<Expr>): fc.Arbitrary<Loss> =>
    fc.tuple(e, x).map(([s, o]) => L.sum(L.reconstructionL2(o, s, 'sum'), L.densityRatio('D', s)))
  const readZ = (e: fc.Arbitrary<Expr>): fc.Arbitrary<Loss> =>
    fc.tuple(e, x).map(([s, o]) => L.sum(L.reconstructionL2(apply('E', o), s, 'sum'), L.densityRatio('C', s)))
  return {
    Data: readX(fc.constant(data)),
    Prior: readZ(fc.constant(prior)),
    Apply: fc.oneof(readX(x.map((u) => apply('G', apply('E', u)))), readZ(x.map((u) => apply('E', u)))),
    Gaussian: readZ(x.map((u) => gaussian(chunk(apply('V', u), 0, 2), chunk(apply('V', u), 1, 2)))),
    Pair: fc
      .tuple(x, x)
      .map(([u, v]) =>
        L.sum(
          L.reconstructionL2(pair(v, apply('E', v)), pair(u, apply('E', u)), 'sum'),
          L.densityRatio('J', pair(u, apply('E', u)))
        )
      ),
    Chunk: fc.tuple(x, fc.constantFrom(0, 1)).chain(([u, i]) => readZ(fc.constant(chunk(apply('V', u), i, 2)))),
    Stop: readX(x.map((u) => stop(apply('G', apply('E', u)))))
  }
})()

describe('the reference interpreter itself', () => {
  it('its hand-written input gradient is the finite-difference gradient of its nets', () => {
    const u = rng(7)
    for (const a of ['affine', 'tanh', 'leakyRelu'] as const) {
      const net = randomNet(u, layersOf(3, 1, a))
      const x = [0.3, -0.7, 0.9]
      const g = inputGradient(net, x)
      const h = 1e-6
      x.forEach((_, i) => {
        const at = (d: number): number =>
          applyNet(
            net,
            x.map((v, j) => (j === i ? v + d : v))
          )[0]
        assert.ok(Math.abs(g[i] - (at(h) - at(-h)) / (2 * h)) < 1e-8, `${a}: ∂/∂x${i}`)
      })
    }
  })
  it('stop reads the frozen parameters, everything else the live ones', () => {
    const w = {
      ...worldOf({ seed: 3, batch: 2, step: 0, architectures: {} }),
      noise: { gaussian: () => [], penalty: () => [] }
    }
    const moved = { ...w, nets: { ...w.nets, E: { ...w.nets.E, params: w.nets.E.params.map((p) => p + 1) } } }
    assert.deepEqual(refExpr(stop(apply('E', data)), moved, w), refExpr(apply('E', data), w))
    assert.notDeepEqual(refExpr(apply('E', data), moved, w), refExpr(apply('E', data), w))
    assert.equal(refLoss(L.reconstructionL1(data, stop(data)), w).kinked, true)
  })
})

/**
 * The reference reads the step's own noise, so the noise's law is checked on its own: sample moments
 * of a large draw within five standard errors, and the mass of a central interval.
 */
const assertDistributed = (xs: ReadonlyArray<number>, law: 'normal' | 'uniform', what: string): void => {
  const n = xs.length
  const mean = xs.reduce((s, x) => s + x, 0) / n
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n
  const [mu, sigma2, lo, hi, mass] = law === 'normal' ? [0, 1, -1, 1, 0.6826894921] : [0.5, 1 / 12, 0.25, 0.75, 0.5]
  const inside = xs.filter((x) => x > lo && x < hi).length / n
  assert.ok(Math.abs(mean - mu) < 5 * Math.sqrt(sigma2 / n), `${what}: mean ${mean}`)
  assert.ok(
    Math.abs(variance - sigma2) < 5 * sigma2 * Math.sqrt(law === 'normal' ? 2 / n : 0.8 / n),
    `${what}: variance ${variance}`
  )
  assert.ok(
    Math.abs(inside - mass) < 5 * Math.sqrt((mass * (1 - mass)) / n),
    `${what}: ${inside} of the mass in (${lo}, ${hi})`
  )
  if (law === 'uniform')
    assert.ok(
      xs.every((x) => x >= 0 && x <= 1),
      `${what}: outside [0, 1]`
    )
}

const BIG = 2048

for (const backend of testBackends) {
  describe(`on ${backend}: the noise a step draws has the law its definition names`, () => {
    before(async () => {
      await useBackend(backend)
    })
    it('gaussian ε ~ N(0, I) per element, the penalty’s ε ~ U(0, 1) per example', () => {
      const tw = tfWorld(worldOf({ seed: 5, batch: BIG, step: 0, architectures: {} }))
      const q = gaussian(chunk(apply('V', data), 0, 2), chunk(apply('V', data), 1, 2))
      const gp = L.gradientPenalty('D', data, apply('G', prior))
      let c: ReturnType<typeof compileTerm>
      try {
        c = compileTerm(L.sum(L.latentKL('C', q), gp), tw.nets, tw.data, tw.prior, 0, 9)
      } finally {
        tw.dispose()
      }
      const eps = c.draws.get(drawId.gaussian(q))
      const u = c.draws.get(drawId.penalty(gp))
      assert.ok(eps !== undefined && u !== undefined, `draws: ${[...c.draws.keys()]}`)
      assert.equal(eps.values.length, BIG * 2)
      assert.equal(u.values.length, BIG)
      assertDistributed(eps.values, 'normal', 'gaussian ε')
      assertDistributed(u.values, 'uniform', 'penalty ε')
    })
    it('a game step’s prior ~ N(0, I), as its nets see it', () => {
      const tw = tfWorld(worldOf({ seed: 6, batch: BIG, step: 0, architectures: {} }))
      const seen: Array<number> = []
      const C: Net = { ...tw.nets.C, apply: (x) => (seen.push(...x.dataSync()), tw.nets.C.apply(x)) }
      const game = {
        data: [3],
        prior: [2],
        nets: signatures,
        players: [player('p', ['C'], L.densityRatio('C', prior), { optimizer: sgd(0) })]
      }
      const compiled = compileGame(game, { ...tw.nets, C }, { seed: 4 })
      try {
        compiled.step(tw.data)
      } finally {
        compiled.dispose()
        tw.dispose()
      }
      assert.equal(seen.length, BIG * 2)
      assertDistributed(seen, 'normal', 'prior')
    })
  })

  describe(`on ${backend}: compiled terms equal the reference (value, named values, gradients)`, () => {
    before(async () => {
      await useBackend(backend)
    })
    const params = { seed: 12012, numRuns: runsOn(backend) }

    describe('every leaf, each variant and reduction', () => {
      for (const [name, leaf] of Object.entries(leafCases)) {
        it(name, () => fc.assert(fc.property(worldSpec(), leaf, agree), params))
      }
    })
    describe('every combinator, schedules at random steps', () => {
      for (const [name, t] of Object.entries(combinatorCases())) {
        it(name, () => fc.assert(fc.property(worldSpec(), t, agree), params))
      }
    })
    describe('every expression', () => {
      for (const [name, t] of Object.entries(exprCases)) {
        it(name, () => fc.assert(fc.property(worldSpec(), t, agree), params))
      }
    })
    it('random terms from every constructor, nested', () => fc.assert(fc.property(worldSpec(), term(), agree), params))
    it('leaves no tensor behind', () => {
      const n = tf.memory().numTensors
      fc.assert(fc.property(worldSpec(), term(), agree), { seed: 5, numRuns: 5 })
      assert.equal(tf.memory().numTensors, n)
    })
  })
}
