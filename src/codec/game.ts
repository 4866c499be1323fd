/**
 * Codecs of games: optimisers, net signatures, players.
 * @since 0.1.0
 */
import * as t from 'io-ts'

import type { Game, Optimizer, Player, Signature } from '../core/Game.ts'
import type { TaggedCodecs } from './primitives.ts'
import { Finite, Int, ShapeC, tagged } from './primitives.ts'
import { LossC } from './term.ts'

/** @category codecs */
export const optimizerCodecs: TaggedCodecs<Optimizer> = {
  Adam: t.type({ _tag: t.literal('Adam'), learningRate: Finite, beta1: Finite, beta2: Finite }),
  Sgd: t.type({ _tag: t.literal('Sgd'), learningRate: Finite })
}

export const OptimizerC: t.Type<Optimizer> = tagged<Optimizer>(optimizerCodecs)

export const SignatureC: t.Type<Signature> = t.type({ input: ShapeC, output: ShapeC })

export const PlayerC: t.Type<Player> = t.type({
  name: t.string,
  nets: t.readonlyArray(t.string),
  loss: LossC,
  every: Int,
  optimizer: OptimizerC
})

export const GameC: t.Type<Game> = t.intersection([
  t.type({
    data: ShapeC,
    prior: ShapeC,
    nets: t.record(t.string, SignatureC),
    players: t.readonlyArray(PlayerC)
  }),
  t.partial({ schedule: t.keyof({ alternating: null, sharedSamples: null }) })
])
