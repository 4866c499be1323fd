/**
 * The `sharedSamples` schedule (Game.schedule): the laws of laws/schedule.ts on a GAN and an α-GAN
 * shaped game, no leaks, and the codec.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import { isRight } from 'fp-ts/lib/Either.js'

import { counting } from '../laws/batching.ts'
import { afterOneStep, agreeOn, noEarlierUpdate, readersMoveFirst } from '../laws/schedule.ts'
import { BATCH, fixture, worldGame } from '../laws/fixture.ts'
import { GameC } from '../src/codec/game.ts'
import { stepKernels } from '../src/backend/select.ts'
import { compileGame } from '../src/compile/step.ts'
import { apply, chunk, data, gaussian, pair, prior } from '../src/core/Expr.ts'
import { player } from '../src/core/Game.ts'
import * as L from '../src/core/Loss.ts'
import { testBackends, useBackend } from './backend.ts'

const G = (e: Parameters<typeof apply>[1]) => apply('G', e)
const E = apply('E', data)
const critic = player('critic', ['D'], L.classify('D', { real: data, fake: G(prior) }))
const generator = player('generator', ['G'], L.nonSaturating('D', G(prior)))
const encoderGenerator = player(
  'encoder-generator',
  ['E', 'G'],
  L.add(L.add(L.nonSaturating('D', G(E)), L.nonSaturating('D', G(prior))), L.nonSaturating('C', E))
)
const dataCritic = player('data-critic', ['D'], L.classify('D', { real: data, fake: [G(E), G(prior)] }))
const fresh = () => fixture(11)

// the critic-first shapes of the catalogue: BiGAN, VAE-GAN (a Gaussian posterior), WGAN-GP (a penalty)
const joint = { real: pair(data, E), fake: pair(G(prior), prior) }
const biganShape = [
  player('joint-critic', ['J'], L.classify('J', joint)),
  player('encoder-generator', ['E', 'G'], L.classify('J', { real: joint.fake, fake: joint.real }))
]
const V = apply('V', data)
const posterior = gaussian(chunk(V, 0, 2), chunk(V, 1, 2))
const vaeGanShape = [
  player('data-critic', ['D'], L.classify('D', { real: data, fake: [G(posterior), G(prior)] })),
  player(
    'encoder-generator',
    ['V', 'G'],
    L.add(
      L.add(L.gaussianKL(chunk(V, 0, 2), chunk(V, 1, 2)), L.reconstructionL1(data, G(posterior))),
      L.add(L.nonSaturating('D', G(posterior)), L.nonSaturating('D', G(prior)))
    )
  )
]
const wganShape = [
  player(
    'critic',
    ['D'],
    L.add(L.classify('D', { real: data, fake: G(prior) }, 'wasserstein'), L.gradientPenalty('D', data, G(prior)))
  ),
  player('generator', ['G'], L.nonSaturating('D', G(prior)))
]

for (const backend of testBackends.filter((b) => b !== 'tensorflow')) {
  describe(`sharedSamples on ${backend}`, () => {
    before(() => useBackend(backend))

    it('is alternating when the samplers move after their readers (GAN: critic, then generator)', () => {
      assert.ok(noEarlierUpdate(fresh, (f) => worldGame(f, [critic, generator])))
    })

    it('is alternating, float for float, on the critic-first shapes of BiGAN, VAE-GAN and WGAN-GP', () => {
      for (const [name, players] of Object.entries({ biganShape, vaeGanShape, wganShape }))
        assert.ok(
          noEarlierUpdate(fresh, (f) => worldGame(f, players)),
          name
        )
    })

    it('computes the samples of a critic-first game once per step (the generator takes them early)', () => {
      const applications = (players: Parameters<typeof worldGame>[1], schedule?: 'sharedSamples') => {
        const f = fresh()
        const rows: Record<string, Array<number>> = { E: [], G: [], V: [] }
        const nets = {
          ...f.nets,
          ...Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, counting(f.nets[k], r)]))
        }
        const compiled = compileGame({ ...worldGame(f, players), schedule }, nets, { seed: 3 })
        for (let s = 0; s < 2; s++) compiled.step(f.data)
        compiled.dispose()
        f.dispose()
        return Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, r.reduce((a, b) => a + b, 0) / 2]))
      }
      // rows each net is applied to per step
      assert.deepEqual(applications([critic, generator], 'sharedSamples'), { E: 0, G: BATCH, V: 0 })
      assert.deepEqual(applications([critic, generator]), { E: 0, G: 2 * BATCH, V: 0 })
      assert.deepEqual(applications(biganShape, 'sharedSamples'), { E: BATCH, G: BATCH, V: 0 })
      assert.deepEqual(applications(vaeGanShape, 'sharedSamples'), { E: 0, G: 2 * BATCH, V: BATCH })
      assert.deepEqual(applications(vaeGanShape), { E: 0, G: 4 * BATCH, V: 2 * BATCH })
    })

    it("runs the critic inside the generator's tape without holding its weights (its Adam stays in place)", () => {
      const kernels = stepKernels(backend)
      if (kernels.adam === undefined) return
      const inner = kernels.adam
      let fallbacks = 0
      const adam: typeof inner = (...args) => {
        const done = inner(...args)
        if (!done) fallbacks++
        return done
      }
      const f = fresh()
      const compiled = compileGame({ ...worldGame(f, biganShape), schedule: 'sharedSamples' }, f.nets, {
        seed: 3,
        kernels: { adam }
      })
      for (let s = 0; s < 2; s++) compiled.step(f.data)
      compiled.dispose()
      f.dispose()
      assert.equal(fallbacks, 0, 'every variable updated by the backend kernel')
    })

    it('a critic after the generator moves as if it moved first (GAN)', () => {
      assert.ok(readersMoveFirst(fresh, worldGame, generator, critic))
      // and that is not what alternating does: the schedule matters
      const shared = afterOneStep(fresh, (f) => ({ ...worldGame(f, [generator, critic]), schedule: 'sharedSamples' }))
      const alternating = afterOneStep(fresh, (f) => worldGame(f, [generator, critic]))
      assert.ok(agreeOn(shared, alternating, ['G']))
      assert.ok(!agreeOn(shared, alternating, ['D']))
    })

    it('a data critic after the encoder-generator reads its reconstructions and samples (α-GAN shape)', () => {
      assert.ok(readersMoveFirst(fresh, worldGame, encoderGenerator, dataCritic))
    })

    it('a sample no earlier player computed is computed with the current weights', () => {
      // the generator computes G(E(x)) but not G(prior): the critic reads the first from before the
      // generator's update and computes the second after it
      const world =
        (players: Parameters<typeof worldGame>[1], schedule?: 'sharedSamples') => (f: ReturnType<typeof fresh>) => ({
          ...worldGame(f, players),
          schedule
        })
      const partial = player('generator', ['G'], L.nonSaturating('D', G(E)))
      const shared = afterOneStep(fresh, world([partial, dataCritic], 'sharedSamples'))
      assert.ok(
        !agreeOn(shared, afterOneStep(fresh, world([dataCritic, partial])), ['D']),
        'not as if the critic moved first'
      )
      assert.ok(!agreeOn(shared, afterOneStep(fresh, world([partial, dataCritic])), ['D']), 'not alternating either')
    })

    it('leaks no tensor, and frees no reported value early', () => {
      for (const players of [[encoderGenerator, dataCritic, critic], vaeGanShape, wganShape]) {
        const f = fresh()
        const compiled = compileGame({ ...worldGame(f, players), schedule: 'sharedSamples' }, f.nets, {
          kernels: stepKernels(backend)
        })
        compiled.step(f.data)
        const n = tf.memory().numTensors
        for (let i = 0; i < 3; i++) {
          const { values } = compiled.step(f.data)
          for (const [k, v] of values) assert.ok(!v.isDisposed, `${k} is still readable`)
        }
        assert.equal(tf.memory().numTensors, n, players.map((p) => p.name).join(', '))
        compiled.dispose()
        f.dispose()
      }
    })
  })
}

describe('Game.schedule codec', () => {
  it('reads both schedules and absence, and refuses others', () => {
    const g = { data: [2], prior: [1], nets: {}, players: [] }
    for (const schedule of [undefined, 'alternating', 'sharedSamples'])
      assert.ok(isRight(GameC.decode({ ...g, schedule })))
    assert.ok(!isRight(GameC.decode({ ...g, schedule: 'simultaneous' })))
  })
})
