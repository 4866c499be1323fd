/**
 * Batched net applications (src/compile/batching.ts): invisible in values and weights for every model
 * of the catalogue under both schedules, actually batching (D gets 3·B rows in α-GAN), never batching
 * a net that is not row-wise, the waves it computes, and no leak.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'

import type { World } from '../laws/batching.ts'
import { batchingInvisible, counting, trace } from '../laws/batching.ts'
import { applicationsOf, MAX_STACK_FLOATS, waves } from '../src/compile/batching.ts'
import type { Binding, Net } from '../src/compile/Net.ts'
import { compileGame } from '../src/compile/step.ts'
import * as X from '../src/core/Expr.ts'
import type { Game, StepSchedule } from '../src/core/Game.ts'
import { sgd } from '../src/core/Game.ts'
import { models } from '../src/models/index.ts'
import type { ModelName } from '../src/models/index.ts'
import { mlp } from '../src/nets/index.ts'
import { testBackends, useBackend } from './backend.ts'

const DATA = 3
const LATENT = 2
const BATCH = 4

/** Tiny nets for every role of the catalogue, the same weights on every call. */
const world =
  (model: ModelName, wrap: (name: string, n: Net) => Net = (_, n) => n) =>
  (): World => {
    const enc = model === 'vae' || model === 'vaeGan' ? 2 * LATENT : LATENT
    const nets: Record<string, Net> = {
      E: mlp([DATA, 5, enc], { hidden: 'leakyRelu', seed: 1, name: 'E' }),
      G: mlp([LATENT, 5, DATA], { hidden: 'relu', out: 'tanh', seed: 2, name: 'G' }),
      D: mlp([DATA, 5, 1], { hidden: 'tanh', seed: 3, name: 'D' }),
      C: mlp([LATENT, 5, 1], { hidden: 'leakyRelu', seed: 4, name: 'C' }),
      J: mlp([DATA + LATENT, 5, 1], { hidden: 'leakyRelu', seed: 5, name: 'J' })
    }
    const data = tf.randomUniform([BATCH, DATA], -1, 1, 'float32', 6)
    const bound: Binding = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, wrap(k, n)]))
    return {
      nets: bound,
      data,
      dispose: () => {
        for (const n of Object.values(nets)) n.dispose()
        data.dispose()
      }
    }
  }

const gameOf = (model: ModelName, schedule: StepSchedule): Game => {
  const w = world(model)()
  try {
    const nets = Object.fromEntries(Object.entries(w.nets).map(([k, n]) => [k, n.signature]))
    return { ...models[model]({ data: [DATA], prior: [LATENT], nets, optimizer: sgd(0.1) }), schedule }
  } finally {
    w.dispose()
  }
}

const MODELS = Object.keys(models) as Array<ModelName>

describe('batched applications: the waves', () => {
  before(() => useBackend('cpu'))
  it('α-GAN: E(x), then G on both codes, then D on all three samples and C on the codes', () => {
    const g = gameOf('alphaGan', 'alternating')
    const show = (eg: string) =>
      waves(applicationsOf(g.players.find((p) => p.name === eg)!.loss)).map((w) => w.map((grp) => grp.map(X.key)))
    const eg = show('encoder-generator')
    assert.deepEqual(
      eg.map((w) => w.map((grp) => grp.length)),
      [[1], [2], [2, 1]]
    )
    assert.equal(eg[0][0][0], '"E"(x)')
    const d = show(g.players[1].name)
    // D(x) waits for D(G(E(x))) and D(G(z)): one group of three
    assert.deepEqual(d[d.length - 1][0].length, 3)
  })
})

for (const backend of testBackends.filter((b) => b !== 'tensorflow')) {
  describe(`batched applications on ${backend}`, () => {
    before(() => useBackend(backend))
    after(() => useBackend('cpu'))

    for (const schedule of ['alternating', 'sharedSamples'] as const) {
      it(`change no value and no weight, every model (${schedule}, 2 SGD steps)`, async () => {
        for (const m of MODELS) {
          assert.ok(await batchingInvisible(world(m), gameOf(m, schedule)), `${m} (${schedule})`)
        }
      })
    }

    it('stack D’s three inputs in α-GAN, and never a net that is not row-wise', async () => {
      const rows: Record<string, Array<number>> = {}
      const wrap = (rowwise: boolean) => (name: string, n: Net) => counting(n, (rows[name] = []), rowwise)
      const game = gameOf('alphaGan', 'alternating')
      await trace(world('alphaGan', wrap(true)), game, true, 1)
      assert.ok(rows.D.includes(3 * BATCH), `D's rows: ${rows.D}`)
      assert.ok(rows.G.includes(2 * BATCH), `G's rows: ${rows.G}`)
      const batched = await trace(world('alphaGan', wrap(false)), game, true, 1)
      for (const [name, r] of Object.entries(rows))
        assert.ok(
          r.every((n) => n === BATCH),
          `${name}: ${r}`
        )
      // and with no row-wise net, batching on is batching off, to the bit
      const off = await trace(world('alphaGan'), game, false, 1)
      assert.deepEqual(batched.values, off.values)
      for (const [k, v] of off.vars) assert.deepEqual(batched.vars.get(k), v, k)
    })

    it('stack no more than MAX_STACK_FLOATS in a layer', async () => {
      const rows: Record<string, Array<number>> = {}
      // D as wide as 2·B rows may be: stacks of 2 only, never all 3 of its inputs
      const wide = (name: string, n: Net) =>
        counting(n, (rows[name] = []), true, name === 'D' ? MAX_STACK_FLOATS / (2 * BATCH) : undefined)
      await trace(world('alphaGan', wide), gameOf('alphaGan', 'alternating'), true, 2)
      assert.ok(rows.D.includes(2 * BATCH) && !rows.D.includes(3 * BATCH), `D's rows: ${rows.D}`)
      assert.ok(rows.G.includes(2 * BATCH), `G's rows: ${rows.G}`)
    })

    it('leak no tensor', () => {
      const w = world('alphaGan')()
      const compiled = compileGame(gameOf('alphaGan', 'sharedSamples'), w.nets, { seed: 1, batchApplications: true })
      try {
        compiled.step(w.data)
        const n = tf.memory().numTensors
        for (let i = 0; i < 3; i++) compiled.step(w.data)
        assert.equal(tf.memory().numTensors, n)
      } finally {
        compiled.dispose()
        w.dispose()
      }
    })
  })
}
