/**
 * The algebraic laws as plain predicates, in the manner of fp-ts-laws: the instance and its `Eq`
 * first, generated values second, a `boolean` out. No test runner is imported here.
 */
import type { Eq } from 'fp-ts/Eq'
import type { Monoid } from 'fp-ts/Monoid'
import * as E from 'fp-ts/Either'
import type * as t from 'io-ts'

import type { Loss } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'

export const semigroup = {
  associativity:
    <A>(M: Monoid<A>, Q: Eq<A>) =>
    (a: A, b: A, c: A): boolean =>
      Q.equals(M.concat(a, M.concat(b, c)), M.concat(M.concat(a, b), c))
}

export const monoid = {
  ...semigroup,
  leftIdentity:
    <A>(M: Monoid<A>, Q: Eq<A>) =>
    (a: A): boolean =>
      Q.equals(M.concat(M.empty, a), a),
  rightIdentity:
    <A>(M: Monoid<A>, Q: Eq<A>) =>
    (a: A): boolean =>
      Q.equals(M.concat(a, M.empty), a),
  commutativity:
    <A>(M: Monoid<A>, Q: Eq<A>) =>
    (a: A, b: A): boolean =>
      Q.equals(M.concat(a, b), M.concat(b, a))
}

/** `Loss` as a module over numbers under `scale`. */
export const module = {
  composes:
    (Q: Eq<Loss>) =>
    (j: number, k: number, a: Loss): boolean =>
      Q.equals(L.scale(j, L.scale(k, a)), L.scale(j * k, a)),
  distributesOverAdd:
    (Q: Eq<Loss>) =>
    (k: number, a: Loss, b: Loss): boolean =>
      Q.equals(L.scale(k, L.add(a, b)), L.add(L.scale(k, a), L.scale(k, b))),
  distributesOverCoefficients:
    (Q: Eq<Loss>) =>
    (j: number, k: number, a: Loss): boolean =>
      Q.equals(L.scale(j + k, a), L.add(L.scale(j, a), L.scale(k, a))),
  unit:
    (Q: Eq<Loss>) =>
    (a: Loss): boolean =>
      Q.equals(L.scale(1, a), a),
  annihilation:
    (Q: Eq<Loss>) =>
    (a: Loss): boolean =>
      Q.equals(L.scale(0, a), L.zero)
}

export const normalForm = {
  /** normalize ∘ normalize = normalize (structurally). */
  idempotent: (a: Loss): boolean => L.EqStrict.equals(L.normalize(L.normalize(a)), L.normalize(a)),
  /** A term means what its normal form means. */
  sound: (a: Loss): boolean => L.Eq.equals(L.normalize(a), a),
  /** A printer is injective on normal forms: equal prints imply equal terms. */
  injective:
    (show: (t: Loss) => string) =>
    (a: Loss, b: Loss): boolean =>
      show(L.normalize(a)) !== show(L.normalize(b)) || L.Eq.equals(a, b)
}

export const codec = {
  /** decode(encode(a)) is `a`, structurally. */
  roundTrip:
    <A>(C: t.Type<A>, Q: Eq<A>, encode: (a: A) => unknown) =>
    (a: A): boolean => {
      const r = C.decode(encode(a))
      return E.isRight(r) && Q.equals(r.right, a)
    }
}
