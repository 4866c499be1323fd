/**
 * The pieces the codecs are built from: numbers that obey one of the algebra's rules, a tagged
 * union from a per-tag record, and structs decoded through core's smart constructors.
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import * as t from 'io-ts'

import { isDim } from '../core/Game.ts'

// -------------------------------------------------------------------------------------
// numbers
// -------------------------------------------------------------------------------------

/** A number that obeys a rule, named in error messages (`expected Finite, got "ten"`). */
export const numberWhere = (name: string, ok: (n: number) => boolean): t.Type<number> =>
  new t.Type<number>(
    name,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => (typeof u === 'number' && ok(u) ? t.success(u) : t.failure(u, c)),
    t.identity
  )

/** A finite number (JSON has no NaN or Infinity, and a loss weight must be finite). */
export const Finite = numberWhere('Finite', Number.isFinite)
/** An integer. */
export const Int = numberWhere('Int', Number.isInteger)
/** A dimension: a positive integer (core's rule). */
export const Dim = numberWhere('Dim', isDim)
export const ShapeC = t.readonlyArray(Dim, 'Shape')

// -------------------------------------------------------------------------------------
// tagged unions
// -------------------------------------------------------------------------------------

/**
 * One codec per tag of a union, each decoding to exactly that member and encoding it to itself: a
 * new tag is a type error until it has a codec, and a codec whose fields differ from its member's is
 * one too.
 */
export type TaggedCodecs<U extends { readonly _tag: string }> = {
  readonly [K in U['_tag']]: t.Type<Extract<U, { readonly _tag: K }>>
}

/** The union of a per-tag record of codecs (io-ts dispatches on `_tag`, so errors name one member). */
export const tagged = <U extends { readonly _tag: string }>(cases: TaggedCodecs<U>, name?: string): t.Type<U> => {
  const [first, second, ...rest] = Object.values<t.Mixed>(cases)
  return t.union([first, second, ...rest], name)
}

/**
 * A struct decoded through one of core's smart constructors, so that the rule it enforces (and the
 * message that explains it) lives only there: the constructor's `RangeError` is the decoding failure.
 */
export const built = <P extends t.Props, A extends t.TypeOf<t.TypeC<P>> & t.OutputOf<t.TypeC<P>>>(
  props: P,
  make: (fields: t.TypeOf<t.TypeC<P>>) => A
): t.Type<A, t.OutputOf<t.TypeC<P>>> => {
  const struct = t.type(props)
  const validate = (u: unknown, c: t.Context): t.Validation<A> =>
    E.chain((fields: t.TypeOf<t.TypeC<P>>): t.Validation<A> => {
      try {
        return t.success(make(fields))
      } catch (e) {
        if (e instanceof RangeError) return t.failure(u, c, e.message)
        throw e
      }
    })(struct.validate(u, c))
  const is = (u: unknown): u is A => E.isRight(validate(u, []))
  // a refinement of the struct, so that a union of these still dispatches on the tag
  return new t.RefinementType<t.TypeC<P>, A, t.OutputOf<t.TypeC<P>>, unknown>(
    struct.name,
    is,
    validate,
    struct.encode,
    struct,
    is
  )
}
