/**
 * Terms as formulas, in Unicode for the terminal and LaTeX for papers.
 *
 * `show` is injective on normal forms: two normal forms that print the same are equal.
 *
 * @example
 * showUnicode(add(scale(10, reconstructionL1(data, G(E(data)))), neg(densityRatio('D', G(prior)))))
 * // '10·mean|x − G(E(x))| − E[log D/(1−D)](G(z))'
 *
 * @since 0.1.0
 */
import type { Show as ShowT } from 'fp-ts/Show'

import type { Expr } from './Expr.ts'
import * as X from './Expr.ts'
import type { Loss } from './Loss.ts'
import * as L from './Loss.ts'
import * as S from './Schedule.ts'

/** The pieces of notation that differ between Unicode and LaTeX. */
interface Notation {
  readonly expr: (e: Expr) => string
  readonly net: (name: string) => string
  readonly minus: string
  readonly times: string
  readonly leaf: L.LeafMatch<string>
  readonly named: (label: string, body: string) => string
  readonly weighted: (schedule: S.Schedule, body: string) => string
  readonly number: (k: number) => string
}

const isSimpleName = (name: string): boolean => /^[A-Za-z][A-Za-z0-9_]*$/.test(name)

const unicodeExpr: (e: Expr) => string = X.match<string>({
  Data: () => 'x',
  Prior: () => 'z',
  Apply: (e) => `${isSimpleName(e.net) ? e.net : JSON.stringify(e.net)}(${unicodeExpr(e.input)})`,
  Gaussian: (e) => `𝒩(${unicodeExpr(e.mean)}, ${unicodeExpr(e.logVar)})`,
  Pair: (e) => `(${unicodeExpr(e.x)}, ${unicodeExpr(e.z)})`,
  Stop: (e) => `sg(${unicodeExpr(e.expr)})`,
  Chunk: (e) => `${unicodeExpr(e.expr)}[${e.index}/${e.count}]`
})

const latexName = (name: string): string =>
  isSimpleName(name) && name.length === 1 ? name : `\\mathrm{${name.replace(/[\\{}_^#$%&~]/g, (c) => `\\${c}`)}}`

const latexExpr: (e: Expr) => string = X.match<string>({
  Data: () => 'x',
  Prior: () => 'z',
  Apply: (e) => `${latexName(e.net)}(${latexExpr(e.input)})`,
  Gaussian: (e) => `\\mathcal{N}(${latexExpr(e.mean)}, ${latexExpr(e.logVar)})`,
  Pair: (e) => `(${latexExpr(e.x)}, ${latexExpr(e.z)})`,
  Stop: (e) => `\\mathrm{sg}(${latexExpr(e.expr)})`,
  Chunk: (e) => `${latexExpr(e.expr)}_{[${e.index}/${e.count}]}`
})

const unicodeNet = (n: string): string => (isSimpleName(n) ? n : JSON.stringify(n))
const red = (r: L.Reduction): string => (r === 'mean' ? 'mean' : 'Σ')

const unicode: Notation = {
  expr: unicodeExpr,
  net: unicodeNet,
  minus: '−',
  times: '·',
  number: (k) => String(k),
  named: (label, body) =>
    `⟦${/^[A-Za-z0-9_./ -]+$/.test(label) && !label.startsWith('"') ? label : JSON.stringify(label)}: ${body}⟧`,
  weighted: (s, body) => `${S.show(s)}·${body}`,
  leaf: {
    Reconstruction: (t) => {
      const d = `${unicodeExpr(t.target)} − ${unicodeExpr(t.output)}`
      switch (t.norm) {
        case 'l1':
          return t.reduction === 'sum' ? `‖${d}‖₁` : `mean|${d}|`
        case 'l2':
          return t.reduction === 'sum' ? `‖${d}‖²₂` : `mean(${d})²`
        case 'bernoulli':
          return `−${red(t.reduction)} log Bern(${unicodeExpr(t.target)}; σ(${unicodeExpr(t.output)}))`
      }
    },
    DensityRatio: (t) => `E[log ${unicodeNet(t.critic)}/(1−${unicodeNet(t.critic)})](${unicodeExpr(t.sample)})`,
    LatentKL: (t) => `KL_${unicodeNet(t.critic)}(${unicodeExpr(t.code)})`,
    GaussianKL: (t) => `KL(${unicodeExpr(t.mean)}, ${unicodeExpr(t.logVar)} ‖ 𝒩(0, I))`,
    Classify: (t) =>
      `ℓ${t.variant}_${unicodeNet(t.critic)}(${unicodeExpr(t.real)} | ${t.fake.map(unicodeExpr).join(', ')})`,
    NonSaturating: (t) => `−E[log ${unicodeNet(t.critic)}](${unicodeExpr(t.sample)})`,
    Minimax: (t) => `E[log(1−${unicodeNet(t.critic)})](${unicodeExpr(t.sample)})`,
    Critic: (t) => `−E[${unicodeNet(t.critic)}](${unicodeExpr(t.sample)})`,
    GradientPenalty: (t) => `GP_${unicodeNet(t.critic)}(${unicodeExpr(t.real)}, ${unicodeExpr(t.fake)})`,
    R1: (t) => `R1_${unicodeNet(t.critic)}(${unicodeExpr(t.real)})`
  }
}

const latexNumber = (k: number): string => {
  const s = String(k)
  const m = /^(-?[\d.]+)e([+-]\d+)$/.exec(s)
  return m ? `${m[1]}\\times 10^{${Number(m[2])}}` : s
}

const latex: Notation = {
  expr: latexExpr,
  net: latexName,
  minus: '-',
  times: ' \\cdot ',
  number: latexNumber,
  named: (label, body) => `\\underbrace{${body}}_{\\text{${label.replace(/[\\{}_^#$%&~]/g, (c) => `\\${c}`)}}}`,
  weighted: (s, body) => `w_{\\text{${S.key(s)}}} \\cdot ${body}`,
  leaf: {
    Reconstruction: (t) => {
      const d = `${latexExpr(t.target)} - ${latexExpr(t.output)}`
      switch (t.norm) {
        case 'l1':
          return t.reduction === 'sum' ? `\\lVert ${d} \\rVert_1` : `\\overline{\\lvert ${d} \\rvert}`
        case 'l2':
          return t.reduction === 'sum' ? `\\lVert ${d} \\rVert_2^2` : `\\overline{(${d})^2}`
        case 'bernoulli':
          return `-\\${t.reduction === 'sum' ? 'sum' : 'overline'}{\\log \\mathrm{Bern}}(${latexExpr(t.target)}; \\sigma(${latexExpr(t.output)}))`
      }
    },
    DensityRatio: (t) =>
      `\\mathbb{E}\\left[\\log \\frac{${latexName(t.critic)}}{1-${latexName(t.critic)}}\\right](${latexExpr(t.sample)})`,
    LatentKL: (t) => `\\mathrm{KL}_{${latexName(t.critic)}}(${latexExpr(t.code)})`,
    GaussianKL: (t) => `\\mathrm{KL}(${latexExpr(t.mean)}, ${latexExpr(t.logVar)} \\,\\|\\, \\mathcal{N}(0, I))`,
    Classify: (t) =>
      `\\ell^{\\mathrm{${t.variant}}}_{${latexName(t.critic)}}(${latexExpr(t.real)} \\mid ${t.fake.map(latexExpr).join(', ')})`,
    NonSaturating: (t) => `-\\mathbb{E}[\\log ${latexName(t.critic)}](${latexExpr(t.sample)})`,
    Minimax: (t) => `\\mathbb{E}[\\log(1-${latexName(t.critic)})](${latexExpr(t.sample)})`,
    Critic: (t) => `-\\mathbb{E}[${latexName(t.critic)}](${latexExpr(t.sample)})`,
    GradientPenalty: (t) => `\\mathrm{GP}_{${latexName(t.critic)}}(${latexExpr(t.real)}, ${latexExpr(t.fake)})`,
    R1: (t) => `R_1^{${latexName(t.critic)}}(${latexExpr(t.real)})`
  }
}

/** The term under factors of 1, which print as nothing. */
const unit = (t: Loss): Loss => (t._tag === 'Scale' && t.k === 1 ? unit(t.term) : t)

/** A printer is a fold; sums need parentheses under a scale or a weight. */
const printer = (n: Notation): ((t: Loss) => string) => {
  const go = (t: Loss): string =>
    L.matchCombinator<string>(L.matchLeaf(n.leaf), {
      Zero: () => '0',
      Sum: (t) =>
        t.terms.length === 0
          ? '0'
          : t.terms
              .map((v, i) => {
                const u = unit(v)
                // a negative scale prints as subtraction
                if (u._tag === 'Scale' && (u.k < 0 || Object.is(u.k, -0))) {
                  const body = u.k === -1 ? atom(u.term) : `${n.number(-u.k)}${n.times}${atom(u.term)}`
                  return `${i === 0 ? n.minus : ` ${n.minus} `}${body}`
                }
                return i === 0 ? go(u) : ` + ${go(u)}`
              })
              .join(''),
      // a factor of 1 (λ = 1) is not written: `1 ·` says nothing
      Scale: (t) =>
        t.k === 1 ? go(t.term) : t.k === -1 ? `${n.minus}${atom(t.term)}` : `${n.number(t.k)}${n.times}${atom(t.term)}`,
      Named: (t) => n.named(t.label, go(t.term)),
      Weighted: (t) => n.weighted(t.schedule, atom(t.term))
    })(t)
  // A term that must be parenthesised when it is the operand of a product.
  const atom = (v: Loss): string => {
    const t = unit(v)
    const s = go(t)
    const needs =
      t._tag === 'Sum' || t._tag === 'Scale' || t._tag === 'Weighted' || s.startsWith('−') || s.startsWith('-')
    return needs ? `(${s})` : s
  }
  return go
}

/** @category instances */
export const showUnicode: (t: Loss) => string = printer(unicode)
/** @category instances */
export const showLatex: (t: Loss) => string = printer(latex)

/** @category instances */
export const Show: ShowT<Loss> = { show: showUnicode }
/** @category instances */
export const ShowLatex: ShowT<Loss> = { show: showLatex }

/** Expressions in the same notation. @category instances */
export const showExpr: (e: Expr) => string = unicodeExpr
