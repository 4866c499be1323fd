/**
 * Game semantics against the float64 reference (laws/semantics-game.ts): `every` steps a player on
 * exactly the iterations it names; each player's update is one SGD or Adam step on the reference
 * gradient of its own loss at the weights the players before it left; every occurrence of `data`,
 * `prior` and a noise node in one step reads one draw.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'

import * as fc from 'fast-check'

import { anyLeaf, term, worldSpec } from '../laws/reference-arbitraries.ts'
import { NET_NAMES } from '../laws/reference-nets.ts'
import type { GameCase, PlayerCase } from '../laws/semantics-game.ts'
import {
  hasGradient,
  oneDrawPerStep,
  stepsOn,
  stepsOnItsIterations,
  updatesAreOptimiserSteps
} from '../laws/semantics-game.ts'
import { apply, chunk, data, gaussian, pair, prior, stop } from '../src/core/Expr.ts'
import type { Optimizer } from '../src/core/Game.ts'
import { adam, sgd } from '../src/core/Game.ts'
import type { Loss } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import { linear } from '../src/core/Schedule.ts'
import { testBackends, useBackend } from './backend.ts'

/** A term with a gradient for each net's parameters. */
const touch: Readonly<Record<string, Loss>> = {
  E: L.reconstructionL2(prior, apply('E', data)),
  G: L.reconstructionL2(data, apply('G', prior)),
  V: L.gaussianKL(chunk(apply('V', data), 0, 2), chunk(apply('V', data), 1, 2)),
  D: L.classify('D', { real: data, fake: apply('G', prior) }),
  C: L.classify('C', { real: prior, fake: apply('E', data) }, 'leastSquares'),
  J: L.classify('J', { real: pair(data, apply('E', data)), fake: pair(apply('G', prior), prior) })
}

/**
 * A loss that moves every one of `nets`, part of it weighted by a schedule that changes at every
 * iteration (so the step a game evaluates at shows), plus a random term.
 */
const lossFor = (nets: ReadonlyArray<string>): fc.Arbitrary<Loss> =>
  term(anyLeaf(), 1).map((t) =>
    L.sum(...nets.map((n) => touch[n]), L.weighted(linear(0.5, 2, 0, 4), touch[nets[0]]), t)
  )

const optimizer: fc.Arbitrary<Optimizer> = fc.oneof(
  fc.constantFrom(0.05, 0.2).map(sgd),
  fc
    .tuple(fc.constantFrom(0.01, 0.05), fc.constantFrom(0.5, 0.9), fc.constantFrom(0.9, 0.999))
    .map(([r, b1, b2]) => adam(r, b1, b2))
)

const seed = fc.integer({ min: 1, max: 2 ** 31 - 2 })

/** Players owning disjoint nets, each with its own `every`. */
const disjointPlayers: fc.Arbitrary<ReadonlyArray<PlayerCase>> = fc
  .shuffledSubarray([...NET_NAMES], { minLength: 1, maxLength: 3 })
  .chain((nets) =>
    fc.tuple(
      ...nets.map((n) =>
        fc.record({ loss: lossFor([n]), nets: fc.constant([n]), every: fc.integer({ min: 1, max: 3 }), optimizer })
      )
    )
  )

/** One or two players, possibly sharing nets (the second sees the first's update). */
const anyPlayers: fc.Arbitrary<ReadonlyArray<PlayerCase>> = fc.array(
  fc
    .subarray([...NET_NAMES], { minLength: 1, maxLength: 2 })
    .chain((nets) =>
      fc.record({ loss: lossFor(nets), nets: fc.constant(nets), every: fc.integer({ min: 1, max: 2 }), optimizer })
    ),
  { minLength: 1, maxLength: 2 }
)

const gameCase = (players: fc.Arbitrary<ReadonlyArray<PlayerCase>>, iterations: number): fc.Arbitrary<GameCase> =>
  fc
    .record({ spec: worldSpec(), players, iterations: fc.constant(iterations), seed })
    .filter((c) => c.players.every((p) => hasGradient(c.spec, p.loss)))

/**
 * Two players reading `data`, `prior` and a noise node in several places, stopped and not; rate 0,
 * so that the second player sees the first one's weights.
 */
const sharedDraws = (() => {
  const q = gaussian(chunk(apply('V', data), 0, 2), chunk(apply('V', data), 1, 2))
  const a = L.sum(
    L.named('prior via C', L.densityRatio('C', prior)),
    L.named('prior against E', L.reconstructionL2(stop(prior), apply('E', data))),
    L.named('noise via C', L.latentKL('C', q)),
    L.named('data against G', L.reconstructionL1(data, apply('G', prior)))
  )
  const b = L.sum(
    L.named('stopped prior via C', L.densityRatio('C', stop(prior))),
    L.named('prior against itself', L.reconstructionL2(prior, stop(prior))),
    L.named('stopped noise via C', L.latentKL('C', stop(q))),
    L.named('joint', L.densityRatio('J', pair(data, q))),
    L.named('stopped data against G', L.reconstructionL1(stop(data), apply('G', stop(prior))))
  )
  return fc.record({
    spec: worldSpec(),
    seed,
    iterations: fc.constant(2),
    players: fc.constant<ReadonlyArray<PlayerCase>>([
      { loss: a, nets: ['C', 'E', 'G'], every: 1, optimizer: sgd(0) },
      { loss: b, nets: ['V', 'J', 'G'], every: 1, optimizer: sgd(0) }
    ])
  })
})()

describe('the reference reading of every', () => {
  it('steps on iterations i with (i + 1) mod every = 0', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((i) => stepsOn(3, i)),
      [false, false, true, false, false, true]
    )
    assert.ok([0, 1, 2].every((i) => stepsOn(1, i)))
  })
})

for (const backend of testBackends) {
  describe(`on ${backend}: compiled games step as the reference says`, () => {
    before(async () => {
      await useBackend(backend)
    })
    const runs = backend === 'cpu' ? 12 : 4

    it('every: n steps a player exactly on the iterations it names', () =>
      fc.assert(fc.property(gameCase(disjointPlayers, 6), stepsOnItsIterations), { seed: 31, numRuns: runs }))
    it('each player’s update is one optimiser step (SGD, Adam) on the reference gradient of its own loss', () =>
      fc.assert(fc.property(gameCase(anyPlayers, 3), updatesAreOptimiserSteps()), { seed: 32, numRuns: runs }))
    it('all data, prior and noise occurrences of a step read one draw', () =>
      fc.assert(fc.property(sharedDraws, oneDrawPerStep()), { seed: 33, numRuns: runs }))
  })
}
