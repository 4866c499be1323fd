/**
 * Game semantics against the reference: players step on the iterations `every` names, each in order
 * and each by one step of its optimiser on the reference gradient of its own loss at the current
 * weights; every `data`/`prior`/noise occurrence of a step reads that step's one draw.
 *
 * A compiled game makes its draws inside `step`; they are reproduced here from the game's seed the
 * way src/compile/step.ts makes them (the prior from `drawSeed(seed, i, 'prior')`, the noise from an
 * environment seeded `drawSeed(seed, i)`). Should the compiler draw otherwise, the reference reads
 * other numbers and these laws fail: they cannot pass by accident.
 */
import * as tf from '@tensorflow/tfjs'

import { compileGame } from '../src/compile/step.ts'
import { drawSeed } from '../src/compile/term.ts'
import type { Binding } from '../src/compile/Net.ts'
import type { Game, Optimizer } from '../src/core/Game.ts'
import { player } from '../src/core/Game.ts'
import type { Loss } from '../src/core/Loss.ts'
import type { Batch, RefNet, World } from './reference.ts'
import { refGradient, refLoss } from './reference.ts'
import type { TfWorld, WorldSpec } from './reference-nets.ts'
import { DATA, PRIOR, paramsOf, signatures, tfWorld, worldOf } from './reference-nets.ts'
import type { Draw } from './semantics.ts'
import { compileTerm, Disagreement, noiseFrom } from './semantics.ts'

/** Whether a player with `every` steps on iteration `i` (0-based), from `Player.every`'s definition. */
export const stepsOn = (every: number, i: number): boolean => (i + 1) % every === 0

export interface PlayerCase {
  readonly loss: Loss
  readonly nets: ReadonlyArray<string>
  readonly every: number
  readonly optimizer: Optimizer
}

export interface GameCase {
  readonly spec: WorldSpec
  readonly players: ReadonlyArray<PlayerCase>
  readonly iterations: number
  /** The compiled game's seed. */
  readonly seed: number
}

const gameOf = (c: GameCase): Game => ({
  data: [DATA],
  prior: [PRIOR],
  nets: signatures,
  players: c.players.map((p, k) => player(`p${k}`, p.nets, p.loss, { every: p.every, optimizer: p.optimizer }))
})

/** The prior a compiled game draws at iteration `i`, reproduced from its seed. */
export const stepPrior = (seed: number, i: number, batch: number): tf.Tensor2D =>
  tf.randomNormal([batch, PRIOR], 0, 1, 'float32', drawSeed(seed, i, 'prior'))

/** The step's prior rows and every noise draw the players' losses make, reproduced. */
const stepDraws = (c: GameCase, tw: TfWorld, i: number): { prior: Batch; draws: Map<string, Draw> } => {
  const prior = stepPrior(c.seed, i, c.spec.batch)
  try {
    const draws = new Map<string, Draw>()
    for (const p of c.players)
      for (const [id, d] of compileTerm(p.loss, tw.nets, tw.data, prior, i, drawSeed(c.seed, i)).draws) draws.set(id, d)
    return { prior: prior.arraySync(), draws }
  } finally {
    prior.dispose()
  }
}

const readNets = (nets: Binding, like: Readonly<Record<string, RefNet>>): Record<string, RefNet> =>
  Object.fromEntries(Object.entries(like).map(([n, r]) => [n, { layers: r.layers, params: paramsOf(nets[n]) }]))

/** Runs a compiled game against the reference, calling `check` after every step; frees everything and checks for leaks. */
const withGame = (
  c: GameCase,
  each: (
    i: number,
    stepped: ReadonlySet<string>,
    before: Record<string, RefNet>,
    after: Record<string, RefNet>,
    draws: { prior: Batch; draws: Map<string, Draw> },
    values: ReadonlyMap<string, number>
  ) => void
): void => {
  const parts = worldOf(c.spec)
  const tensors = tf.memory().numTensors
  const tw = tfWorld(parts)
  const compiled = compileGame(gameOf(c), tw.nets, { seed: c.seed })
  try {
    for (let i = 0; i < c.iterations; i++) {
      const draws = stepDraws(c, tw, i)
      const before = readNets(tw.nets, parts.nets)
      const report = compiled.step(tw.data)
      const stepped = new Set(c.players.map((_, k) => `p${k}`).filter((n) => report.values.has(n)))
      const values = new Map([...report.values].map(([k, t]) => [k, t.dataSync()[0]]))
      each(i, stepped, before, readNets(tw.nets, parts.nets), draws, values)
    }
  } finally {
    compiled.dispose()
    tw.dispose()
  }
  const left = tf.memory().numTensors - tensors
  if (left !== 0) throw new Error(`the game left ${left} tensors behind`)
}

/**
 * `every: n` steps a player exactly on the iterations it names: it reports a value on those and no
 * others, and its own nets (no other player's) change on those and no others.
 */
export const stepsOnItsIterations = (c: GameCase): boolean => {
  withGame(c, (i, stepped, before, after) => {
    c.players.forEach((p, k) => {
      const should = stepsOn(p.every, i)
      if (stepped.has(`p${k}`) !== should)
        throw new Error(`iteration ${i}: player p${k} (every ${p.every}) ${should ? 'did not step' : 'stepped'}`)
      for (const n of p.nets) {
        const moved = after[n].params.some((v, j) => v !== before[n].params[j])
        if (moved !== should)
          throw new Error(`iteration ${i}: net ${n} of player p${k} (every ${p.every}) ${moved ? 'moved' : 'stayed'}`)
      }
    })
  })
  return true
}

interface AdamSlots {
  t: number
  readonly m: Record<string, Array<number>>
  readonly v: Record<string, Array<number>>
}

/** tfjs's Adam ε (the backend's float32 epsilon), which the compiler keeps. */
export const ADAM_EPSILON = 1e-7

export interface UpdateTolerance {
  /** Relative to the reference update. */
  readonly rtol: number
  /** Absolute, in units of a parameter. */
  readonly atol: number
  /** The gradient's uncertainty, relative to its largest entry (float32 against float64). */
  readonly grad: number
}
export const defaultUpdateTolerance: UpdateTolerance = { rtol: 1e-3, atol: 2e-6, grad: 2e-4 }

/**
 * Each player's update, in order, is one step of its optimiser (SGD: θ − η·g; Adam with bias-corrected
 * moments) on the reference gradient g of its own loss at the weights it sees (those the players
 * before it left), in the step's world (its iteration, prior and noise). Nets no stepping player owns
 * do not move.
 */
export const updatesAreOptimiserSteps =
  (tol: UpdateTolerance = defaultUpdateTolerance) =>
  (c: GameCase): boolean => {
    const parts = worldOf(c.spec)
    const slots: Array<AdamSlots> = c.players.map(() => ({ t: 0, m: {}, v: {} }))
    withGame(c, (i, stepped, before, after, { prior, draws }) => {
      const nets: Record<string, RefNet> = { ...before }
      // how far each parameter may be off: the compiled gradient is float32
      const slack: Record<string, Array<number>> = Object.fromEntries(
        Object.entries(nets).map(([n, r]) => [n, r.params.map(() => 0)])
      )
      c.players.forEach((p, k) => {
        if (stepped.has(`p${k}`) !== stepsOn(p.every, i))
          throw new Error(`iteration ${i}: player p${k} (every ${p.every}) stepped wrongly`)
        if (!stepsOn(p.every, i)) return
        const w: World = { nets, data: parts.data, prior, step: i, noise: noiseFrom(draws) }
        const r = refLoss(p.loss, w)
        if (r.kinked)
          throw new Error(
            `iteration ${i}: player p${k}'s loss sits on a kink, it has no gradient (filter such terms with \`hasGradient\`)`
          )
        const grads = Object.fromEntries(p.nets.map((n) => [n, refGradient(p.loss, w, n)]))
        const scale = Math.max(1, ...Object.values(grads).flatMap((g) => g.map(Math.abs)))
        const s = slots[k]
        s.t++
        for (const n of p.nets) {
          const g = grads[n]
          const o = p.optimizer
          let delta: Array<number>
          if (o._tag === 'Sgd') {
            delta = g.map((gi) => -o.learningRate * gi)
            slack[n] = slack[n].map((x, j) => x + o.learningRate * tol.grad * scale + tol.rtol * Math.abs(delta[j]))
          } else {
            const m = (s.m[n] ??= g.map(() => 0))
            const v = (s.v[n] ??= g.map(() => 0))
            g.forEach((gi, j) => {
              m[j] = o.beta1 * m[j] + (1 - o.beta1) * gi
              v[j] = o.beta2 * v[j] + (1 - o.beta2) * gi * gi
            })
            const mh = m.map((x) => x / (1 - o.beta1 ** s.t))
            const vh = v.map((x) => x / (1 - o.beta2 ** s.t))
            delta = mh.map((x, j) => (-o.learningRate * x) / (Math.sqrt(vh[j]) + ADAM_EPSILON))
            // a gradient entry as small as its uncertainty may turn Adam's step any way
            const dg = tol.grad * scale
            slack[n] = slack[n].map(
              (x, j) =>
                x + tol.rtol * Math.abs(delta[j]) + o.learningRate * Math.min(2, (4 * dg) / (Math.abs(g[j]) + dg))
            )
          }
          nets[n] = { ...nets[n], params: nets[n].params.map((x, j) => x + delta[j]) }
        }
      })
      for (const n of Object.keys(nets)) {
        nets[n].params.forEach((r, j) => {
          const a = after[n].params[j]
          if (!(Math.abs(a - r) <= tol.atol * Math.max(1, Math.abs(r)) + slack[n][j])) {
            throw new Error(
              `iteration ${i}: ${n}[${j}] is ${a} after the step, the reference update gives ${r} (from ${before[n].params[j]})\n  players: ${c.players.map((p, k) => `p${k}[${p.nets}] every ${p.every} ${p.optimizer._tag}: ${JSON.stringify(p.loss)}`).join('\n    ')}`
            )
          }
        })
      }
    })
    return true
  }

/**
 * Whether a term has a gradient in a world: not on a kink such as |y − o| at y = o, which holds
 * whatever the noise (the check reads a constant noise of ½).
 */
export const hasGradient = (spec: WorldSpec, loss: Loss): boolean =>
  !refLoss(loss, {
    ...worldOf(spec),
    noise: {
      gaussian: (_, rows, cols) => Array.from({ length: rows }, () => new Array<number>(cols).fill(0.5)),
      penalty: (_, rows) => new Array<number>(rows).fill(0.5)
    }
  }).kinked

/**
 * Every named value of every player, at every step, equals the reference computed with the step's
 * one prior draw and one noise draw per node: all occurrences of `prior` (stopped or not, in every
 * player) read the same draw, `data` the same batch, and equal `gaussian` nodes the same noise.
 * The players must not move the nets a later player reads (SGD at rate 0): the reference reads the
 * weights from before the step.
 */
export const oneDrawPerStep =
  (rtol = 1e-4) =>
  (c: GameCase): boolean => {
    const data = worldOf(c.spec).data
    withGame(c, (i, _stepped, nets, _after, { prior, draws }, values) => {
      c.players.forEach((p, k) => {
        if (!stepsOn(p.every, i)) return
        const r = refLoss(p.loss, { nets, data, prior, step: i, noise: noiseFrom(draws) })
        for (const [label, v] of r.named) {
          const got = values.get(`p${k}/${label}`)
          if (got === undefined || !(Math.abs(got - v) <= rtol * Math.max(1, Math.abs(v)))) {
            throw new Disagreement(
              `iteration ${i}, player p${k}: named "${label}" is ${got}, the reference with one draw gives ${v}`,
              p.loss
            )
          }
        }
      })
    })
    return true
  }
