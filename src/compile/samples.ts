/**
 * The `sharedSamples` schedule (Game.schedule): one step's samples, computed once and read by later
 * players with their gradient stopped.
 *
 * A sample is the output of a *sampler* net: one whose output another net reads somewhere in the
 * game (G in D(G(z)) or in nonSaturating('D', G(z)), E in J(pair(x, E(x)))). The first player to
 * evaluate a sampler application offers its value; a later player that does not update that net
 * reads it instead of recomputing it. A player that updates the net recomputes it (it needs the
 * gradient), and so do all applications of non-sampler nets (critic outputs).
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Expr } from '../core/Expr.ts'
import * as X from '../core/Expr.ts'
import type { Game } from '../core/Game.ts'
import { applicationsOf } from './batching.ts'
import { stopGradient } from './gradients.ts'
import type { SharedValues } from './term.ts'

/**
 * The nets whose outputs some net reads: applied inside an `Apply`'s input, or inside a term that
 * names a critic (`critic: 'D'` applies D to the term's samples). Terms are plain data: a structural
 * walk sees every expression, whatever the term's tag.
 */
const readNets = (node: unknown, read: boolean, out: Set<string>): Set<string> => {
  if (Array.isArray(node)) for (const n of node) readNets(n, read, out)
  else if (typeof node === 'object' && node !== null) {
    const o = node as { _tag?: unknown; net?: unknown; critic?: unknown; input?: unknown }
    if (o._tag === 'Apply') {
      if (read && typeof o.net === 'string') out.add(o.net)
      readNets(o.input, true, out)
    } else {
      const inner = read || typeof o.critic === 'string'
      for (const v of Object.values(node)) readNets(v, inner, out)
    }
  }
  return out
}

/** The sampler nets of a game. */
export const samplerNets = (game: Game): ReadonlySet<string> =>
  readNets(
    game.players.map((p) => p.loss),
    false,
    new Set()
  )

/**
 * Per player, the keys of the samples it computes *before* the players ahead of it move (empty: none).
 * A player takes its samples early when an earlier player reads them and no earlier player updates
 * any net they apply: they are the same values then, and the earlier players read them (gradient
 * stopped) instead of computing them, while the later player, whose tape recorded them, keeps their
 * gradient. So in a critic-first game (GAN, VAE-GAN, BiGAN) G(z), E(x) and G(E(x)) are computed once
 * per step instead of once by the critic and again by the generator, and the step is the same
 * (laws/schedule.ts). Decided on the players' nets and losses alone, whichever players step.
 */
export const presamples = (game: Game, samplers: ReadonlySet<string>): ReadonlyArray<ReadonlySet<string>> =>
  game.players.map((p, j) => {
    const earlier = game.players.slice(0, j)
    const updated = new Set(earlier.flatMap((q) => q.nets))
    const read = new Set(earlier.flatMap((q) => applicationsOf(q.loss).map(X.key)))
    const early = applicationsOf(p.loss).filter((a) => samplers.has(a.net) && X.netsOf(a).every((n) => !updated.has(n)))
    return new Set(early.some((a) => read.has(X.key(a))) ? early.map(X.key) : [])
  })

export interface SampleCache {
  /** What one player shares: it reads samples of nets it does not update, and offers what it computes. */
  forPlayer(updates: ReadonlyArray<string>): SharedValues
  /** Frees the step's samples. */
  dispose(): void
}

export const sampleCache = (samplers: ReadonlySet<string>): SampleCache => {
  const values = new Map<string, tf.Tensor>()
  const isSample = (e: Expr): e is X.Apply => e._tag === 'Apply' && samplers.has(e.net)
  return {
    forPlayer: (updates) => ({
      read: (e, k) => {
        if (!isSample(e) || updates.includes(e.net)) return undefined
        const t = values.get(k)
        return t === undefined ? undefined : stopGradient(t)
      },
      write: (e, k, t) => {
        if (isSample(e) && !values.has(k)) values.set(k, tf.keep(t))
      }
    }),
    dispose: () => {
      tf.dispose([...values.values()])
      values.clear()
    }
  }
}
