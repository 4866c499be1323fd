/**
 * Loss terms: a tagged union of the objectives of auto-encoding GANs, and the combinators that make
 * new objectives out of them.
 *
 * Every classifier returns a *logit* `a`, and `D = σ(a)`. Every value is a mean over the batch.
 *
 * Laws (exact, after `normalize`; checked in `laws/`):
 * - `add(a, add(b, c)) ≡ add(add(a, b), c)`, `add(zero, a) ≡ a ≡ add(a, zero)`, `add(a, b) ≡ add(b, a)`
 * - `scale(j, scale(k, a)) ≡ scale(j·k, a)`, `scale(k, add(a, b)) ≡ add(scale(k, a), scale(k, b))`,
 *   `scale(j + k, a) ≡ add(scale(j, a), scale(k, a))`, `scale(1, a) ≡ a`, `scale(0, a) ≡ zero`
 *
 * @since 0.1.0
 */
import type { Eq as EqT } from 'fp-ts/Eq'
import type { Monoid as MonoidT } from 'fp-ts/Monoid'
import type { Semigroup as SemigroupT } from 'fp-ts/Semigroup'

import * as X from './Expr.ts'
import * as S from './Schedule.ts'

type Expr = X.Expr

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** How a per-element loss is reduced: `mean` over every element, or `sum` over features then mean over the batch. */
export type Reduction = 'mean' | 'sum'

/** The critic-side loss families. */
export type Variant = 'bce' | 'hinge' | 'leastSquares' | 'wasserstein'

/** The zero objective. @category model */
export interface Zero {
  readonly _tag: 'Zero'
}
/** An explicit likelihood: ‖target − output‖₁, ‖·‖²₂, or Bernoulli NLL of target under logits `output`. @category model */
export interface Reconstruction {
  readonly _tag: 'Reconstruction'
  readonly norm: 'l1' | 'l2' | 'bernoulli'
  readonly reduction: Reduction
  readonly target: Expr
  readonly output: Expr
}
/** E[log D/(1−D)](sample) = E[a(sample)]: the synthetic likelihood log p*(x)/p_θ(x) (p* over p_θ). @category model */
export interface DensityRatio {
  readonly _tag: 'DensityRatio'
  readonly critic: string
  readonly sample: Expr
}
/** −E[a_C(code)] ≈ KL(q‖p), with C trained to call the prior real. @category model */
export interface LatentKL {
  readonly _tag: 'LatentKL'
  readonly critic: string
  readonly code: Expr
}
/** KL(N(μ, e^{logVar}) ‖ N(0, I)) in closed form, summed over dims, mean over the batch. @category model */
export interface GaussianKL {
  readonly _tag: 'GaussianKL'
  readonly mean: Expr
  readonly logVar: Expr
}
/** A critic's own loss: real samples against one or more fake sets (the sum of each set's mean). @category model */
export interface Classify {
  readonly _tag: 'Classify'
  readonly critic: string
  readonly real: Expr
  readonly fake: ReadonlyArray<Expr>
  readonly variant: Variant
}
/** Generator-side adversarial losses: −E log D, E log(1−D), −E[a]. @category model */
export interface Adversarial<Tag extends 'NonSaturating' | 'Minimax' | 'Critic'> {
  readonly _tag: Tag
  readonly critic: string
  readonly sample: Expr
}
/** −E[log D(sample)]. @category model */
export type NonSaturating = Adversarial<'NonSaturating'>
/** E[log(1 − D(sample))]. @category model */
export type Minimax = Adversarial<'Minimax'>
/** −E[a(sample)]. @category model */
export type Critic = Adversarial<'Critic'>
/** WGAN-GP: E[(‖∇ a(x̃)‖₂ − 1)²] at x̃ = εx + (1 − ε)x̂, ε ~ U(0, 1) per example. @category model */
export interface GradientPenalty {
  readonly _tag: 'GradientPenalty'
  readonly critic: string
  readonly real: Expr
  readonly fake: Expr
}
/** R1: E[‖∇ a(x)‖²₂] on real data. @category model */
export interface R1 {
  readonly _tag: 'R1'
  readonly critic: string
  readonly real: Expr
}
/** @category model */
export interface Sum {
  readonly _tag: 'Sum'
  readonly terms: ReadonlyArray<Loss>
}
/** @category model */
export interface Scale {
  readonly _tag: 'Scale'
  readonly k: number
  readonly term: Loss
}
/** A label for logging: the compiler reports every named term's value. @category model */
export interface Named {
  readonly _tag: 'Named'
  readonly label: string
  readonly term: Loss
}
/** A weight that follows a schedule over training steps. @category model */
export interface Weighted {
  readonly _tag: 'Weighted'
  readonly schedule: S.Schedule
  readonly term: Loss
}

/** @category model */
export type Loss =
  | Zero
  | Reconstruction
  | DensityRatio
  | LatentKL
  | GaussianKL
  | Classify
  | NonSaturating
  | Minimax
  | Critic
  | GradientPenalty
  | R1
  | Sum
  | Scale
  | Named
  | Weighted

/** The leaf terms: everything but the combinators. @category model */
export type Leaf = Exclude<Loss, Zero | Sum | Scale | Named | Weighted>

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** @category constructors */
export const zero: Loss = { _tag: 'Zero' }

const reconstruction =
  (norm: Reconstruction['norm']) =>
  (target: Expr, output: Expr, reduction: Reduction = 'mean'): Loss => ({
    _tag: 'Reconstruction',
    norm,
    reduction,
    target,
    output
  })

/**
 * λ-weighted L1 is the α-GAN's Laplace likelihood: `scale(λ, reconstructionL1(data, G(E(data))))`.
 * @category constructors
 */
export const reconstructionL1 = reconstruction('l1')
/** @category constructors */
export const reconstructionL2 = reconstruction('l2')
/** `output` holds logits; `target` is in [0, 1]. @category constructors */
export const bernoulliNLL = reconstruction('bernoulli')

/** @category constructors */
export const densityRatio = (critic: string, sample: Expr): Loss => ({ _tag: 'DensityRatio', critic, sample })
/** @category constructors */
export const latentKL = (critic: string, code: Expr): Loss => ({ _tag: 'LatentKL', critic, code })
/** @category constructors */
export const gaussianKL = (mean: Expr, logVar: Expr): Loss => ({ _tag: 'GaussianKL', mean, logVar })

/**
 * @example
 * classify('D', { real: data, fake: [G(E(data)), G(prior)] })
 * @category constructors
 */
export const classify = (
  critic: string,
  sets: { readonly real: Expr; readonly fake: Expr | ReadonlyArray<Expr> },
  variant: Variant = 'bce'
): Loss => {
  const fake: ReadonlyArray<Expr> = Array.isArray(sets.fake) ? [...sets.fake] : [sets.fake as Expr]
  if (fake.length === 0) throw new RangeError(`classify(${critic}): needs at least one fake set`)
  return { _tag: 'Classify', critic, real: sets.real, fake, variant }
}

/** −E[log D(sample)]. @category constructors */
export const nonSaturating = (critic: string, sample: Expr): Loss => ({ _tag: 'NonSaturating', critic, sample })
/** E[log(1 − D(sample))]. @category constructors */
export const minimax = (critic: string, sample: Expr): Loss => ({ _tag: 'Minimax', critic, sample })
/** −E[a(sample)]: the WGAN generator loss. @category constructors */
export const critic = (criticNet: string, sample: Expr): Loss => ({ _tag: 'Critic', critic: criticNet, sample })
/** @category constructors */
export const gradientPenalty = (criticNet: string, real: Expr, fake: Expr): Loss => ({
  _tag: 'GradientPenalty',
  critic: criticNet,
  real,
  fake
})
/** @category constructors */
export const r1 = (criticNet: string, real: Expr): Loss => ({ _tag: 'R1', critic: criticNet, real })

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/** @category combinators */
export const add = (a: Loss, b: Loss): Loss => ({ _tag: 'Sum', terms: [a, b] })
/** @category combinators */
export const sum = (...terms: ReadonlyArray<Loss>): Loss => (terms.length === 0 ? zero : { _tag: 'Sum', terms })
/** `scale(k, t)`, or data-last `scale(k)(t)` for `pipe`. @category combinators */
export function scale(k: number, term: Loss): Loss
export function scale(k: number): (term: Loss) => Loss
export function scale(k: number, term?: Loss): Loss | ((term: Loss) => Loss) {
  if (!Number.isFinite(k)) throw new RangeError(`scale: the factor must be finite, got ${k}`)
  return term === undefined ? (t: Loss) => ({ _tag: 'Scale', k, term: t }) : { _tag: 'Scale', k, term }
}
/** `−t`. @category combinators */
export const neg = (term: Loss): Loss => scale(-1, term)
/** @category combinators */
export const named = (label: string, term: Loss): Loss => {
  if (label.length === 0) throw new RangeError('named: the label must not be empty')
  return { _tag: 'Named', label, term }
}
/** @category combinators */
export const weighted = (schedule: S.Schedule, term: Loss): Loss => ({ _tag: 'Weighted', schedule, term })

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/** An exhaustive interpreter: one case per tag (a new term is a type error until every interpreter handles it). */
export type LossMatch<A> = {
  readonly [K in Loss['_tag']]: (t: Extract<Loss, { readonly _tag: K }>) => A
}

/** @category destructors */
export const match =
  <A>(cases: LossMatch<A>) =>
  (t: Loss): A =>
    (cases[t._tag] as (t: Loss) => A)(t)

/** Whether a term is a leaf (not a combinator). @category refinements */
export const isLeaf = (t: Loss): t is Leaf =>
  t._tag !== 'Zero' && t._tag !== 'Sum' && t._tag !== 'Scale' && t._tag !== 'Named' && t._tag !== 'Weighted'

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const exprs = (...es: ReadonlyArray<Expr>): string => es.map(X.key).join(';')

/** A canonical, injective string for a term (structure, not meaning: use `Eq` for meaning). @category utils */
export const key: (t: Loss) => string = match<string>({
  Zero: () => '0',
  Reconstruction: (t) => `rec.${t.norm}.${t.reduction}(${exprs(t.target, t.output)})`,
  DensityRatio: (t) => `dr[${JSON.stringify(t.critic)}](${exprs(t.sample)})`,
  LatentKL: (t) => `lkl[${JSON.stringify(t.critic)}](${exprs(t.code)})`,
  GaussianKL: (t) => `gkl(${exprs(t.mean, t.logVar)})`,
  Classify: (t) => `cls.${t.variant}[${JSON.stringify(t.critic)}](${exprs(t.real)}|${exprs(...t.fake)})`,
  NonSaturating: (t) => `ns[${JSON.stringify(t.critic)}](${exprs(t.sample)})`,
  Minimax: (t) => `mm[${JSON.stringify(t.critic)}](${exprs(t.sample)})`,
  Critic: (t) => `cr[${JSON.stringify(t.critic)}](${exprs(t.sample)})`,
  GradientPenalty: (t) => `gp[${JSON.stringify(t.critic)}](${exprs(t.real, t.fake)})`,
  R1: (t) => `r1[${JSON.stringify(t.critic)}](${exprs(t.real)})`,
  Sum: (t) => `+(${t.terms.map(key).join(',')})`,
  Scale: (t) => `*(${Object.is(t.k, -0) ? '-0' : t.k},${key(t.term)})`,
  Named: (t) => `@(${JSON.stringify(t.label)},${key(t.term)})`,
  Weighted: (t) => `w(${S.key(t.schedule)},${key(t.term)})`
})

/** The expressions a leaf term reads. @category utils */
export const exprsOf = (t: Leaf): ReadonlyArray<Expr> => {
  switch (t._tag) {
    case 'Reconstruction':
      return [t.target, t.output]
    case 'DensityRatio':
    case 'NonSaturating':
    case 'Minimax':
    case 'Critic':
      return [t.sample]
    case 'LatentKL':
      return [t.code]
    case 'GaussianKL':
      return [t.mean, t.logVar]
    case 'Classify':
      return [t.real, ...t.fake]
    case 'GradientPenalty':
      return [t.real, t.fake]
    case 'R1':
      return [t.real]
  }
}

/** The critic net a leaf applies to its samples, if any. @category utils */
export const criticOf = (t: Leaf): string | undefined => ('critic' in t ? t.critic : undefined)

/**
 * The leaves of a term with their paths (`terms[1].term`), in order.
 * @category utils
 */
export const leaves = (t: Loss, path = ''): ReadonlyArray<{ readonly path: string; readonly leaf: Leaf }> => {
  switch (t._tag) {
    case 'Zero':
      return []
    case 'Sum':
      return t.terms.flatMap((u, i) => leaves(u, `${path}.terms[${i}]`))
    case 'Scale':
    case 'Named':
    case 'Weighted':
      return leaves(t.term, `${path}.term`)
    default:
      return [{ path, leaf: t }]
  }
}

/**
 * The nets whose parameters a term's value depends on (through its samples or its critic); samples
 * under `stop` do not count.
 * @category utils
 */
export const netsOf = (t: Loss): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const { leaf } of leaves(normalize(t))) {
    for (const e of exprsOf(leaf)) for (const n of X.netsOf(e, false)) out.add(n)
    const c = criticOf(leaf)
    if (c !== undefined) out.add(c)
  }
  return [...out]
}

/** Every net a term names anywhere (stopped or not). @category utils */
export const namesOf = (t: Loss): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const { leaf } of leaves(t)) {
    for (const e of exprsOf(leaf)) for (const n of X.netsOf(e, true)) out.add(n)
    const c = criticOf(leaf)
    if (c !== undefined) out.add(c)
  }
  return [...out]
}

/** Every `named` label in a term, outermost first. @category utils */
export const labelsOf = (t: Loss): ReadonlyArray<string> => {
  switch (t._tag) {
    case 'Sum':
      return t.terms.flatMap(labelsOf)
    case 'Scale':
    case 'Weighted':
      return labelsOf(t.term)
    case 'Named':
      return [t.label, ...labelsOf(t.term)]
    default:
      return []
  }
}

// -------------------------------------------------------------------------------------
// normal form
// -------------------------------------------------------------------------------------

/** Sums coefficients in a canonical order so that the result does not depend on how a sum was bracketed. */
const sumCoefficients = (ks: ReadonlyArray<number>): number => [...ks].sort((a, b) => a - b).reduce((s, k) => s + k, 0)

const scaled = (k: number, t: Loss): Loss => (k === 0 ? zero : k === 1 ? t : { _tag: 'Scale', k, term: t })

/**
 * The canonical form: sums flattened, sorted and free of zeros; like terms collected; scales merged,
 * distributed over sums and never 1 or 0; constant weights turned into scales.
 * Two terms are equal (`Eq`) when their normal forms are structurally equal.
 * @category normal form
 */
export const normalize = (t: Loss): Loss => {
  // Collect Σ k·u with u a non-sum, non-scale "atom" in normal form.
  const coeffs = new Map<string, { atom: Loss; ks: Array<number> }>()
  const go = (t: Loss, k: number): void => {
    switch (t._tag) {
      case 'Zero':
        return
      case 'Sum':
        for (const u of t.terms) go(u, k)
        return
      case 'Scale':
        go(t.term, k * t.k)
        return
      case 'Weighted': {
        if (t.schedule._tag === 'Constant') return go(t.term, k * t.schedule.value)
        if (S.isZero(t.schedule)) return
        return push({ _tag: 'Weighted', schedule: t.schedule, term: normalize(t.term) }, k)
      }
      case 'Named':
        return push({ _tag: 'Named', label: t.label, term: normalize(t.term) }, k)
      default:
        return push(t, k)
    }
  }
  const push = (atom: Loss, k: number): void => {
    if (k === 0) return
    const id = key(atom)
    const slot = coeffs.get(id)
    if (slot) slot.ks.push(k)
    else coeffs.set(id, { atom, ks: [k] })
  }
  go(t, 1)
  const terms = [...coeffs.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { atom, ks }]) => scaled(sumCoefficients(ks) + 0, atom))
    .filter((u) => u._tag !== 'Zero')
  return terms.length === 0 ? zero : terms.length === 1 ? terms[0] : { _tag: 'Sum', terms }
}

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/** Equality of meaning as an objective: equal normal forms. @category instances */
export const Eq: EqT<Loss> = { equals: (a, b) => key(normalize(a)) === key(normalize(b)) }

/** Exact structural equality (no normalisation). @category instances */
export const EqStrict: EqT<Loss> = { equals: (a, b) => key(a) === key(b) }

/** @category instances */
export const Semigroup: SemigroupT<Loss> = { concat: add }

/** `Loss` under `add` with `zero`. @category instances */
export const Monoid: MonoidT<Loss> = { concat: add, empty: zero }

/**
 * The same term with every sample expression of every leaf mapped (e.g. wrapped in `stop`).
 * @category combinators
 */
export const mapExprs =
  (f: (e: Expr) => Expr) =>
  (t: Loss): Loss => {
    const go = (t: Loss): Loss => {
      switch (t._tag) {
        case 'Zero':
          return t
        case 'Reconstruction':
          return { ...t, target: f(t.target), output: f(t.output) }
        case 'DensityRatio':
        case 'NonSaturating':
        case 'Minimax':
        case 'Critic':
          return { ...t, sample: f(t.sample) }
        case 'LatentKL':
          return { ...t, code: f(t.code) }
        case 'GaussianKL':
          return { ...t, mean: f(t.mean), logVar: f(t.logVar) }
        case 'Classify':
          return { ...t, real: f(t.real), fake: t.fake.map(f) }
        case 'GradientPenalty':
          return { ...t, real: f(t.real), fake: f(t.fake) }
        case 'R1':
          return { ...t, real: f(t.real) }
        case 'Sum':
          return { ...t, terms: t.terms.map(go) }
        case 'Scale':
        case 'Named':
        case 'Weighted':
          return { ...t, term: go(t.term) }
      }
    }
    return go(t)
  }
