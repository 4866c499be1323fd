/**
 * The value each logged loss takes at the game's equilibrium, where the game fixes one: data and
 * model distributions equal (p_g = p_data, q(z) = p(z)) and every critic at its best response to its
 * own classification loss. With real against k fake sets of equal distribution, the best BCE critic
 * is D* = 1/(1 + k) (logit a* = −ln k): its loss is ln(1 + k) + k·ln((1 + k)/k), which is 2 ln 2 for
 * one fake set; a non-saturating generator then reads −ln D* (ln 2 for one set), a density ratio a*
 * (0 for one set). Least squares gives a* = 1/(1 + k); hinge and Wasserstein critics fix their own
 * loss (2; 0 for one fake set) but not a*. Reconstructions, closed-form KLs, gradient penalties and
 * step-dependent weights have no value fixed by the game, and are left unmarked.
 * @since 0.1.0
 */
import type { Player } from '../core/Game.ts'
import type { Classify, Leaf, Loss } from '../core/Loss.ts'
import * as L from '../core/Loss.ts'
import * as S from '../core/Schedule.ts'

/** A known equilibrium value, with a readable formula and the reason for it. */
export interface Equilibrium {
  readonly value: number
  /** `2 ln 2`, `0`, or the number when it is no multiple of ln 2. */
  readonly label: string
  readonly why: string
}

/** What a critic's best response fixes: its logit a* where one is determined, and its classify term. */
interface CriticOptimum {
  readonly logit: number | undefined
  readonly own: Classify
  readonly player: string
}

const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a))
const softplus = (a: number): number => (a > 30 ? a : Math.log1p(Math.exp(a)))

/** The best response's logit for a critic trained on real against `k` equal fake sets. */
const optimalLogit = (c: Classify): number | undefined => {
  const k = c.fake.length
  switch (c.variant) {
    case 'bce':
      return -Math.log(k)
    case 'leastSquares':
      return 1 / (1 + k)
    case 'hinge':
      return k > 1 ? -1 : undefined
    case 'wasserstein':
      return undefined
  }
}

/** Each critic's own classification term: a `Classify` on it in the loss of a player that updates it. */
const criticOptima = (players: ReadonlyArray<Pick<Player, 'name' | 'nets' | 'loss'>>): Map<string, CriticOptimum> => {
  const out = new Map<string, CriticOptimum>()
  for (const p of players)
    for (const { leaf } of L.leaves(p.loss))
      if (leaf._tag === 'Classify' && p.nets.includes(leaf.critic) && !out.has(leaf.critic))
        out.set(leaf.critic, { logit: optimalLogit(leaf), own: leaf, player: p.name })
  return out
}

const describeSets = (k: number): string => `real + ${k} fake set${k === 1 ? '' : 's'}`

type Value = { readonly value: number; readonly why: string } | undefined

/** The value of one leaf at equilibrium, or `undefined` (one case per leaf: a new leaf is a type error here). */
const leafValue = (t: Leaf, optima: Map<string, CriticOptimum>): Value => {
  /** The optimum of the critic a leaf reads, its logit, and the optimum in words. */
  const against = (critic: string) => {
    const o = optima.get(critic)
    return o && { o, a: o.logit, star: `${o.own.variant} ${critic} (${describeSets(o.own.fake.length)})` }
  }
  /** A generator-side term whose value is fixed by a BCE critic's best logit. */
  const underBce = (critic: string, value: (a: number) => number, why: (star: string) => string): Value => {
    const c = against(critic)
    return c === undefined || c.a === undefined || c.o.own.variant !== 'bce'
      ? undefined
      : { value: value(c.a), why: why(c.star) }
  }
  const none = (): Value => undefined
  return L.matchLeaf<Value>({
    // no value fixed by the game
    Reconstruction: none,
    GaussianKL: none,
    GradientPenalty: none,
    // −E[D](G(z)) against a Wasserstein critic: the critic's scale is free
    Critic: none,
    Classify: (t) => {
      const c = against(t.critic)
      if (c === undefined) return undefined
      const { o, a, star } = c
      const k = t.fake.length
      if (t === o.own) {
        if (t.variant === 'hinge') return { value: 2, why: `hinge critic ${t.critic} at its best response` }
        if (t.variant === 'wasserstein')
          return k === 1 ? { value: 0, why: `Wasserstein critic ${t.critic}: E a(real) = E a(fake)` } : undefined
      }
      if (a === undefined || t.variant !== o.own.variant) return undefined
      const own = t === o.own ? `${t.variant} critic ${t.critic}, ${describeSets(k)}` : `labels against ${star}`
      switch (t.variant) {
        case 'bce':
          return { value: softplus(-a) + k * softplus(a), why: `${own}: D* = ${fraction(sigmoid(a))}` }
        case 'leastSquares':
          return { value: 0.5 * (a - 1) ** 2 + k * 0.5 * a ** 2, why: `${own}: a* = ${fraction(a)}` }
        case 'hinge':
          return { value: Math.max(0, 1 - a) + k * Math.max(0, 1 + a), why: `${own}: a* = ${a}` }
        case 'wasserstein':
          return undefined
      }
    },
    NonSaturating: (t) =>
      underBce(
        t.critic,
        (a) => -Math.log(sigmoid(a)),
        (star) => `−ln D* against ${star}`
      ),
    Minimax: (t) =>
      underBce(
        t.critic,
        (a) => Math.log(1 - sigmoid(a)),
        (star) => `ln(1 − D*) against ${star}`
      ),
    DensityRatio: (t) =>
      underBce(
        t.critic,
        (a) => a,
        (star) => `log D*/(1 − D*) against ${star}`
      ),
    LatentKL: (t) =>
      underBce(
        t.critic,
        (a) => -a,
        (star) => `−log C*/(1 − C*) against ${star}`
      ),
    R1: (t) =>
      against(t.critic)?.a === undefined ? undefined : { value: 0, why: `${t.critic} is constant at its best response` }
  })(t)
}

const fraction = (x: number): string => {
  for (let d = 1; d <= 12; d++) {
    const n = Math.round(x * d)
    if (Math.abs(n / d - x) < 1e-12) return d === 1 ? String(n) : `${n}/${d}`
  }
  return x.toPrecision(4)
}

const lnTerm = (c: number, n: number, first: boolean): string => {
  const sign = c < 0 ? (first ? '−' : ' − ') : first ? '' : ' + '
  const m = Math.abs(c)
  return `${sign}${m === 1 ? '' : `${m} `}ln ${n}`
}

/**
 * `2 ln 2`, `ln 2`, `−ln 2`, `3 ln 3 − 2 ln 2`, `0`: small multiples of ln 2 and ln 3, else the number.
 * @example
 * formatEquilibrium(2 * Math.LN2)
 * // '2 ln 2'
 * formatEquilibrium(Math.log(3) + 2 * Math.log(1.5))
 * // '3 ln 3 − 2 ln 2'
 */
export const formatEquilibrium = (v: number): string => {
  if (Math.abs(v) < 1e-12) return '0'
  let best: { a: number; b: number } | undefined
  for (let a = -6; a <= 6; a++)
    for (let b = -6; b <= 6; b++)
      if (
        Math.abs(a * Math.LN2 + b * Math.log(3) - v) < 1e-9 &&
        (best === undefined || Math.abs(a) + Math.abs(b) < Math.abs(best.a) + Math.abs(best.b))
      )
        best = { a, b }
  if (best === undefined || (best.a === 0 && best.b === 0)) return Number.isInteger(v) ? String(v) : v.toFixed(3)
  const parts: Array<string> = []
  if (best.b !== 0) parts.push(lnTerm(best.b, 3, true))
  if (best.a !== 0) parts.push(lnTerm(best.a, 2, parts.length === 0))
  return parts.join('')
}

/** The value of a term at equilibrium, when every part of it has one. */
const valueOf = (t: Loss, optima: Map<string, CriticOptimum>): { value: number; why: Array<string> } | undefined =>
  L.matchCombinator<{ value: number; why: Array<string> } | undefined>(
    (leaf) => {
      const v = leafValue(leaf, optima)
      return v && { value: v.value, why: [v.why] }
    },
    {
      Zero: () => ({ value: 0, why: [] }),
      Sum: (t) => {
        let value = 0
        const why: Array<string> = []
        for (const u of t.terms) {
          const v = valueOf(u, optima)
          if (v === undefined) return undefined
          value += v.value
          why.push(...v.why)
        }
        return { value, why }
      },
      Scale: (t) => {
        const v = valueOf(t.term, optima)
        return v && { value: t.k * v.value + 0, why: v.why }
      },
      Named: (t) => valueOf(t.term, optima),
      Weighted: (t) => {
        const v = valueOf(t.term, optima)
        if (t.schedule._tag !== 'Constant') return v !== undefined && v.value === 0 ? v : undefined
        return v && { value: S.at(t.schedule, 0) * v.value + 0, why: v.why }
      }
    }
  )(t)

/** Every `named` sub-term of a loss with its label (the first occurrence of each label). */
const namedTerms = (t: Loss, out = new Map<string, Loss>()): Map<string, Loss> => {
  L.matchCombinator<void>(() => undefined, {
    Zero: () => undefined,
    Sum: (t) => t.terms.forEach((u) => namedTerms(u, out)),
    Scale: (t) => void namedTerms(t.term, out),
    Weighted: (t) => void namedTerms(t.term, out),
    Named: (t) => {
      if (!out.has(t.label)) out.set(t.label, t.term)
      namedTerms(t.term, out)
    }
  })(t)
  return out
}

/**
 * The equilibrium value of every logged key (`player` for a player's loss, `player/label` for a named
 * term) that the game fixes.
 * @example
 * const critic = player('critic', ['D'], classify('D', { real: data, fake: G(prior) }))
 * const generator = player('generator', ['G'], named('fool', nonSaturating('D', G(prior))))
 * const eq = equilibria([critic, generator])
 * eq.get('critic')?.label
 * // '2 ln 2'
 * [...eq.keys()]
 * // ['critic', 'generator', 'generator/fool']
 */
export const equilibria = (
  players: ReadonlyArray<Pick<Player, 'name' | 'nets' | 'loss'>>
): ReadonlyMap<string, Equilibrium> => {
  const optima = criticOptima(players)
  const out = new Map<string, Equilibrium>()
  const put = (key: string, t: Loss): void => {
    const v = valueOf(t, optima)
    if (v !== undefined)
      out.set(key, { value: v.value, label: formatEquilibrium(v.value), why: [...new Set(v.why)].join('; ') || 'zero' })
  }
  for (const p of players) {
    put(p.name, p.loss)
    for (const [label, t] of namedTerms(p.loss)) put(`${p.name}/${label}`, t)
  }
  return out
}
