import { before, describe, it } from 'node:test'

import * as fc from 'fast-check'

import * as Est from '../laws/estimators.ts'
import { testBackends, useBackend } from './backend.ts'

const normal = fc.record({
  mean: fc.integer({ min: -8, max: 8 }).map((n) => n / 4),
  sd: fc.integer({ min: 2, max: 8 }).map((n) => n / 4)
})
const seed = fc.integer({ min: 1, max: 10_000 })

for (const backend of testBackends) {
  describe(`estimators on closed-form Gaussians, on ${backend}`, () => {
    before(() => useBackend(backend))
    it('densityRatio with the Bayes-optimal classifier estimates the true log ratio (KL both ways)', () =>
      fc.assert(fc.property(normal, normal, seed, Est.densityRatioIsLogRatio()), { seed: 7, numRuns: 20 }))
    it('latentKL with the Bayes-optimal code critic estimates KL(q ‖ p)', () =>
      fc.assert(fc.property(normal, seed, Est.latentKLIsKL()), { seed: 8, numRuns: 20 }))
    it('a logistic critic trained by classify converges to the Bayes-optimal log ratio', () =>
      fc.assert(
        fc.property(
          // overlapping Gaussians keep the optimum finite and reachable in a few hundred steps
          fc.record({ mean: fc.integer({ min: -2, max: 2 }).map((n) => n / 4), sd: fc.constantFrom(0.75, 1, 1.25) }),
          fc.record({ mean: fc.integer({ min: -2, max: 2 }).map((n) => n / 4), sd: fc.constantFrom(0.75, 1, 1.25) }),
          seed,
          Est.logisticCriticConverges()
        ),
        { seed: 9, numRuns: 4 }
      ))
  })
}
