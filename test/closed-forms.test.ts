/**
 * Terms against closed forms worked out by hand, through the public `valueAndGrads`: the analytic
 * KL of known Gaussians, classifier losses on logits chosen to have simple sigmoids, the gradient
 * penalty and R1 of a linear critic, schedules at their breakpoints.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as fc from 'fast-check'

import type { Layer } from '../laws/reference.ts'
import { tfNet } from '../laws/reference-nets.ts'
import { valueAndGrads } from '../src/compile/loss.ts'
import type { Net } from '../src/compile/Net.ts'
import { apply, chunk, data, pair, prior } from '../src/core/Expr.ts'
import type { Loss } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import { linear, piecewise } from '../src/core/Schedule.ts'
import { testBackends, useBackend } from './backend.ts'

const close = (a: number, b: number, tol = 1e-5): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b))
const assertClose = (a: number, b: number, what: string, tol = 1e-5): void =>
  assert.ok(close(a, b, tol), `${what}: ${a}, expected ${b}`)

/** An affine net x ↦ x·W + b (W given as rows of inputs). */
const affine = (name: string, w: ReadonlyArray<ReadonlyArray<number>>, b: ReadonlyArray<number>): Net => {
  const layer: Layer = { inputs: w.length, outputs: b.length, activation: 'linear' }
  return tfNet(name, { layers: [layer], params: [...w.flat(), ...b] })
}

interface Run {
  readonly value: number
  /** Gradients by net: [W flat, b]. */
  readonly grads: Readonly<Record<string, readonly [ReadonlyArray<number>, ReadonlyArray<number>]>>
}

/** The value and gradients of a term, with the nets, data and prior given; frees everything. */
const run = (
  term: Loss,
  nets: Record<string, Net>,
  rows: { data: Array<Array<number>>; prior: Array<Array<number>> },
  step = 0
): Run => {
  const x = tf.tensor2d(rows.data)
  const z = tf.tensor2d(rows.prior)
  const names = Object.keys(nets)
  const vars = names.flatMap((n) => nets[n].variables)
  try {
    const r = valueAndGrads(term, nets, { data: x, prior: z, step, seed: 11 }, vars)
    return {
      value: r.value,
      grads: Object.fromEntries(
        names.map((n, k) => [n, [Array.from(r.grads[2 * k]), Array.from(r.grads[2 * k + 1])] as const])
      )
    }
  } finally {
    tf.dispose([x, z])
    for (const n of Object.values(nets)) n.dispose()
  }
}

const LN3 = Math.log(3)

for (const backend of testBackends) {
  describe(`on ${backend}: terms equal their closed forms`, () => {
    before(async () => {
      await useBackend(backend)
    })

    describe('gaussianKL is the analytic KL(N(μ, σ²) ‖ N(0, 1)), summed over dims', () => {
      // KL = log(1/σ) + (σ² + μ²)/2 − 1/2 per dim; ∂/∂μ = μ, ∂/∂logσ² = (σ² − 1)/2
      const kl = (mu: number, s2: number): number => Math.log(1 / Math.sqrt(s2)) + (s2 + mu * mu) / 2 - 0.5
      const term = L.gaussianKL(chunk(apply('V', data), 0, 2), chunk(apply('V', data), 1, 2))
      const check = (mu: readonly [number, number], s2: readonly [number, number]): void => {
        const V = affine(
          'V',
          [
            [0, 0, 0, 0],
            [0, 0, 0, 0],
            [0, 0, 0, 0]
          ],
          [mu[0], mu[1], Math.log(s2[0]), Math.log(s2[1])]
        )
        const r = run(
          term,
          { V },
          {
            data: [
              [0.1, 0.2, 0.3],
              [-1, 0, 1]
            ],
            prior: [
              [0, 0],
              [0, 0]
            ]
          }
        )
        assertClose(r.value, kl(mu[0], s2[0]) + kl(mu[1], s2[1]), `KL at μ ${mu}, σ² ${s2}`, 1e-5)
        const gb = r.grads.V[1]
        ;[mu[0], mu[1], (s2[0] - 1) / 2, (s2[1] - 1) / 2].forEach((g, i) => assertClose(gb[i], g, `∂KL/∂b${i}`))
      }
      it('at μ = (½, −1), σ² = (2, ¼)', () => check([0.5, -1], [2, 0.25]))
      it('is zero at the prior itself', () => check([0, 0], [1, 1]))
      it('at random Gaussians', () =>
        fc.assert(
          fc.property(
            fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true })),
            fc.tuple(fc.double({ min: 0.1, max: 4, noNaN: true }), fc.double({ min: 0.1, max: 4, noNaN: true })),
            (mu, s2) => {
              check(
                [Math.fround(mu[0]), Math.fround(mu[1])],
                [Math.exp(Math.fround(Math.log(s2[0]))), Math.exp(Math.fround(Math.log(s2[1])))]
              )
            }
          ),
          { seed: 7, numRuns: 10 }
        ))
    })

    describe('critic losses on a two-sample batch (D(x) = x₀: real logits 0 and ln 3, fake logits ln 3 and −ln 3)', () => {
      // σ(0) = ½, σ(ln 3) = ¾, σ(−ln 3) = ¼
      const rows = {
        data: [
          [0, 5, -5],
          [LN3, -2, 2]
        ],
        prior: [
          [LN3, 7],
          [-LN3, -7]
        ]
      }
      const nets = (): Record<string, Net> => ({
        D: affine('D', [[1], [0], [0]], [0]),
        G: affine(
          'G',
          [
            [1, 0, 0],
            [0, 0, 0]
          ],
          [0, 0, 0]
        )
      })
      const fake = apply('G', prior)
      it('bce: −E log D(real) − E log(1 − D(fake)), and its gradient in D’s bias', () => {
        const r = run(L.classify('D', { real: data, fake }), nets(), rows)
        assertClose(r.value, (Math.log(2) + Math.log(4 / 3)) / 2 + (Math.log(4) + Math.log(4 / 3)) / 2, 'value')
        // ∂/∂b = E[σ(a_real) − 1] + E[σ(a_fake)] = ½(−½ − ¼) + ½(¾ + ¼)
        assertClose(r.grads.D[1][0], 0.5 * (-0.5 - 0.25) + 0.5 * (0.75 + 0.25), '∂/∂b')
      })
      it('bce with two fake sets adds each set’s mean', () => {
        const r = run(L.classify('D', { real: data, fake: [fake, data] }), nets(), rows)
        assertClose(
          r.value,
          (Math.log(2) + Math.log(4 / 3)) / 2 + (Math.log(4) + Math.log(4 / 3)) / 2 + (Math.log(2) + Math.log(4)) / 2,
          'value'
        )
      })
      it('hinge: E max(0, 1 − a(real)) + E max(0, 1 + a(fake)) (ln 3 > 1 clips)', () => {
        const r = run(L.classify('D', { real: data, fake }, 'hinge'), nets(), rows)
        assertClose(r.value, (1 + 0) / 2 + (1 + LN3 + 0) / 2, 'value')
      })
      it('leastSquares: ½E(a(real) − 1)² + ½E a(fake)²', () => {
        const r = run(L.classify('D', { real: data, fake }, 'leastSquares'), nets(), rows)
        assertClose(r.value, 0.5 * ((1 + (LN3 - 1) ** 2) / 2) + 0.5 * ((LN3 ** 2 + LN3 ** 2) / 2), 'value')
      })
      it('wasserstein: −E a(real) + E a(fake)', () => {
        const r = run(L.classify('D', { real: data, fake }, 'wasserstein'), nets(), rows)
        assertClose(r.value, -LN3 / 2 + 0, 'value')
      })
      it('generator-side losses and the density ratio on the real logits', () => {
        assertClose(
          run(L.nonSaturating('D', data), nets(), rows).value,
          (Math.log(2) + Math.log(4 / 3)) / 2,
          'nonSaturating'
        )
        assertClose(run(L.minimax('D', data), nets(), rows).value, (Math.log(1 / 2) + Math.log(1 / 4)) / 2, 'minimax')
        assertClose(run({ _tag: 'Critic', critic: 'D', sample: data }, nets(), rows).value, -LN3 / 2, 'critic')
        assertClose(run(L.densityRatio('D', data), nets(), rows).value, LN3 / 2, 'densityRatio')
        assertClose(run(L.latentKL('D', fake), nets(), rows).value, -0, 'latentKL')
      })
    })

    describe('reconstructions on known rows', () => {
      // target rows x, output G(z) = (z₀, 0, 0)
      const rows = {
        data: [
          [1, -2, 0.5],
          [0, 1, -1]
        ],
        prior: [
          [3, 9],
          [-1, 9]
        ]
      }
      const nets = (): Record<string, Net> => ({
        G: affine(
          'G',
          [
            [1, 0, 0],
            [0, 0, 0]
          ],
          [0, 0, 0]
        )
      })
      const out = apply('G', prior)
      // differences x − G(z): (−2, −2, 0.5), (1, 1, −1)
      it('l1: mean of |·| over every element, or summed over features then averaged', () => {
        assertClose(run(L.reconstructionL1(data, out), nets(), rows).value, (2 + 2 + 0.5 + 1 + 1 + 1) / 6, 'mean')
        assertClose(run(L.reconstructionL1(data, out, 'sum'), nets(), rows).value, (4.5 + 3) / 2, 'sum')
      })
      it('l2: mean of squares, or summed over features then averaged', () => {
        assertClose(run(L.reconstructionL2(data, out), nets(), rows).value, (4 + 4 + 0.25 + 1 + 1 + 1) / 6, 'mean')
        assertClose(run(L.reconstructionL2(data, out, 'sum'), nets(), rows).value, (8.25 + 3) / 2, 'sum')
      })
      it('bernoulli: −[y log σ(o) + (1 − y) log(1 − σ(o))] with o the logits', () => {
        const r2 = { data: [[1, 0, 0.5]], prior: [[LN3, 0]] }
        // o = (ln 3, 0, 0): −log ¾, −log ½, −(½ log ½ + ½ log ½)
        const each = [-Math.log(3 / 4), -Math.log(1 / 2), -Math.log(1 / 2)]
        assertClose(run(L.bernoulliNLL(data, out), nets(), r2).value, (each[0] + each[1] + each[2]) / 3, 'mean')
        assertClose(run(L.bernoulliNLL(data, out, 'sum'), nets(), r2).value, each[0] + each[1] + each[2], 'sum')
      })
    })

    describe('penalties of a linear critic a(x) = w·x + b', () => {
      const w = fc
        .tuple(
          fc.double({ min: -2, max: 2, noNaN: true }),
          fc.double({ min: -2, max: 2, noNaN: true }),
          fc.double({ min: -2, max: 2, noNaN: true })
        )
        .map((v) => v.map(Math.fround))
      const rows = {
        data: [
          [0.3, -0.2, 0.9],
          [-1, 0.5, 0.1],
          [0.2, 0.2, -0.7]
        ],
        prior: [
          [0.4, -1.1],
          [1.3, 0.2],
          [-0.6, 0.8]
        ]
      }
      const nets = (ws: ReadonlyArray<number>): Record<string, Net> => ({
        D: affine(
          'D',
          ws.map((v) => [v]),
          [0.25]
        ),
        G: affine(
          'G',
          [
            [0.5, -0.3, 0.2],
            [0.1, 0.7, -0.4]
          ],
          [0.1, 0, -0.1]
        )
      })
      const norm = (v: ReadonlyArray<number>): number => Math.hypot(...v)
      it('the gradient penalty is (‖w‖ − 1)², whatever ε, real and fake; its gradient 2(‖w‖ − 1)·w/‖w‖ (a second-order path), none to G', () =>
        fc.assert(
          fc.property(w, (ws) => {
            fc.pre(norm(ws) > 0.05)
            const r = run(L.gradientPenalty('D', data, apply('G', prior)), nets(ws), rows)
            const n = norm(ws)
            assertClose(r.value, (n - 1) ** 2, 'value', 1e-4)
            ws.forEach((wi, i) => assertClose(r.grads.D[0][i], (2 * (n - 1) * wi) / n, `∂/∂w${i}`, 1e-4))
            assert.equal(r.grads.D[1][0], 0)
            assert.ok(r.grads.G[0].every((g) => g === 0))
          }),
          { seed: 8, numRuns: 10 }
        ))
      it('is zero at ‖w‖ = 1', () =>
        assertClose(
          run(L.gradientPenalty('D', data, apply('G', prior)), nets([0.6, 0, 0.8]), rows).value,
          0,
          'value',
          1e-6
        ))
      it('R1 is ‖w‖², its gradient 2w', () =>
        fc.assert(
          fc.property(w, (ws) => {
            const r = run(L.r1('D', data), nets(ws), rows)
            assertClose(r.value, norm(ws) ** 2, 'value', 1e-5)
            ws.forEach((wi, i) => assertClose(r.grads.D[0][i], 2 * wi, `∂/∂w${i}`, 1e-5))
          }),
          { seed: 9, numRuns: 10 }
        ))
      it('on the joint critic J(x, z) = w·(x, z) + b, the penalty reads the gradient in both parts', () => {
        const J = affine('J', [[0.1], [0.2], [0.3], [0.4], [0.5]], [0])
        const G = affine(
          'G',
          [
            [0.5, -0.3, 0.2],
            [0.1, 0.7, -0.4]
          ],
          [0.1, 0, -0.1]
        )
        const r = run(L.gradientPenalty('J', pair(data, prior), pair(apply('G', prior), prior)), { J, G }, rows)
        assertClose(r.value, (Math.sqrt(0.55) - 1) ** 2, 'value', 1e-4)
      })
    })

    it('leaves no tensor behind', () => {
      const n = tf.memory().numTensors
      run(
        L.gradientPenalty('D', data, apply('G', prior)),
        {
          D: affine('D', [[1], [2], [3]], [0]),
          G: affine(
            'G',
            [
              [1, 0, 0],
              [0, 1, 0]
            ],
            [0, 0, 0]
          )
        },
        { data: [[1, 2, 3]], prior: [[0, 1]] }
      )
      assert.equal(tf.memory().numTensors, n)
    })

    describe('a schedule’s weight at its breakpoints', () => {
      const rows = { data: [[1, 2, 3]], prior: [[0, 0]] }
      const base = L.reconstructionL2(data, apply('G', prior), 'sum') // = 14 with G = 0
      const nets = (): Record<string, Net> => ({
        G: affine(
          'G',
          [
            [0, 0, 0],
            [0, 0, 0]
          ],
          [0, 0, 0]
        )
      })
      const weightAt = (s: Parameters<typeof L.weighted>[0], step: number): number =>
        run(L.weighted(s, base), nets(), rows, step).value / 14
      it('piecewise: values[i] while step < boundaries[i], the last after', () => {
        const s = piecewise([2, 5], [0.5, -1, 3])
        assert.deepEqual(
          [0, 1, 2, 4, 5, 100].map((i) => weightAt(s, i)),
          [0.5, 0.5, -1, -1, 3, 3]
        )
      })
      it('linear: from until start, then linearly to `to` at end, then `to`', () => {
        const s = linear(1, 3, 2, 6)
        for (const [step, v] of [
          [0, 1],
          [2, 1],
          [3, 1.5],
          [4, 2],
          [6, 3],
          [50, 3]
        ])
          assertClose(weightAt(s, step), v, `at ${step}`, 1e-6)
      })
    })
  })
}
