/**
 * The structured editor's view of a player's loss: a list of top-level terms, each a leaf with an
 * optional name (`named`) and weight (`scale`). Pure functions over the core's terms.
 */
import type { Expr } from '../../src/core/Expr.ts'
import type { Leaf, Loss } from '../../src/core/Loss.ts'
import { named, scale, zero } from '../../src/core/Loss.ts'
import { showExpr } from '../../src/core/Show.ts'
import { parseExpr, parseExprList } from './expr.ts'

/** The top-level terms of a loss (a sum's terms, else the loss itself; zero has none). */
export const termsOf = (loss: Loss): ReadonlyArray<Loss> =>
  loss._tag === 'Sum' ? loss.terms : loss._tag === 'Zero' ? [] : [loss]

/** The loss of a list of terms: zero, the one term, or their sum. */
export const lossOf = (terms: ReadonlyArray<Loss>): Loss =>
  terms.length === 0 ? zero : terms.length === 1 ? terms[0] : { _tag: 'Sum', terms: [...terms] }

export interface Row {
  readonly label: string | undefined
  readonly k: number
  readonly inner: Loss
  /** Whether the name wraps the weight (`named(l, scale(k, t))`, the models' habit) or the reverse. */
  readonly namedOutside: boolean
}

export const decompose = (t: Loss): Row => {
  if (t._tag === 'Named') {
    if (t.term._tag === 'Scale') return { label: t.label, k: t.term.k, inner: t.term.term, namedOutside: true }
    return { label: t.label, k: 1, inner: t.term, namedOutside: true }
  }
  if (t._tag === 'Scale') {
    if (t.term._tag === 'Named') return { label: t.term.label, k: t.k, inner: t.term.term, namedOutside: false }
    return { label: undefined, k: t.k, inner: t.term, namedOutside: true }
  }
  return { label: undefined, k: 1, inner: t, namedOutside: true }
}

export const compose = (r: Row): Loss => {
  const label = r.label?.trim() ?? ''
  const weigh = (t: Loss): Loss => (r.k === 1 ? t : scale(r.k, t))
  const name = (t: Loss): Loss => (label === '' ? t : named(label, t))
  return r.namedOutside ? name(weigh(r.inner)) : weigh(name(r.inner))
}

// -------------------------------------------------------------------------------------
// leaves as forms
// -------------------------------------------------------------------------------------

export type FieldKind = 'expr' | 'exprs' | 'net' | 'choice'
export interface Field {
  readonly key: string
  readonly label: string
  readonly kind: FieldKind
  readonly choices?: ReadonlyArray<string>
}

const critic: Field = { key: 'critic', label: 'critic', kind: 'net' }
const ex = (key: string, label = key): Field => ({ key, label, kind: 'expr' })

/** The kinds of term the form edits: every leaf, and zero (a new leaf is a type error in `LEAVES`). */
export type LeafKind = Leaf['_tag'] | 'Zero'

/** The editable leaves and their fields, one entry per leaf (sums, scales and names are the rows around them). */
export const LEAVES: {
  readonly [K in LeafKind]: {
    readonly title: string
    readonly fields: ReadonlyArray<Field>
    readonly make: () => Extract<Loss, { readonly _tag: K }>
  }
} = {
  Reconstruction: {
    title: 'reconstruction',
    fields: [
      { key: 'norm', label: 'norm', kind: 'choice', choices: ['l1', 'l2', 'bernoulli'] },
      { key: 'reduction', label: 'reduce', kind: 'choice', choices: ['mean', 'sum'] },
      ex('target'),
      ex('output')
    ],
    make: () => ({
      _tag: 'Reconstruction',
      norm: 'l1',
      reduction: 'mean',
      target: parseExpr('x'),
      output: parseExpr('G(E(x))')
    })
  },
  DensityRatio: {
    title: 'density ratio',
    fields: [critic, ex('sample')],
    make: () => ({ _tag: 'DensityRatio', critic: 'D', sample: parseExpr('G(z)') })
  },
  LatentKL: {
    title: 'latent KL (critic)',
    fields: [critic, ex('code')],
    make: () => ({ _tag: 'LatentKL', critic: 'C', code: parseExpr('E(x)') })
  },
  GaussianKL: {
    title: 'Gaussian KL',
    fields: [ex('mean'), ex('logVar', 'log-variance')],
    make: () => ({ _tag: 'GaussianKL', mean: parseExpr('E(x)[0/2]'), logVar: parseExpr('E(x)[1/2]') })
  },
  Classify: {
    title: 'critic loss',
    fields: [
      critic,
      { key: 'variant', label: 'variant', kind: 'choice', choices: ['bce', 'hinge', 'leastSquares', 'wasserstein'] },
      ex('real'),
      { key: 'fake', label: 'fake', kind: 'exprs' }
    ],
    make: () => ({ _tag: 'Classify', critic: 'D', real: parseExpr('x'), fake: [parseExpr('G(z)')], variant: 'bce' })
  },
  NonSaturating: {
    title: 'non-saturating',
    fields: [critic, ex('sample')],
    make: () => ({ _tag: 'NonSaturating', critic: 'D', sample: parseExpr('G(z)') })
  },
  Minimax: {
    title: 'minimax',
    fields: [critic, ex('sample')],
    make: () => ({ _tag: 'Minimax', critic: 'D', sample: parseExpr('G(z)') })
  },
  Critic: {
    title: 'critic value',
    fields: [critic, ex('sample')],
    make: () => ({ _tag: 'Critic', critic: 'D', sample: parseExpr('G(z)') })
  },
  GradientPenalty: {
    title: 'gradient penalty',
    fields: [critic, ex('real'), ex('fake')],
    make: () => ({ _tag: 'GradientPenalty', critic: 'D', real: parseExpr('x'), fake: parseExpr('G(z)') })
  },
  R1: {
    title: 'R1 penalty',
    fields: [critic, ex('real')],
    make: () => ({ _tag: 'R1', critic: 'D', real: parseExpr('x') })
  },
  Zero: { title: 'zero', fields: [], make: () => ({ _tag: 'Zero' }) }
}

/** Whether the form edits terms of this kind. */
export const isLeafKind = (kind: string): kind is LeafKind => Object.hasOwn(LEAVES, kind)

/** A field's value as the text the form shows. */
export const fieldText = (leaf: Loss, f: Field): string => {
  const v = (leaf as unknown as Record<string, unknown>)[f.key]
  if (f.kind === 'expr') return showExpr(v as Expr)
  if (f.kind === 'exprs') return (v as ReadonlyArray<Expr>).map(showExpr).join(', ')
  return String(v)
}

/** The leaf with one field set from text; throws a ParseError (or Error) naming what is wrong. */
export const withField = (leaf: Loss, f: Field, text: string): Loss => {
  let v: unknown
  switch (f.kind) {
    case 'expr':
      v = parseExpr(text)
      break
    case 'exprs':
      v = parseExprList(text)
      break
    case 'net':
      if (text.trim() === '') throw new Error('a net name is needed')
      v = text.trim()
      break
    case 'choice':
      if (!(f.choices ?? []).includes(text)) throw new Error(`one of ${(f.choices ?? []).join(', ')}`)
      v = text
  }
  return { ...leaf, [f.key]: v } as Loss
}

/** A leaf of another kind, keeping the critic and samples that carry over. */
export const changeKind = (leaf: Loss, kind: LeafKind): Loss => {
  const fresh = LEAVES[kind].make() as unknown as Record<string, unknown>
  const old = leaf as unknown as Record<string, unknown>
  const sample = old.sample ?? old.output ?? old.code
  const carry: Record<string, unknown> = {}
  if ('critic' in fresh && typeof old.critic === 'string') carry.critic = old.critic
  if ('sample' in fresh && sample !== undefined) carry.sample = sample
  if ('real' in fresh && old.real !== undefined) carry.real = old.real
  return { ...fresh, ...carry } as unknown as Loss
}

/** The index of the top-level term a check error's path (`loss.terms[2].term…`) points into. */
export const termIndexOf = (path: string): number | undefined => {
  const m = /^loss\.terms\[(\d+)\]/.exec(path)
  return m !== null ? Number(m[1]) : path.startsWith('loss') ? 0 : undefined
}
