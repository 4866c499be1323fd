/**
 * The compiler against the reference interpreter (laws/reference.ts): a term's compiled value, named
 * values and gradients equal the reference value and its finite-difference gradient in float64.
 *
 * The compiled step's noise is read from the step itself: `RecordingEnv` is the compiler's own
 * `StepEnv`, which keeps every draw it makes; the reference reads those draws by the node that made
 * them (the same `gaussian` node, stopped or not, and the same penalty read the same draw).
 */
import * as tf from '@tensorflow/tfjs'

import { registerSecondOrderGradients } from '../src/compile/gradients.ts'
import type { Binding } from '../src/compile/Net.ts'
import { evaluate, Evaluation, StepEnv } from '../src/compile/term.ts'
import type { Gaussian } from '../src/core/Expr.ts'
import * as X from '../src/core/Expr.ts'
import type { GradientPenalty, Loss } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import type { Noise, RefValue, World } from './reference.ts'
import { refGradient, refLoss } from './reference.ts'
import type { RefWorldParts, TfWorld, WorldSpec } from './reference-nets.ts'
import { NET_NAMES, tfWorld, worldOf } from './reference-nets.ts'

// -------------------------------------------------------------------------------------
// the compiled side
// -------------------------------------------------------------------------------------

/** A draw the step made, read back. */
export interface Draw {
  readonly shape: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}

/** The compiler's per-step environment, keeping a copy of every draw it hands out. */
export class RecordingEnv extends StepEnv {
  readonly drawn = new Map<string, tf.Tensor>()
  override draw(id: string, kind: 'normal' | 'uniform', shape: ReadonlyArray<number>): tf.Tensor {
    const t = super.draw(id, kind, shape)
    this.drawn.set(id, t)
    return t
  }
}

export interface Compiled {
  readonly value: number
  /** Per net, its variables' gradients flattened in order (zeros where no gradient reaches). */
  readonly grads: Readonly<Record<string, ReadonlyArray<number>>>
  /** Named values by label. */
  readonly named: ReadonlyMap<string, number>
  readonly draws: ReadonlyMap<string, Draw>
}

/** Compiles a term in an environment of its own and reads back its value, gradients, named values and draws. */
export const compileTerm = (
  term: Loss,
  nets: Binding,
  data: tf.Tensor,
  prior: tf.Tensor,
  step: number,
  seed: number
): Compiled => {
  registerSecondOrderGradients()
  const env = new RecordingEnv(nets, data, prior, step, seed)
  const names = Object.keys(nets)
  const vars = names.flatMap((n) => nets[n].variables) as Array<tf.Variable>
  try {
    const { value, grads } = tf
      .engine()
      .gradients(() => evaluate(term, new Evaluation(env, 'p')), vars, undefined, true)
    const flat = vars.map((v, i) =>
      grads[i] == null ? new Array<number>(v.size).fill(0) : Array.from(grads[i].dataSync())
    )
    const out: Compiled = {
      value: value.dataSync()[0],
      grads: Object.fromEntries(
        names.map((n) => {
          const first = vars.indexOf(nets[n].variables[0] as tf.Variable)
          return [n, flat.slice(first, first + nets[n].variables.length).flat()]
        })
      ),
      named: new Map([...env.named].map(([k, t]) => [k.replace(/^p\//, ''), t.dataSync()[0]])),
      draws: new Map([...env.drawn].map(([id, t]) => [id, { shape: t.shape, values: Array.from(t.dataSync()) }]))
    }
    tf.dispose([value, ...grads.filter((g) => g != null)])
    return out
  } finally {
    tf.dispose([...env.named.values()])
    env.dispose()
  }
}

// -------------------------------------------------------------------------------------
// the step's noise for the reference
// -------------------------------------------------------------------------------------

/** The id under which the compiled step keeps a node's draw. */
export const drawId = {
  gaussian: (node: Gaussian): string => `eps:${X.key(X.unstop(node))}`,
  penalty: (t: GradientPenalty): string => `gp:${t.critic}:${X.key(X.unstop(t.real))};${X.key(X.unstop(t.fake))}`
}

/** The reference's noise, read from a compiled step's draws; `used` lists the draws the reference read. */
export const noiseFrom = (draws: ReadonlyMap<string, Draw>): Noise & { readonly used: Set<string> } => {
  const used = new Set<string>()
  const get = (id: string, what: string, size: number): ReadonlyArray<number> => {
    const d = draws.get(id)
    if (d === undefined)
      throw new Error(
        `the compiled step drew no noise for ${what} (drew: ${[...draws.keys()].join(', ') || 'nothing'})`
      )
    if (d.values.length !== size)
      throw new Error(`the compiled step drew ${d.values.length} numbers for ${what}, the reference needs ${size}`)
    used.add(id)
    return d.values
  }
  return {
    used,
    gaussian: (node, rows, cols) => {
      const v = get(drawId.gaussian(node), `gaussian node ${X.key(node)}`, rows * cols)
      return Array.from({ length: rows }, (_, b) => v.slice(b * cols, (b + 1) * cols))
    },
    penalty: (t, rows) => get(drawId.penalty(t), `the gradient penalty ${L.key(t)}`, rows)
  }
}

// -------------------------------------------------------------------------------------
// agreement
// -------------------------------------------------------------------------------------

export interface Tolerance {
  /** Values: |compiled − reference| ≤ rtol·max(|reference|, magnitude) + atol. */
  readonly rtol: number
  readonly atol: number
  /** Gradients: |compiled − reference| ≤ gradRtol·|reference| + gradAtol·max(1, ‖reference gradient‖∞). */
  readonly gradRtol: number
  readonly gradAtol: number
}
export const defaultTolerance: Tolerance = { rtol: 1e-4, atol: 1e-6, gradRtol: 1e-3, gradAtol: 2e-4 }

const closeValue = (c: number, r: RefValue | number, magnitude: number, tol: Tolerance): boolean => {
  const v = typeof r === 'number' ? r : r.value
  return Math.abs(c - v) <= tol.rtol * Math.max(Math.abs(v), magnitude) + tol.atol
}

/** A failed comparison, with what was compared. */
export class Disagreement extends Error {
  constructor(
    what: string,
    readonly term: Loss
  ) {
    super(`${what}\n  term: ${L.key(term)}`)
    this.name = 'Disagreement'
  }
}

/** The reference world of a spec, with the noise the compiled step drew. */
export const referenceWorld = (parts: RefWorldParts, noise: Noise): World => ({ ...parts, noise })

/** The reference's gradient with respect to every net: finite differences for the nets a term names, zero for the others. */
export const referenceGradients = (term: Loss, w: World): Record<string, Array<number>> => {
  const named = L.namesOf(term)
  return Object.fromEntries(
    Object.entries(w.nets).map(([n, net]) => [n, named.includes(n) ? refGradient(term, w, n) : net.params.map(() => 0)])
  )
}

/** Checks compiled gradients against reference ones, net by net; throws a `Disagreement` naming the first mismatch. */
export const checkGradients = (
  term: Loss,
  compiled: Readonly<Record<string, ReadonlyArray<number>>>,
  reference: Readonly<Record<string, ReadonlyArray<number>>>,
  tol: Tolerance = defaultTolerance,
  nets: ReadonlyArray<string> = Object.keys(reference)
): void => {
  const scale = Math.max(1, ...nets.flatMap((n) => reference[n].map(Math.abs)))
  for (const n of nets) {
    reference[n].forEach((r, i) => {
      const c = compiled[n][i]
      if (!(Math.abs(c - r) <= tol.gradRtol * Math.abs(r) + tol.gradAtol * scale)) {
        throw new Disagreement(
          `∂/∂${n}[${i}]: compiled ${c}, reference ${r}\n  compiled ${n}: ${compiled[n].map((v) => v.toPrecision(4)).join(' ')}\n  reference ${n}: ${reference[n].map((v) => v.toPrecision(4)).join(' ')}`,
          term
        )
      }
    })
  }
}

/**
 * In the world of `spec`, the compiled term equals the reference: value (relative to the size of its
 * parts), every named value, the set of draws (one per distinct noisy node), and the gradient with
 * respect to every net's parameters (where the reference is differentiable). Leaves no tensor behind. Throws a `Disagreement` otherwise.
 */
export const matchesReference =
  (tol: Tolerance = defaultTolerance) =>
  (spec: WorldSpec, term: Loss): boolean => {
    const parts = worldOf(spec)
    const before = tf.memory().numTensors
    const tw: TfWorld = tfWorld(parts)
    let compiled: Compiled
    try {
      compiled = compileTerm(term, tw.nets, tw.data, tw.prior, spec.step, spec.seed)
    } finally {
      tw.dispose()
    }
    const after = tf.memory().numTensors
    if (after !== before) throw new Disagreement(`the compiled term leaked ${after - before} tensors`, term)

    const noise = noiseFrom(compiled.draws)
    const w = referenceWorld(parts, noise)
    const ref = refLoss(term, w)
    if (!closeValue(compiled.value, ref, ref.magnitude, tol)) {
      throw new Disagreement(
        `value: compiled ${compiled.value}, reference ${ref.value} (magnitude ${ref.magnitude})`,
        term
      )
    }
    const unused = [...compiled.draws.keys()].filter((id) => !noise.used.has(id))
    if (unused.length > 0)
      throw new Disagreement(`the compiled step drew noise no node reads: ${unused.join(', ')}`, term)
    const labels = new Set([...ref.named.keys(), ...compiled.named.keys()])
    for (const l of labels) {
      const c = compiled.named.get(l)
      const r = ref.named.get(l)
      if (c === undefined || r === undefined || !closeValue(c, r, ref.magnitude, tol)) {
        throw new Disagreement(`named "${l}": compiled ${c}, reference ${r}`, term)
      }
    }
    // on a kink the gradient is not defined (any subgradient will do): values only
    if (!ref.kinked) checkGradients(term, compiled.grads, referenceGradients(term, w), tol, NET_NAMES)
    return true
  }
