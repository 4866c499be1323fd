/**
 * What the `sharedSamples` schedule computes (Game.schedule, src/compile/samples.ts), as laws over one
 * training step from fixed weights:
 *
 * - **no earlier update, no change**: when no player updates a sampler net before a later player reads
 *   it, `sharedSamples` and `alternating` take the same step, float for float (there the later player
 *   computes the samples first and the earlier ones read them: src/compile/samples.ts `presamples`);
 * - **readers move first**: in a step [S, R] where S updates the samplers R reads, computes every
 *   sample R reads, and R updates no sampler, S moves as under `alternating`, and R moves as it would
 *   under `alternating` had it moved before S.
 *
 * A sample no earlier player computed is computed with the current weights (test/schedule.test.ts).
 */

import { compileGame } from '../src/compile/step.ts'
import type { Game, Player } from '../src/core/Game.ts'
import type { Fixture } from './fixture.ts'

/** Every variable of the fixture after one step of `game` from the fixture's initial weights. */
export const afterOneStep = (fresh: () => Fixture, game: (f: Fixture) => Game): Map<string, Float32Array> => {
  const f = fresh()
  try {
    const compiled = compileGame(game(f), f.nets, { seed: 3 })
    compiled.step(f.data)
    compiled.dispose()
    return new Map(
      f.vars.map((v, i) => [`${f.owner[i]}:${v.name.replace(/_\d+$/, '')}:${i}`, v.dataSync() as Float32Array])
    )
  } finally {
    f.dispose()
  }
}

const same = (a: Float32Array | undefined, b: Float32Array | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => Object.is(x, b[i]))

/** The variables of `nets` agree between two snapshots. */
export const agreeOn = (
  a: Map<string, Float32Array>,
  b: Map<string, Float32Array>,
  nets: ReadonlyArray<string>
): boolean => [...a.keys()].filter((k) => nets.includes(k.split(':')[0])).every((k) => same(a.get(k), b.get(k)))

const withSchedule =
  (g: (f: Fixture) => Game, schedule: Game['schedule']) =>
  (f: Fixture): Game => ({ ...g(f), schedule })

/** Law 1: `players` in which sampler owners move after the players that read their samples. */
export const noEarlierUpdate = (fresh: () => Fixture, game: (f: Fixture) => Game): boolean => {
  const alternating = afterOneStep(fresh, withSchedule(game, 'alternating'))
  const shared = afterOneStep(fresh, withSchedule(game, 'sharedSamples'))
  return agreeOn(
    alternating,
    shared,
    [...alternating.keys()].map((k) => k.split(':')[0])
  )
}

/** Law 2: S updates the samplers that R reads, R moves second. */
export const readersMoveFirst = (
  fresh: () => Fixture,
  world: (f: Fixture, players: Game['players']) => Game,
  s: Player,
  r: Player
): boolean => {
  const shared = afterOneStep(fresh, (f) => ({ ...world(f, [s, r]), schedule: 'sharedSamples' }))
  const sFirst = afterOneStep(fresh, (f) => world(f, [s, r]))
  const rFirst = afterOneStep(fresh, (f) => world(f, [r, s]))
  return agreeOn(shared, sFirst, s.nets) && agreeOn(shared, rFirst, r.nets)
}
