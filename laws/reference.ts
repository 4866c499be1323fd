/**
 * A reference interpreter of terms, independent of tfjs: plain TypeScript in float64 over small
 * batches of flat vectors, with nets as small explicit functions (affine maps and tiny MLPs with
 * their own parameter vectors). Every case is written from the definition in the doc comments of
 * src/core/Loss.ts, Expr.ts and Schedule.ts, not from the compiler.
 *
 * `stop` is read as its definition: the value at the current parameters, constant in them. The
 * interpreter therefore evaluates a term at `live` parameters but every stopped sub-expression at
 * `frozen` ones; finite differences in `live` around `frozen` are then the gradient `stop` promises.
 */
import type { Expr, Gaussian } from '../src/core/Expr.ts'
import type { GradientPenalty, Loss } from '../src/core/Loss.ts'
import type { Schedule } from '../src/core/Schedule.ts'

/** One example, flat. */
export type Vec = ReadonlyArray<number>
/** A batch: one flat vector per example. */
export type Batch = ReadonlyArray<Vec>

// -------------------------------------------------------------------------------------
// nets as explicit functions
// -------------------------------------------------------------------------------------

export type Activation = 'linear' | 'tanh' | 'leakyRelu'
/** The negative slope of the leaky ReLU (tfjs's and the nets' 0.2). */
export const LEAKY_SLOPE = 0.2

export interface Layer {
  readonly inputs: number
  readonly outputs: number
  readonly activation: Activation
}

/**
 * A dense net y = act(… act(x·W₀ + b₀) …·Wₖ + bₖ). `params` holds, layer after layer, W (inputs ×
 * outputs, row-major) then b: the order of a tfjs net's variables `[W₀, b₀, W₁, b₁, …]`, flattened.
 */
export interface RefNet {
  readonly layers: ReadonlyArray<Layer>
  readonly params: ReadonlyArray<number>
}

export const paramCount = (layers: ReadonlyArray<Layer>): number =>
  layers.reduce((n, l) => n + l.inputs * l.outputs + l.outputs, 0)

const act = (a: Activation, u: number): number =>
  a === 'tanh' ? Math.tanh(u) : a === 'leakyRelu' ? (u > 0 ? u : LEAKY_SLOPE * u) : u
const actDerivative = (a: Activation, u: number): number =>
  a === 'tanh' ? 1 - Math.tanh(u) ** 2 : a === 'leakyRelu' ? (u > 0 ? 1 : LEAKY_SLOPE) : 1

/** The pre-activations and activations of every layer. */
const forward = (net: RefNet, x: Vec): { pre: Array<Array<number>>; post: Array<Vec> } => {
  const pre: Array<Array<number>> = []
  const post: Array<Vec> = [x]
  let off = 0
  let h = x
  for (const l of net.layers) {
    if (h.length !== l.inputs) throw new RangeError(`reference net: a layer of ${l.inputs} inputs got ${h.length}`)
    const u: Array<number> = []
    for (let j = 0; j < l.outputs; j++) {
      let s = net.params[off + l.inputs * l.outputs + j]
      for (let i = 0; i < l.inputs; i++) s += h[i] * net.params[off + i * l.outputs + j]
      u.push(s)
    }
    off += l.inputs * l.outputs + l.outputs
    pre.push(u)
    h = u.map((v) => act(l.activation, v))
    post.push(h)
  }
  return { pre, post }
}

/** net(x) for one example. */
export const applyNet = (net: RefNet, x: Vec): Vec => {
  const { post } = forward(net, x)
  return post[post.length - 1]
}

/** ∇ₓ net(x) of a one-output net, by backpropagation written out. */
export const inputGradient = (net: RefNet, x: Vec): Vec => {
  const { pre } = forward(net, x)
  const offsets: Array<number> = []
  let off = 0
  for (const l of net.layers) {
    offsets.push(off)
    off += l.inputs * l.outputs + l.outputs
  }
  const last = net.layers[net.layers.length - 1]
  if (last.outputs !== 1)
    throw new RangeError(`reference net: an input gradient needs one output, this net has ${last.outputs}`)
  let delta: Array<number> = [1]
  for (let k = net.layers.length - 1; k >= 0; k--) {
    const l = net.layers[k]
    const d = delta.map((v, j) => v * actDerivative(l.activation, pre[k][j]))
    const back: Array<number> = []
    for (let i = 0; i < l.inputs; i++) {
      let s = 0
      for (let j = 0; j < l.outputs; j++) s += net.params[offsets[k] + i * l.outputs + j] * d[j]
      back.push(s)
    }
    delta = back
  }
  return delta
}

// -------------------------------------------------------------------------------------
// the world a term is evaluated in
// -------------------------------------------------------------------------------------

/** The step's random draws, by the node that reads them. */
export interface Noise {
  /** ε ~ N(0, I) of a `gaussian` node: the same node (stopped or not) reads the same ε. */
  gaussian(node: Gaussian, rows: number, cols: number): Batch
  /** ε ~ U(0, 1) per example of a gradient penalty. */
  penalty(term: GradientPenalty, rows: number): Vec
}

export interface World {
  readonly nets: Readonly<Record<string, RefNet>>
  readonly data: Batch
  readonly prior: Batch
  readonly step: number
  readonly noise: Noise
}

// -------------------------------------------------------------------------------------
// small numerics
// -------------------------------------------------------------------------------------

const mean = (xs: ReadonlyArray<number>): number => xs.reduce((s, x) => s + x, 0) / xs.length
const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a))
/** log(1 + eᵘ), stable for large |u|. */
const softplus = (u: number): number => Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)))
/** log σ(a) and log(1 − σ(a)), stable. */
const logD = (a: number): number => -softplus(-a)
const log1mD = (a: number): number => -softplus(a)

// -------------------------------------------------------------------------------------
// expressions
// -------------------------------------------------------------------------------------

/** The value of an expression: a batch. `stop` reads `frozen`, everything else `live`. */
export const refExpr = (e: Expr, live: World, frozen: World = live): Batch => {
  switch (e._tag) {
    case 'Data':
      return live.data
    case 'Prior':
      return live.prior
    case 'Apply': {
      const net = live.nets[e.net]
      if (net === undefined) throw new Error(`reference: no net "${e.net}"`)
      return refExpr(e.input, live, frozen).map((x) => applyNet(net, x))
    }
    case 'Gaussian': {
      // mean + exp(logVar / 2)·ε
      const m = refExpr(e.mean, live, frozen)
      const lv = refExpr(e.logVar, live, frozen)
      const eps = live.noise.gaussian(e, m.length, m[0].length)
      return m.map((row, b) => row.map((mu, d) => mu + Math.exp(lv[b][d] / 2) * eps[b][d]))
    }
    case 'Pair': {
      // (x, z) flattened and concatenated along the features
      const x = refExpr(e.x, live, frozen)
      const z = refExpr(e.z, live, frozen)
      return x.map((row, b) => [...row, ...z[b]])
    }
    case 'Stop':
      return refExpr(e.expr, frozen, frozen)
    case 'Chunk': {
      // part `index` of `count` equal parts of the last axis
      return refExpr(e.expr, live, frozen).map((row) => {
        const part = row.length / e.count
        if (!Number.isInteger(part))
          throw new RangeError(`reference: ${row.length} features do not split into ${e.count} parts`)
        return row.slice(e.index * part, (e.index + 1) * part)
      })
    }
  }
}

// -------------------------------------------------------------------------------------
// schedules
// -------------------------------------------------------------------------------------

/** A schedule's weight at a step, from Schedule.ts's definitions. */
export const refSchedule = (s: Schedule, step: number): number => {
  switch (s._tag) {
    case 'Constant':
      return s.value
    case 'Piecewise': {
      // values[i] while step < boundaries[i]; the last value after the last boundary
      for (let i = 0; i < s.boundaries.length; i++) if (step < s.boundaries[i]) return s.values[i]
      return s.values[s.boundaries.length]
    }
    case 'Linear': {
      // `from` until `start`, then linearly to `to` at `end`, then `to`
      if (step <= s.start) return s.from
      if (step >= s.end) return s.to
      const u = (step - s.start) / (s.end - s.start)
      return (1 - u) * s.from + u * s.to
    }
  }
}

// -------------------------------------------------------------------------------------
// terms
// -------------------------------------------------------------------------------------

export interface RefValue {
  readonly value: number
  /**
   * The size of what was summed to make `value` (Σ|k|·mean|element|): the scale that float32
   * rounding errors are relative to when parts cancel.
   */
  readonly magnitude: number
  /** Every `named` label's value (the sum where a label occurs twice). */
  readonly named: ReadonlyMap<string, number>
  /**
   * Whether some element sits exactly on a kink (|y − o| at y = o, a hinge at its corner): there the
   * value has no gradient, only one-sided ones, and an interpreter may pick any subgradient.
   */
  readonly kinked: boolean
}

/** E over the batch of per-example values, with the magnitude of the parts. */
const expectation = (xs: ReadonlyArray<number>): { value: number; magnitude: number } => ({
  value: mean(xs),
  magnitude: mean(xs.map(Math.abs))
})

/** The critic's logits a(sample), one per example. */
const logits = (critic: string, e: Expr, live: World, frozen: World): Array<number> => {
  const net = live.nets[critic]
  if (net === undefined) throw new Error(`reference: no critic "${critic}"`)
  return refExpr(e, live, frozen).map((x) => {
    const y = applyNet(net, x)
    if (y.length !== 1) throw new RangeError(`reference: critic "${critic}" has ${y.length} outputs, not one logit`)
    return y[0]
  })
}

/** The critic-side losses of `classify`: the per-example loss of a real and of a fake logit. */
export const classifyParts: Readonly<
  Record<'bce' | 'hinge' | 'leastSquares' | 'wasserstein', { real: (a: number) => number; fake: (a: number) => number }>
> = {
  // −E log D(real) − E log(1 − D(fake))
  bce: { real: (a) => -logD(a), fake: (a) => -log1mD(a) },
  // E max(0, 1 − a(real)) + E max(0, 1 + a(fake))
  hinge: { real: (a) => Math.max(0, 1 - a), fake: (a) => Math.max(0, 1 + a) },
  // ½E(a(real) − 1)² + ½E a(fake)²  (LSGAN with targets 1 and 0)
  leastSquares: { real: (a) => 0.5 * (a - 1) ** 2, fake: (a) => 0.5 * a ** 2 },
  // −E a(real) + E a(fake)
  wasserstein: { real: (a) => -a, fake: (a) => a }
}

const norm = (v: Vec): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0))

type Leafish = { value: number; magnitude: number }

/** The value of a term in a world, with `stop`ped samples read at `frozen`. */
export const refLoss = (t: Loss, live: World, frozen: World = live): RefValue => {
  const named = new Map<string, number>()
  let kinked = false
  const go = (t: Loss): Leafish => {
    switch (t._tag) {
      case 'Zero':
        return { value: 0, magnitude: 0 }
      case 'Reconstruction': {
        const target = refExpr(t.target, live, frozen)
        const output = refExpr(t.output, live, frozen)
        const perElement = (y: number, o: number): number => {
          switch (t.norm) {
            case 'l1':
              if (y === o) kinked = true
              return Math.abs(y - o)
            case 'l2':
              return (y - o) ** 2
            case 'bernoulli':
              // −[y log σ(o) + (1 − y) log(1 − σ(o))]
              return -(y * logD(o) + (1 - y) * log1mD(o))
          }
        }
        const rows = target.map((y, b) => {
          if (output[b].length !== y.length)
            throw new RangeError(`reference: output of ${output[b].length} against target of ${y.length}`)
          return y.map((v, d) => perElement(v, output[b][d]))
        })
        // mean: over every element; sum: over the features, then the mean over the batch
        return t.reduction === 'mean'
          ? expectation(rows.flat())
          : expectation(rows.map((r) => r.reduce((s, x) => s + x, 0)))
      }
      case 'DensityRatio':
        // E[log D/(1 − D)](sample)
        return expectation(logits(t.critic, t.sample, live, frozen).map((a) => logD(a) - log1mD(a)))
      case 'LatentKL':
        // −E[a_C(code)]
        return expectation(logits(t.critic, t.code, live, frozen).map((a) => -a))
      case 'GaussianKL': {
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − log σ²), summed over dims, mean over the batch
        const m = refExpr(t.mean, live, frozen)
        const lv = refExpr(t.logVar, live, frozen)
        return expectation(
          m.map((row, b) => row.reduce((s, mu, d) => s + 0.5 * (Math.exp(lv[b][d]) + mu * mu - 1 - lv[b][d]), 0))
        )
      }
      case 'Classify': {
        // real against each fake set: the sum of each set's mean
        const f = classifyParts[t.variant]
        if (t.variant === 'hinge') {
          const corner = (a: number): boolean => Math.abs(a) === 1
          if (
            logits(t.critic, t.real, live, frozen).some(corner) ||
            t.fake.some((s) => logits(t.critic, s, live, frozen).some(corner))
          )
            kinked = true
        }
        const parts = [
          expectation(logits(t.critic, t.real, live, frozen).map(f.real)),
          ...t.fake.map((s) => expectation(logits(t.critic, s, live, frozen).map(f.fake)))
        ]
        return { value: parts.reduce((s, p) => s + p.value, 0), magnitude: parts.reduce((s, p) => s + p.magnitude, 0) }
      }
      case 'NonSaturating':
        // −E[log D(sample)]
        return expectation(logits(t.critic, t.sample, live, frozen).map((a) => -Math.log(sigmoid(a))))
      case 'Minimax':
        // E[log(1 − D(sample))]
        return expectation(logits(t.critic, t.sample, live, frozen).map((a) => Math.log(1 - sigmoid(a))))
      case 'Critic':
        // −E[a(sample)]
        return expectation(logits(t.critic, t.sample, live, frozen).map((a) => -a))
      case 'GradientPenalty': {
        // E[(‖∇ a(x̃)‖₂ − 1)²] at x̃ = εx + (1 − ε)x̂
        const net = live.nets[t.critic]
        const x = refExpr(t.real, live, frozen)
        const xh = refExpr(t.fake, live, frozen)
        const eps = live.noise.penalty(t, x.length)
        return expectation(
          x.map(
            (row, b) =>
              (norm(
                inputGradient(
                  net,
                  row.map((v, d) => eps[b] * v + (1 - eps[b]) * xh[b][d])
                )
              ) -
                1) **
              2
          )
        )
      }
      case 'R1': {
        // E[‖∇ a(x)‖²₂] on real data
        const net = live.nets[t.critic]
        return expectation(refExpr(t.real, live, frozen).map((row) => norm(inputGradient(net, row)) ** 2))
      }
      case 'Sum': {
        const parts = t.terms.map(go)
        return { value: parts.reduce((s, p) => s + p.value, 0), magnitude: parts.reduce((s, p) => s + p.magnitude, 0) }
      }
      case 'Scale': {
        const u = go(t.term)
        return { value: t.k * u.value, magnitude: Math.abs(t.k) * u.magnitude }
      }
      case 'Named': {
        const u = go(t.term)
        named.set(t.label, (named.get(t.label) ?? 0) + u.value)
        return u
      }
      case 'Weighted': {
        const w = refSchedule(t.schedule, live.step)
        const u = go(t.term)
        return { value: w * u.value, magnitude: Math.abs(w) * u.magnitude }
      }
    }
  }
  const r = go(t)
  return { ...r, named, kinked }
}

// -------------------------------------------------------------------------------------
// gradients by finite differences
// -------------------------------------------------------------------------------------

/** A world with one net's parameter moved by `h`. */
const nudged = (w: World, net: string, i: number, h: number): World => {
  const n = w.nets[net]
  const params = [...n.params]
  params[i] += h
  return { ...w, nets: { ...w.nets, [net]: { ...n, params } } }
}

/**
 * ∂ value / ∂ params of `net`, by central differences in float64 around `at` (stopped samples stay
 * at `at`: their gradient is zero by definition).
 */
export const refGradient = (t: Loss, at: World, net: string, h = 1e-5): Array<number> =>
  at.nets[net].params.map(
    (_, i) => (refLoss(t, nudged(at, net, i, h), at).value - refLoss(t, nudged(at, net, i, -h), at).value) / (2 * h)
  )
