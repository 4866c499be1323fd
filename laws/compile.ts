/**
 * The compiler's laws as predicates over the fixture's world: it is a homomorphism for values and
 * gradients, `stop` keeps values and zeroes gradients, a player's step moves only its own variables,
 * and steps do not leak tensors.
 */
import * as tf from '@tensorflow/tfjs'

import { withInputs } from '../src/compile/loss.ts'
import type { ValueAndGrads } from '../src/compile/loss.ts'
import { compileGame } from '../src/compile/step.ts'
import { stop } from '../src/core/Expr.ts'
import type { Game } from '../src/core/Game.ts'
import { player, sgd } from '../src/core/Game.ts'
import type { Loss } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import type { Fixture } from './fixture.ts'
import { CRITIC_NETS, SAMPLE_NETS, worldGame } from './fixture.ts'

export interface Tolerance {
  readonly rtol: number
  readonly atol: number
}
export const float32: Tolerance = { rtol: 1e-4, atol: 1e-5 }

export const close = (a: number, b: number, tol: Tolerance = float32): boolean =>
  Math.abs(a - b) <= tol.atol + tol.rtol * Math.max(Math.abs(a), Math.abs(b))

const allClose = (a: ArrayLike<number>, b: ArrayLike<number>, tol: Tolerance): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => close(v, b[i], tol))

/** Two results agree in value and every gradient. */
export const agree = (a: ValueAndGrads, b: ValueAndGrads, tol: Tolerance = float32): boolean =>
  close(a.value, b.value, tol) && a.grads.every((g, i) => allClose(g, b.grads[i], tol))

const combine = (a: ValueAndGrads, b: ValueAndGrads, f: (x: number, y: number) => number): ValueAndGrads => ({
  value: f(a.value, b.value),
  grads: a.grads.map((g, i) => g.map((v, j) => f(v, b.grads[i][j]))),
  named: {}
})

const scaled = (k: number, a: ValueAndGrads): ValueAndGrads => ({
  value: k * a.value,
  grads: a.grads.map((g) => g.map((v) => k * v)),
  named: {}
})

/** Tolerance relative to the size of the parts: sums of large opposite terms lose absolute precision. */
const scaledTol = (tol: Tolerance, ...parts: ReadonlyArray<ValueAndGrads>): Tolerance => {
  const big = Math.max(
    1,
    ...parts.flatMap((p) => [Math.abs(p.value), ...p.grads.flatMap((g) => Array.from(g, Math.abs))])
  )
  return { rtol: tol.rtol, atol: tol.atol * big }
}

export const homomorphism = {
  /** ⟦add(a, b)⟧ = ⟦a⟧ + ⟦b⟧, values and gradients. */
  add:
    (f: Fixture, tol: Tolerance = float32) =>
    (a: Loss, b: Loss): boolean =>
      withInputs(f.nets, f, (run) => {
        const ra = run(a, f.vars)
        const rb = run(b, f.vars)
        return agree(
          run(L.add(a, b), f.vars),
          combine(ra, rb, (x, y) => x + y),
          scaledTol(tol, ra, rb)
        )
      }),
  /** ⟦scale(k, a)⟧ = k·⟦a⟧, values and gradients. */
  scale:
    (f: Fixture, tol: Tolerance = float32) =>
    (k: number, a: Loss): boolean =>
      withInputs(f.nets, f, (run) => {
        const ra = run(a, f.vars)
        return agree(run(L.scale(k, a), f.vars), scaled(k, ra), scaledTol(tol, ra))
      }),
  /** ⟦zero⟧ = 0 with zero gradients, and ⟦add(a, zero)⟧ = ⟦a⟧. */
  zero:
    (f: Fixture, tol: Tolerance = float32) =>
    (a: Loss): boolean =>
      withInputs(f.nets, f, (run) => {
        const z = run(L.zero, f.vars)
        const ra = run(a, f.vars)
        return (
          z.value === 0 &&
          z.grads.every((g) => g.every((v) => v === 0)) &&
          agree(run(L.add(a, L.zero), f.vars), ra, scaledTol(tol, ra))
        )
      }),
  /** Terms equal under `Eq` (same normal form) compile to the same value and gradients. */
  respectsEq:
    (f: Fixture, tol: Tolerance = float32) =>
    (a: Loss): boolean =>
      withInputs(f.nets, f, (run) => {
        const ra = run(a, f.vars)
        return agree(run(L.normalize(a), f.vars), ra, scaledTol(tol, ra))
      })
}

/**
 * With every sample wrapped in `stop`, a term keeps its value, the nets that make samples get zero
 * gradient, and the critics keep theirs.
 */
export const stopLaw =
  (f: Fixture, tol: Tolerance = float32) =>
  (a: Loss): boolean =>
    withInputs(f.nets, f, (run) => {
      const ra = run(a, f.vars)
      const rs = run(L.mapExprs(stop)(a), f.vars)
      const t = scaledTol(tol, ra)
      return (
        close(rs.value, ra.value, t) &&
        f.owner.every((net, i) =>
          (SAMPLE_NETS as ReadonlyArray<string>).includes(net)
            ? rs.grads[i].every((v) => v === 0)
            : (CRITIC_NETS as ReadonlyArray<string>).includes(net) && allClose(rs.grads[i], ra.grads[i], t)
        )
      )
    })

const snapshot = (f: Fixture): Array<Float32Array> => f.vars.map((v) => (v.dataSync() as Float32Array).slice())

/**
 * A one-player game that trains `nets` on `loss` changes no variable outside `nets` (exactly), and
 * every variable it changes is one of its own.
 */
export const playerLocality =
  (f: Fixture) =>
  (loss: Loss, nets: ReadonlyArray<string>): boolean => {
    const game: Game = worldGame(f, [player('p', nets, loss, { optimizer: sgd(0.1) })])
    const before = snapshot(f)
    const compiled = compileGame(game, f.nets, { seed: 3 })
    try {
      compiled.step(f.data)
    } finally {
      compiled.dispose()
    }
    const after = snapshot(f)
    return f.owner.every((net, i) => nets.includes(net) || after[i].every((v, j) => v === before[i][j]))
  }

/**
 * After warm-up (until every player has stepped once and made its optimiser state), further steps
 * leave `tf.memory().numTensors` unchanged.
 */
export const noLeak =
  (f: Fixture, steps = 2) =>
  (game: Game): boolean => {
    const compiled = compileGame(game, f.nets, { seed: 5 })
    try {
      // a full period of the players' schedules: the same players report at its end
      const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
      const period = game.players.reduce((l, p) => (l * p.every) / gcd(l, p.every), 1)
      for (let i = 0; i < period; i++) compiled.step(f.data)
      const n = tf.memory().numTensors
      for (let i = 0; i < steps * period; i++) compiled.step(f.data)
      return tf.memory().numTensors === n
    } finally {
      compiled.dispose()
    }
  }
