/**
 * The model of loss terms: a tagged union of leaves (the objectives of auto-encoding GANs) and
 * combinators, and the exhaustive destructors every interpreter is written with.
 *
 * Every classifier returns a *logit* `a`, and `D = σ(a)`. Every value is a mean over the batch.
 *
 * @since 0.1.0
 */
import type { Expr } from '../Expr.ts'
import type { Schedule } from '../Schedule.ts'

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
  readonly schedule: Schedule
  readonly term: Loss
}

/** The leaf terms: the ones that read samples. A new leaf goes here. @category model */
export type Leaf =
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

/** Every term: the leaves, and the combinators that make new objectives out of them. @category model */
export type Loss = Leaf | Zero | Sum | Scale | Named | Weighted

/** The combinators (and `Zero`): every term that is not a leaf. @category model */
export type Combinator = Exclude<Loss, Leaf>

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/** One case per tag of a union. */
type Cases<U extends { readonly _tag: string }, A> = {
  readonly [K in U['_tag']]: (t: Extract<U, { readonly _tag: K }>) => A
}

/** An exhaustive interpreter: one case per tag (a new term is a type error until every interpreter handles it). */
export type LossMatch<A> = Cases<Loss, A>
/** An exhaustive interpreter of the leaves. */
export type LeafMatch<A> = Cases<Leaf, A>
/** An exhaustive interpreter of the combinators. */
export type CombinatorMatch<A> = Cases<Combinator, A>

/** @category destructors */
export const match =
  <A>(cases: LossMatch<A>) =>
  (t: Loss): A =>
    (cases[t._tag] as (t: Loss) => A)(t)

/** @category destructors */
export const matchLeaf =
  <A>(cases: LeafMatch<A>) =>
  (t: Leaf): A =>
    (cases[t._tag] as (t: Leaf) => A)(t)

/** Which tags are leaves: a record over every tag, whose type fixes each entry. */
const IS_LEAF: { readonly [K in Loss['_tag']]: K extends Leaf['_tag'] ? true : false } = {
  Zero: false,
  Reconstruction: true,
  DensityRatio: true,
  LatentKL: true,
  GaussianKL: true,
  Classify: true,
  NonSaturating: true,
  Minimax: true,
  Critic: true,
  GradientPenalty: true,
  R1: true,
  Sum: false,
  Scale: false,
  Named: false,
  Weighted: false
}

/** Whether a term is a leaf (not a combinator). @category refinements */
export const isLeaf = (t: Loss): t is Leaf => IS_LEAF[t._tag]

/**
 * A fold over the structure of a term: one case per combinator, one for every leaf. Traversals
 * that treat all leaves alike (`leaves`, `labelsOf`, `normalize`, the printers) are written with it,
 * so a new combinator is a type error there and a new leaf flows through them unchanged.
 * @category destructors
 */
export const matchCombinator =
  <A>(leaf: (t: Leaf) => A, cases: CombinatorMatch<A>) =>
  (t: Loss): A =>
    isLeaf(t) ? leaf(t) : (cases[t._tag] as (t: Combinator) => A)(t)
