/**
 * The tfjs interpreter of terms: a fold from `Loss` to a scalar tensor, over an evaluation that shares
 * one data batch, one prior draw and one noise draw per step and computes each `apply` node once.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Expr } from '../core/Expr.ts'
import * as X from '../core/Expr.ts'
import type { Loss, LossMatch, Variant } from '../core/Loss.ts'
import * as L from '../core/Loss.ts'
import * as S from '../core/Schedule.ts'
import type { Batchable } from './batching.ts'
import { stopGradient } from './gradients.ts'
import type { Binding, Net } from './Net.ts'

// -------------------------------------------------------------------------------------
// the per-step environment
// -------------------------------------------------------------------------------------

/** FNV-1a of a string. */
const hash = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/**
 * A seed for a tfjs random op from its parts: never 0, which tfjs reads as "no seed" (a
 * `Math.random()` draw), so every draw is reproducible.
 */
export const drawSeed = (...parts: ReadonlyArray<number | string>): number =>
  (hash(parts.join('/')) % 2_147_483_646) + 1

/**
 * Which rows of each batch this process computes, when a step's batch is split over processes
 * (data parallel, `CompileOptions.shard`): part `index` of `count` equal parts.
 */
export interface Rows {
  readonly index: number
  readonly count: number
}

/**
 * A standard normal or uniform [0, 1) draw of `shape`, whose first axis is the batch. Split over
 * `rows`, every part draws the whole batch's noise and keeps its own rows, so that the parts of a
 * split step see exactly the noise of the step on the whole batch.
 */
export const drawRows = (
  kind: 'normal' | 'uniform',
  shape: ReadonlyArray<number>,
  seed: number,
  rows?: Rows
): tf.Tensor => {
  const make = (s: Array<number>): tf.Tensor =>
    kind === 'normal' ? tf.randomNormal(s, 0, 1, 'float32', seed) : tf.randomUniform(s, 0, 1, 'float32', seed)
  if (rows === undefined || rows.count === 1) return make([...shape])
  const [b, ...rest] = shape
  return tf.tidy(() => tf.slice(make([b * rows.count, ...rest]), rows.index * b, b))
}

/**
 * What every player of one step shares: the batch, the prior draw and the noise. Owns the tensors it
 * creates (prior, noise) until `dispose`.
 */
export class StepEnv {
  private readonly draws = new Map<string, tf.Tensor>()
  private readonly owned: Array<tf.Tensor> = []
  /** Named values recorded by the step's evaluations, by `player/label`. */
  readonly named = new Map<string, tf.Scalar>()

  constructor(
    readonly nets: Binding,
    readonly data: tf.Tensor,
    readonly prior: tf.Tensor,
    readonly step: number,
    private readonly seed: number,
    private readonly rows?: Rows
  ) {}

  /**
   * A draw shared by every player of this step (`shape`'s first axis is the batch), created on first
   * use and kept out of any `tidy`; split over `rows` like the batch (see `drawRows`).
   */
  draw(id: string, kind: 'normal' | 'uniform', shape: ReadonlyArray<number>): tf.Tensor {
    let t = this.draws.get(id)
    if (t === undefined) {
      t = tf.keep(drawRows(kind, shape, drawSeed(this.seed, id), this.rows))
      this.draws.set(id, t)
      this.owned.push(t)
    }
    return t
  }

  record(label: string, value: tf.Scalar): void {
    const prev = this.named.get(label)
    const kept = tf.keep(value.clone())
    if (prev === undefined) this.named.set(label, kept)
    else {
      // the same label twice in one loss: report the sum
      this.named.set(label, tf.keep(tf.add(prev, kept)))
      prev.dispose()
      kept.dispose()
    }
  }

  /** Frees the draws; named values are handed to the caller. */
  dispose(): void {
    tf.dispose(this.owned)
    this.owned.length = 0
    this.draws.clear()
  }
}

/** Values shared between the players of a step (the `sharedSamples` schedule, ./step.ts). */
export interface SharedValues {
  /** The value of `e` (key `k`) this player reads instead of computing it, if any. */
  read(e: Expr, k: string): tf.Tensor | undefined
  /** Offers a value this player computed. */
  write(e: Expr, k: string, t: tf.Tensor): void
}

/** One player's evaluation: memoises expressions by structural key (each `apply` node once). */
export class Evaluation implements Batchable {
  private readonly memo = new Map<string, tf.Tensor>()

  constructor(
    readonly env: StepEnv,
    readonly player: string,
    private readonly shared?: SharedValues
  ) {}

  expr(e: Expr): tf.Tensor {
    if (!this.known(e)) this.provide(e, this.compute(e))
    return this.memo.get(X.key(e))!
  }

  /** Whether `e`'s value is memoised, or shared by an earlier player (then memoised now). */
  known(e: Expr): boolean {
    const k = X.key(e)
    if (this.memo.has(k)) return true
    const t = this.shared?.read(e, k)
    if (t !== undefined) this.memo.set(k, t)
    return t !== undefined
  }

  /** Memoises `t` as `e`'s value and offers it to later players. */
  provide(e: Expr, t: tf.Tensor): void {
    const k = X.key(e)
    this.shared?.write(e, k, t)
    this.memo.set(k, t)
  }

  rowwise(net: string): boolean {
    return this.net(net).rowwise === true
  }

  rowFloats(net: string): number | undefined {
    return this.net(net).rowFloats
  }

  apply(net: string, x: tf.Tensor): tf.Tensor {
    return this.net(net).apply(x)
  }

  /** A bound net, or an error naming the player and the net. */
  net(name: string): Net {
    const net = this.env.nets[name]
    if (net === undefined) throw new Error(`player "${this.player}": net "${name}" is not bound`)
    return net
  }

  /** The critic's logits on a sample, as a vector `[B]`. */
  logits(critic: string, e: Expr): tf.Tensor1D {
    const a = this.expr(X.apply(critic, e))
    return tf.reshape(a, [a.shape[0]]) as tf.Tensor1D
  }

  /** One case per expression tag (a new tag is a type error here). */
  private readonly compute: (e: Expr) => tf.Tensor = X.match<tf.Tensor>({
    Data: () => this.env.data,
    Prior: () => this.env.prior,
    Apply: (e) => this.net(e.net).apply(this.expr(e.input)),
    Gaussian: (e) => {
      const mean = this.expr(e.mean)
      const logVar = this.expr(e.logVar)
      const eps = this.env.draw(`eps:${X.key(X.unstop(e))}`, 'normal', mean.shape)
      return tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps))
    },
    Pair: (e) => {
      const x = this.expr(e.x)
      const z = this.expr(e.z)
      return tf.concat([tf.reshape(x, [x.shape[0], -1]), tf.reshape(z, [z.shape[0], -1])], 1)
    },
    Stop: (e) => stopGradient(this.expr(e.expr)),
    Chunk: (e) => {
      const t = this.expr(e.expr)
      const part = t.shape[t.rank - 1] / e.count
      const begin = t.shape.map((_, i) => (i === t.rank - 1 ? e.index * part : 0))
      return tf.slice(
        t,
        begin,
        t.shape.map((d, i) => (i === t.rank - 1 ? part : d))
      )
    }
  })
}

// -------------------------------------------------------------------------------------
// the interpreter
// -------------------------------------------------------------------------------------

/** The mean of every element, as a scalar. */
const mean = (t: tf.Tensor): tf.Scalar => tf.mean(t) as tf.Scalar

/** Sum over every axis but the batch axis, then mean over the batch. */
const perExample = (t: tf.Tensor): tf.Scalar =>
  t.rank <= 1
    ? mean(t)
    : mean(
        tf.sum(
          t,
          Array.from({ length: t.rank - 1 }, (_, i) => i + 1)
        )
      )

const reduce = (t: tf.Tensor, r: L.Reduction): tf.Scalar => (r === 'mean' ? mean(t) : perExample(t))

/** The critic-side loss on real logits and fake logits, one per fake set. */
const critics: Record<Variant, { real: (a: tf.Tensor) => tf.Scalar; fake: (a: tf.Tensor) => tf.Scalar }> = {
  bce: { real: (a) => mean(tf.softplus(tf.neg(a))), fake: (a) => mean(tf.softplus(a)) },
  hinge: { real: (a) => mean(tf.relu(tf.sub(1, a))), fake: (a) => mean(tf.relu(tf.add(1, a))) },
  leastSquares: {
    real: (a) => tf.mul(0.5, mean(tf.square(tf.sub(a, 1)))),
    fake: (a) => tf.mul(0.5, mean(tf.square(a)))
  },
  wasserstein: { real: (a) => tf.neg(mean(a)), fake: (a) => mean(a) }
}

/** ∇ₓ a(x) for a critic, per example, as a differentiable tensor (for penalties). */
const inputGradient = (ev: Evaluation, critic: string, x: tf.Tensor): tf.Tensor => {
  const net = ev.net(critic)
  return tf.grad((u: tf.Tensor) => tf.sum(net.apply(u)))(x)
}

const squaredNorms = (g: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.reshape(g, [g.shape[0], -1])), 1)

/**
 * The interpreter as an exhaustive record: each case folds its sub-terms with `go`.
 */
const cases = (ev: Evaluation, go: (t: Loss) => tf.Scalar): LossMatch<tf.Scalar> => ({
  Zero: () => tf.scalar(0),
  Reconstruction: (t) => {
    const target = ev.expr(t.target)
    const output = tf.reshape(ev.expr(t.output), target.shape)
    switch (t.norm) {
      case 'l1':
        return reduce(tf.abs(tf.sub(target, output)), t.reduction)
      case 'l2':
        return reduce(tf.square(tf.sub(target, output)), t.reduction)
      case 'bernoulli':
        // −[t log σ(o) + (1 − t) log(1 − σ(o))] = relu(o) − o·t + softplus(−|o|)
        return reduce(
          tf.add(tf.sub(tf.relu(output), tf.mul(output, target)), tf.softplus(tf.neg(tf.abs(output)))),
          t.reduction
        )
    }
  },
  DensityRatio: (t) => mean(ev.logits(t.critic, t.sample)),
  LatentKL: (t) => tf.neg(mean(ev.logits(t.critic, t.code))),
  GaussianKL: (t) => {
    const m = ev.expr(t.mean)
    const lv = ev.expr(t.logVar)
    return tf.mul(-0.5, perExample(tf.sub(tf.sub(tf.add(1, lv), tf.square(m)), tf.exp(lv))))
  },
  Classify: (t) => {
    const f = critics[t.variant]
    return t.fake.reduce<tf.Scalar>(
      (acc, s) => tf.add(acc, f.fake(ev.logits(t.critic, s))),
      f.real(ev.logits(t.critic, t.real))
    )
  },
  NonSaturating: (t) => mean(tf.softplus(tf.neg(ev.logits(t.critic, t.sample)))),
  Minimax: (t) => tf.neg(mean(tf.softplus(ev.logits(t.critic, t.sample)))),
  Critic: (t) => tf.neg(mean(ev.logits(t.critic, t.sample))),
  GradientPenalty: (t) => {
    const real = ev.expr(t.real)
    const fake = tf.reshape(ev.expr(t.fake), real.shape)
    const epsShape = [real.shape[0], ...real.shape.slice(1).map(() => 1)]
    // one draw per (critic, real, fake), whether or not the samples are stopped
    const eps = ev.env.draw(`gp:${t.critic}:${X.key(X.unstop(t.real))};${X.key(X.unstop(t.fake))}`, 'uniform', epsShape)
    const mixed = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake))
    const norms = tf.sqrt(tf.add(squaredNorms(inputGradient(ev, t.critic, mixed)), 1e-12))
    return mean(tf.square(tf.sub(norms, 1)))
  },
  R1: (t) => mean(squaredNorms(inputGradient(ev, t.critic, ev.expr(t.real)))),
  Sum: (t) => (t.terms.length === 0 ? tf.scalar(0) : t.terms.map(go).reduce((a, b) => tf.add(a, b))),
  Scale: (t) => tf.mul(go(t.term), t.k),
  Named: (t) => {
    const v = go(t.term)
    ev.env.record(`${ev.player}/${t.label}`, v)
    return v
  },
  Weighted: (t) => tf.mul(go(t.term), S.at(t.schedule, ev.env.step))
})

/** Compiles a term against an evaluation: the scalar value, recorded on the gradient tape. */
export const evaluate = (term: Loss, ev: Evaluation): tf.Scalar => {
  const go = (t: Loss): tf.Scalar => L.match(table)(t)
  const table = cases(ev, go)
  return go(term)
}
