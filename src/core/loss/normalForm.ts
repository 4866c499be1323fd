/**
 * The normal form of a term: two terms mean the same objective when their normal forms are
 * structurally equal.
 * @since 0.1.0
 */
import * as S from '../Schedule.ts'
import { zero } from './constructors.ts'
import { key } from './key.ts'
import type { Leaf, Loss } from './model.ts'
import { matchCombinator } from './model.ts'

/** Sums coefficients in a canonical order so that the result does not depend on how a sum was bracketed. */
const sumCoefficients = (ks: ReadonlyArray<number>): number => [...ks].sort((a, b) => a - b).reduce((s, k) => s + k, 0)

const scaled = (k: number, t: Loss): Loss => (k === 0 ? zero : k === 1 ? t : { _tag: 'Scale', k, term: t })

/** An atom of the normal form: a leaf, or a `named` or scheduled term whose body is in normal form. */
type Atom = Leaf | Extract<Loss, { readonly _tag: 'Named' | 'Weighted' }>

/**
 * The canonical form: sums flattened, sorted and free of zeros; like terms collected; scales merged,
 * distributed over sums and never 1 or 0; constant weights turned into scales.
 * Two terms are equal (`Eq`) when their normal forms are structurally equal.
 * @category normal form
 */
export const normalize = (t: Loss): Loss => {
  // Collect Σ k·u with u an atom in normal form.
  const coeffs = new Map<string, { atom: Atom; ks: Array<number> }>()
  const push = (atom: Atom, k: number): void => {
    if (k === 0) return
    const id = key(atom)
    const slot = coeffs.get(id)
    if (slot) slot.ks.push(k)
    else coeffs.set(id, { atom, ks: [k] })
  }
  const go = (t: Loss, k: number): void =>
    matchCombinator<void>((leaf) => push(leaf, k), {
      Zero: () => undefined,
      Sum: (t) => t.terms.forEach((u) => go(u, k)),
      Scale: (t) => go(t.term, k * t.k),
      Named: (t) => push({ _tag: 'Named', label: t.label, term: normalize(t.term) }, k),
      Weighted: (t) => {
        if (t.schedule._tag === 'Constant') return go(t.term, k * t.schedule.value)
        if (S.isZero(t.schedule)) return
        return push({ _tag: 'Weighted', schedule: t.schedule, term: normalize(t.term) }, k)
      }
    })(t)
  go(t, 1)
  const terms = [...coeffs.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { atom, ks }]) => scaled(sumCoefficients(ks) + 0, atom))
    .filter((u) => u._tag !== 'Zero')
  return terms.length === 0 ? zero : terms.length === 1 ? terms[0] : { _tag: 'Sum', terms }
}
