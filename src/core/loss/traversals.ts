/**
 * What a term reads and names: its leaves, expressions, nets and labels, and a map over its samples.
 * @since 0.1.0
 */
import type { Expr } from '../Expr.ts'
import * as X from '../Expr.ts'
import type { Leaf, Loss } from './model.ts'
import { match, matchCombinator, matchLeaf } from './model.ts'
import { normalize } from './normalForm.ts'

/** The expressions a leaf term reads. @category utils */
export const exprsOf: (t: Leaf) => ReadonlyArray<Expr> = matchLeaf<ReadonlyArray<Expr>>({
  Reconstruction: (t) => [t.target, t.output],
  DensityRatio: (t) => [t.sample],
  LatentKL: (t) => [t.code],
  GaussianKL: (t) => [t.mean, t.logVar],
  Classify: (t) => [t.real, ...t.fake],
  NonSaturating: (t) => [t.sample],
  Minimax: (t) => [t.sample],
  Critic: (t) => [t.sample],
  GradientPenalty: (t) => [t.real, t.fake],
  R1: (t) => [t.real]
})

/** The critic net a leaf applies to its samples, if any. @category utils */
export const criticOf: (t: Leaf) => string | undefined = matchLeaf<string | undefined>({
  Reconstruction: () => undefined,
  DensityRatio: (t) => t.critic,
  LatentKL: (t) => t.critic,
  GaussianKL: () => undefined,
  Classify: (t) => t.critic,
  NonSaturating: (t) => t.critic,
  Minimax: (t) => t.critic,
  Critic: (t) => t.critic,
  GradientPenalty: (t) => t.critic,
  R1: (t) => t.critic
})

/**
 * The leaves of a term with their paths (`terms[1].term`), in order.
 * @category utils
 */
export const leaves = (t: Loss, path = ''): ReadonlyArray<{ readonly path: string; readonly leaf: Leaf }> =>
  matchCombinator<ReadonlyArray<{ readonly path: string; readonly leaf: Leaf }>>((leaf) => [{ path, leaf }], {
    Zero: () => [],
    Sum: (t) => t.terms.flatMap((u, i) => leaves(u, `${path}.terms[${i}]`)),
    Scale: (t) => leaves(t.term, `${path}.term`),
    Named: (t) => leaves(t.term, `${path}.term`),
    Weighted: (t) => leaves(t.term, `${path}.term`)
  })(t)

/** The nets a term's leaves apply, through their samples and as their critics, in order of first appearance. */
const netsIn = (t: Loss, underStop: boolean): ReadonlyArray<string> => {
  const all = leaves(t).flatMap(({ leaf }) => {
    const critic = criticOf(leaf)
    const fromSamples = exprsOf(leaf).flatMap((e) => X.netsOf(e, underStop))
    return critic === undefined ? fromSamples : [...fromSamples, critic]
  })
  return [...new Set(all)]
}

/**
 * The nets whose parameters a term's value depends on (through its samples or its critic); samples
 * under `stop` and terms scaled by zero do not count.
 * @category utils
 */
export const netsOf = (t: Loss): ReadonlyArray<string> => netsIn(normalize(t), false)

/** Every net a term names anywhere (stopped or not). @category utils */
export const namesOf = (t: Loss): ReadonlyArray<string> => netsIn(t, true)

/** Every `named` label in a term, outermost first. @category utils */
export const labelsOf = (t: Loss): ReadonlyArray<string> =>
  matchCombinator<ReadonlyArray<string>>(() => [], {
    Zero: () => [],
    Sum: (t) => t.terms.flatMap(labelsOf),
    Scale: (t) => labelsOf(t.term),
    Named: (t) => [t.label, ...labelsOf(t.term)],
    Weighted: (t) => labelsOf(t.term)
  })(t)

/**
 * The same term with every sample expression of every leaf mapped (e.g. wrapped in `stop`).
 * @category combinators
 */
export const mapExprs = (f: (e: Expr) => Expr): ((t: Loss) => Loss) => {
  const go: (t: Loss) => Loss = match<Loss>({
    Zero: (t) => t,
    Reconstruction: (t) => ({ ...t, target: f(t.target), output: f(t.output) }),
    DensityRatio: (t) => ({ ...t, sample: f(t.sample) }),
    LatentKL: (t) => ({ ...t, code: f(t.code) }),
    GaussianKL: (t) => ({ ...t, mean: f(t.mean), logVar: f(t.logVar) }),
    Classify: (t) => ({ ...t, real: f(t.real), fake: t.fake.map(f) }),
    NonSaturating: (t) => ({ ...t, sample: f(t.sample) }),
    Minimax: (t) => ({ ...t, sample: f(t.sample) }),
    Critic: (t) => ({ ...t, sample: f(t.sample) }),
    GradientPenalty: (t) => ({ ...t, real: f(t.real), fake: f(t.fake) }),
    R1: (t) => ({ ...t, real: f(t.real) }),
    Sum: (t) => ({ ...t, terms: t.terms.map(go) }),
    Scale: (t) => ({ ...t, term: go(t.term) }),
    Named: (t) => ({ ...t, term: go(t.term) }),
    Weighted: (t) => ({ ...t, term: go(t.term) })
  })
  return go
}
