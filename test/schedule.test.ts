/**
 * The `sharedSamples` schedule (Game.schedule): the laws of laws/schedule.ts on a GAN and an α-GAN
 * shaped game, no leaks, and the codec.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import { isRight } from 'fp-ts/lib/Either.js'

import { afterOneStep, agreeOn, noEarlierUpdate, readersMoveFirst } from '../laws/schedule.ts'
import { fixture, worldGame } from '../laws/fixture.ts'
import { GameC } from '../src/codec/game.ts'
import { compileGame } from '../src/compile/step.ts'
import { apply, data, prior } from '../src/core/Expr.ts'
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

for (const backend of testBackends.filter((b) => b !== 'tensorflow')) {
  describe(`sharedSamples on ${backend}`, () => {
    before(() => useBackend(backend))

    it('is alternating when the samplers move after their readers (GAN: critic, then generator)', () => {
      assert.ok(noEarlierUpdate(fresh, (f) => worldGame(f, [critic, generator])))
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

    it('leaks no tensor', () => {
      const f = fresh()
      const compiled = compileGame(
        { ...worldGame(f, [encoderGenerator, dataCritic, critic]), schedule: 'sharedSamples' },
        f.nets
      )
      compiled.step(f.data)
      const n = tf.memory().numTensors
      for (let i = 0; i < 3; i++) compiled.step(f.data)
      assert.equal(tf.memory().numTensors, n)
      compiled.dispose()
      f.dispose()
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
