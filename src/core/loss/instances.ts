/**
 * fp-ts instances of `Loss`: equality of meaning and of structure, and the monoid under `add`.
 * @since 0.1.0
 */
import type { Eq as EqT } from 'fp-ts/Eq'
import type { Monoid as MonoidT } from 'fp-ts/Monoid'
import type { Semigroup as SemigroupT } from 'fp-ts/Semigroup'

import { add, zero } from './constructors.ts'
import { key } from './key.ts'
import type { Loss } from './model.ts'
import { normalize } from './normalForm.ts'

/** Equality of meaning as an objective: equal normal forms. @category instances */
export const Eq: EqT<Loss> = { equals: (a, b) => key(normalize(a)) === key(normalize(b)) }

/** Exact structural equality (no normalisation). @category instances */
export const EqStrict: EqT<Loss> = { equals: (a, b) => key(a) === key(b) }

/** @category instances */
export const Semigroup: SemigroupT<Loss> = { concat: (a, b) => add(a, b) }

/** `Loss` under `add` with `zero`. @category instances */
export const Monoid: MonoidT<Loss> = { concat: (a, b) => add(a, b), empty: zero }
