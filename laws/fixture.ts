/**
 * A tiny world for numeric laws: data of 3 features, a prior of 2, and small nets that every term of
 * the algebra can be written against. Tiny shapes keep tensor-backed properties fast.
 */
import * as tf from '@tensorflow/tfjs'

import type { Binding } from '../src/compile/Net.ts'
import type { Game, Signature } from '../src/core/Game.ts'
import { mlp } from '../src/nets/index.ts'

export const DATA = 3
export const PRIOR = 2
export const BATCH = 4

/** Nets that read samples: E (x → z), G (z → x), V (x → mean and log-variance of z). */
export const SAMPLE_NETS = ['E', 'G', 'V'] as const
/** Critics: D on x, C on z, J on (x, z). */
export const CRITIC_NETS = ['D', 'C', 'J'] as const

export interface Fixture {
  readonly nets: Binding
  readonly data: tf.Tensor
  readonly prior: tf.Tensor
  readonly signatures: Readonly<Record<string, Signature>>
  readonly vars: ReadonlyArray<tf.Variable>
  /** Which net each of `vars` belongs to. */
  readonly owner: ReadonlyArray<string>
  dispose(): void
}

export const fixture = (seed = 1): Fixture => {
  const nets: Record<string, ReturnType<typeof mlp>> = {
    E: mlp([DATA, 5, PRIOR], { hidden: 'leakyRelu', seed: seed + 1, name: 'E' }),
    G: mlp([PRIOR, 5, DATA], { hidden: 'relu', out: 'tanh', seed: seed + 2, name: 'G' }),
    V: mlp([DATA, 5, 2 * PRIOR], { hidden: 'leakyRelu', seed: seed + 3, name: 'V' }),
    D: mlp([DATA, 5, 1], { hidden: 'leakyRelu', seed: seed + 4, name: 'D' }),
    C: mlp([PRIOR, 5, 1], { hidden: 'leakyRelu', seed: seed + 5, name: 'C' }),
    J: mlp([DATA + PRIOR, 5, 1], { hidden: 'leakyRelu', seed: seed + 6, name: 'J' })
  }
  const data = tf.randomUniform([BATCH, DATA], -1, 1, 'float32', seed + 7)
  const prior = tf.randomNormal([BATCH, PRIOR], 0, 1, 'float32', seed + 8)
  const entries = Object.entries(nets)
  return {
    nets,
    data,
    prior,
    signatures: Object.fromEntries(entries.map(([k, n]) => [k, n.signature])),
    vars: entries.flatMap(([, n]) => n.variables),
    owner: entries.flatMap(([k, n]) => n.variables.map(() => k)),
    dispose: () => {
      for (const n of Object.values(nets)) n.dispose()
      tf.dispose([data, prior])
    }
  }
}

/** A game over the fixture's world. */
export const worldGame = (f: Fixture, players: Game['players']): Game => ({
  data: [DATA],
  prior: [PRIOR],
  nets: f.signatures,
  players
})
