/**
 * Function helpers of the algebra: the two call styles of a combinator.
 * @since 0.1.0
 */

/** A combinator callable data-first, `f(a, data)`, or data-last, `f(a)(data)` for `pipe`. */
export interface DataLast<A, D, R> {
  (a: A, data: D): R
  (a: A): (data: D) => R
}

/**
 * Both call styles from the curried form, which runs its checks on `a` as soon as it is given:
 * `scale(k, t)` and `pipe(t, scale(k))`.
 */
export const dataLast = <A, D, R>(f: (a: A) => (data: D) => R): DataLast<A, D, R> =>
  ((...args: [A] | [A, D]) => (args.length === 1 ? f(args[0]) : f(args[0])(args[1]))) as DataLast<A, D, R>

/** A binary operation callable as `f(self, that)` or, data-last, `f(that)(self)`: `pipe(a, add(b))`. */
export interface Binary<D, R> {
  (self: D, that: D): R
  (that: D): (self: D) => R
}

/** Both call styles of a binary operation. */
export const binary = <D, R>(f: (self: D, that: D) => R): Binary<D, R> =>
  ((...args: [D] | [D, D]) => (args.length === 1 ? (self: D) => f(self, args[0]) : f(args[0], args[1]))) as Binary<D, R>
