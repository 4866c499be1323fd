import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as fc from 'fast-check'

import { coefficient, getLeaf, getLoss } from '../laws/arbitraries.ts'
import * as C from '../laws/compile.ts'
import type { Fixture } from '../laws/fixture.ts'
import { fixture, worldGame } from '../laws/fixture.ts'
import { registerSecondOrderGradients } from '../src/compile/gradients.ts'
import { withInputs } from '../src/compile/loss.ts'
import { compileGame, DivergenceError, readValues } from '../src/compile/step.ts'
import { apply, data, prior, stop } from '../src/core/Expr.ts'
import { player, sgd } from '../src/core/Game.ts'
import * as L from '../src/core/Loss.ts'
import { mlp } from '../src/nets/index.ts'
import { testBackends, useBackend } from './backend.ts'

// tensor-backed properties: tiny shapes, tens of runs, pinned seeds
const params = { seed: 424242, numRuns: 30 }
const term = getLoss(getLeaf(), 2)
const withPenalties = getLoss(getLeaf({ penalties: true }), 1)

for (const backend of testBackends) {
  describe(`on ${backend}`, () => {
    let f: Fixture

    before(async () => {
      await useBackend(backend)
      f = fixture()
    })
    after(() => f.dispose())

    describe('the compiler is a homomorphism (values and gradients)', () => {
      it('add', () =>
        fc.assert(
          fc.property(term, term, (a, b) => C.homomorphism.add(f)(a, b)),
          params
        ))
      it('add, with gradient penalties and R1', () =>
        fc.assert(
          fc.property(withPenalties, withPenalties, (a, b) => C.homomorphism.add(f)(a, b)),
          { ...params, numRuns: 15 }
        ))
      it('scale', () =>
        fc.assert(
          fc.property(coefficient, term, (k, a) => C.homomorphism.scale(f)(k, a)),
          params
        ))
      it('zero', () =>
        fc.assert(
          fc.property(term, (a) => C.homomorphism.zero(f)(a)),
          params
        ))
      it('equal normal forms compile alike', () =>
        fc.assert(
          fc.property(term, (a) => C.homomorphism.respectsEq(f)(a)),
          params
        ))
      it('stop keeps the value and zeroes the gradient', () =>
        fc.assert(
          fc.property(getLoss(getLeaf({ penalties: true }), 2), (a) => C.stopLaw(f)(a)),
          params
        ))
    })

    describe('games', () => {
      const nets = fc.subarray(['E', 'G', 'V', 'D', 'C', 'J'], { minLength: 1 })
      it('a player step changes only its own variables', () =>
        fc.assert(
          fc.property(term, nets, (loss, own) => {
            fc.pre(own.some((n) => L.netsOf(loss).includes(n)))
            return C.playerLocality(f)(loss, own)
          }),
          params
        ))
      it('steps leak no tensor', () =>
        fc.assert(
          fc.property(withPenalties, nets, fc.integer({ min: 1, max: 3 }), (loss, own, every) => {
            fc.pre(own.some((n) => L.netsOf(loss).includes(n)))
            return C.noLeak(f)(
              worldGame(f, [
                player('p', own, L.named('all', loss), { every }),
                player('q', ['D'], L.classify('D', { real: data, fake: apply('G', prior) }))
              ])
            )
          }),
          { ...params, numRuns: 15 }
        ))
      it('honours every: a player with every = 3 steps on iterations 2, 5, …', async () => {
        const g = worldGame(f, [
          player('critic', ['D'], L.classify('D', { real: data, fake: apply('G', prior) })),
          player('generator', ['G'], L.nonSaturating('D', apply('G', prior)), { every: 3 })
        ])
        const compiled = compileGame(g, f.nets)
        const seen: Array<boolean> = []
        for (let i = 0; i < 6; i++) seen.push(compiled.step(f.data).values.has('generator'))
        compiled.dispose()
        assert.deepEqual(seen, [false, false, true, false, false, true])
      })
      it('shares one prior draw per step across players', () => {
        // both players read C(z): with one draw they see the same codes, so C's logits agree
        const g = worldGame(f, [
          player('a', ['C'], L.named('za', L.densityRatio('C', prior)), { optimizer: sgd(0) }),
          player('b', ['C'], L.named('zb', L.densityRatio('C', prior)), { optimizer: sgd(0) })
        ])
        const compiled = compileGame(g, f.nets, { seed: 9 })
        const r = compiled.step(f.data)
        const [a, b] = [r.values.get('a/za')!.dataSync()[0], r.values.get('b/zb')!.dataSync()[0]]
        const r2 = compiled.step(f.data)
        const c = r2.values.get('a/za')!.dataSync()[0]
        compiled.dispose()
        assert.equal(a, b)
        assert.notEqual(a, c, 'a new step draws a new prior')
      })
      it('computes each apply node once per player evaluation', () => {
        let calls = 0
        const G = f.nets.G
        const counting = { ...f.nets, G: { ...G, apply: (x: tf.Tensor) => (calls++, G.apply(x)) } }
        const x̂ = apply('G', apply('E', data))
        const loss = L.sum(L.reconstructionL1(data, x̂), L.neg(L.densityRatio('D', x̂)), L.nonSaturating('D', x̂))
        const compiled = compileGame(worldGame(f, [player('p', ['E', 'G'], loss)]), counting)
        compiled.step(f.data)
        compiled.dispose()
        assert.equal(calls, 1)
      })
      it('refuses a batch that is not of the game’s data shape, naming both', () => {
        const compiled = compileGame(
          worldGame(f, [player('p', ['G'], L.nonSaturating('D', apply('G', prior)))]),
          f.nets
        )
        const wrong = tf.zeros([4, 5])
        assert.throws(() => compiled.step(wrong), /the batch has shape \[4,5\], the game's data is \[batch, 3\]/)
        assert.equal(compiled.iteration, 0)
        compiled.dispose()
        wrong.dispose()
      })
      it('stops with the term and step that went bad', async () => {
        const own = fixture(99) // this test ruins its nets
        const g = worldGame(own, [
          player(
            'p',
            ['G'],
            L.named('blowup', L.scale(1e30, L.scale(1e30, L.reconstructionL2(data, apply('G', prior)))))
          )
        ])
        const compiled = compileGame(g, own.nets)
        await assert.rejects(
          readValues(compiled.step(own.data)),
          (e: unknown) => e instanceof DivergenceError && e.step === 0 && e.term === 'p/blowup'
        )
        compiled.dispose()
        own.dispose()
      })
    })

    describe('second-order gradients', () => {
      it('the gradient penalty’s parameter gradient matches finite differences', () => {
        const gp = L.gradientPenalty('D', data, apply('G', prior))
        const D = f.nets.D
        const w = D.variables[0]
        const h = 1e-2
        const values = withInputs(f.nets, f, (run) => {
          const g = run(gp, [w]).grads[0]
          const original = tf.clone(w)
          const diffs: Array<[number, number]> = []
          for (const i of [0, 3, 7]) {
            const at = (d: number): number => {
              const v = original.dataSync().slice()
              v[i] += d
              w.assign(tf.tensor(v, w.shape))
              return run(gp, []).value
            }
            diffs.push([g[i], (at(h) - at(-h)) / (2 * h)])
          }
          w.assign(original)
          original.dispose()
          return diffs
        })
        for (const [analytic, numeric] of values)
          assert.ok(Math.abs(analytic - numeric) <= 2e-2 + 5e-2 * Math.abs(numeric), `${analytic} vs ${numeric}`)
        assert.ok(
          values.some(([a]) => a !== 0),
          'the penalty depends on D'
        )
      })
      it('tanh, sigmoid and exp differentiate twice (tfjs drops that path as shipped)', () => {
        registerSecondOrderGradients()
        const x = tf.tensor([0.3, -0.5, 1.2])
        const second = (g: (u: tf.Tensor) => tf.Tensor): Float32Array =>
          tf
            .grad((v: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(g(u)))(v)))(x)
            .dataSync() as Float32Array
        const xs = [0.3, -0.5, 1.2]
        const expect = {
          tanh: xs.map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)),
          sigmoid: xs.map((v) => {
            const s = 1 / (1 + Math.exp(-v))
            return s * (1 - s) * (1 - 2 * s)
          }),
          exp: xs.map(Math.exp)
        }
        const got = { tanh: second(tf.tanh), sigmoid: second(tf.sigmoid), exp: second(tf.exp) }
        for (const k of ['tanh', 'sigmoid', 'exp'] as const) {
          Array.from(got[k]).forEach((v, i) =>
            assert.ok(Math.abs(v - expect[k][i]) < 1e-5, `${k}'' at ${xs[i]}: ${v} vs ${expect[k][i]}`)
          )
        }
        x.dispose()
      })
      it('stop blocks a penalty’s path into the generator', () => {
        // a piecewise-linear critic has a piecewise-constant input gradient, so the penalty would not
        // reach G anyway: use a smooth one
        const smooth = mlp([3, 5, 1], { hidden: 'tanh', seed: 11 })
        withInputs({ ...f.nets, D: smooth }, f, (run) => {
          const r = run(L.gradientPenalty('D', data, stop(apply('G', prior))), f.nets.G.variables)
          assert.ok(r.grads.every((g) => g.every((v) => v === 0)))
          const r2 = run(L.gradientPenalty('D', data, apply('G', prior)), f.nets.G.variables)
          assert.ok(r2.grads.some((g) => g.some((v) => v !== 0)))
        })
        smooth.dispose()
      })
    })
  })
}

describe('reproducibility', () => {
  it('the same seed gives the same draws from the first step, seed 0 included', () => {
    const f = fixture(21)
    // sgd(0): the step reads G(z) without changing G, so the value depends on the prior draw alone
    const game = worldGame(f, [
      player('p', ['G'], L.named('v', L.reconstructionL1(data, apply('G', prior))), { optimizer: sgd(0) })
    ])
    const firstValue = (seed: number): number => {
      const compiled = compileGame(game, f.nets, { seed })
      const v = compiled.step(f.data).values.get('p/v')!.dataSync()[0]
      compiled.dispose()
      return v
    }
    assert.equal(firstValue(0), firstValue(0))
    assert.equal(firstValue(5), firstValue(5))
    assert.notEqual(firstValue(0), firstValue(5))
    f.dispose()
  })
})
