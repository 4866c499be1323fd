/**
 * Decoding with errors that name the path into the document, and encoding to plain JSON.
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'

/** Codecs whose numeric context keys name alternatives or members, not positions in the document. */
const isComposite = (c: t.Decoder<unknown, unknown>): boolean => {
  const inner = c instanceof t.RecursiveType || c instanceof t.ExactType ? (c as t.RecursiveType<t.Any>).type : c
  return inner instanceof t.UnionType || inner instanceof t.IntersectionType
}

/** The path into the document: union alternatives and intersection members are not part of it. */
const path = (e: t.ValidationError): string =>
  e.context
    .map((c, i, all) =>
      i === 0 || c.key === '' || isComposite(all[i - 1].type) ? '' : /^\d+$/.test(c.key) ? `[${c.key}]` : `.${c.key}`
    )
    .join('')

const show = (v: unknown): string => {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/**
 * One line per problem: the path into the document, what was expected and what was found. Where a
 * union's tag matched, only that alternative's errors are kept; where none matched, the expected
 * tags are listed together.
 */
export const report = (errors: t.Errors, root = '$'): ReadonlyArray<string> => {
  const byPath = new Map<string, { expected: Set<string>; broken: Set<string>; value: unknown }>()
  for (const e of errors) {
    const p = path(e)
    const slot = byPath.get(p) ?? { expected: new Set<string>(), broken: new Set<string>(), value: e.value }
    // a message is a rule of the algebra that the value breaks, in the words of core's constructor
    if (e.message !== undefined) slot.broken.add(e.message)
    else slot.expected.add(e.context[e.context.length - 1].type.name)
    byPath.set(p, slot)
  }
  const paths = [...byPath.keys()]
  return paths
    .filter((p) => !(p.endsWith('._tag') && paths.some((q) => q !== p && q.startsWith(p.slice(0, -'_tag'.length)))))
    .flatMap((p) => {
      const { expected, broken, value } = byPath.get(p)!
      return [
        ...(expected.size > 0 ? [`${root}${p}: expected ${[...expected].join(' | ')}, got ${show(value)}`] : []),
        ...[...broken].map((m) => `${root}${p}: ${m}`)
      ]
    })
}

/** Decodes, or returns the report lines. */
export const decode = <A, O>(codec: t.Type<A, O>, input: unknown, root = '$'): E.Either<ReadonlyArray<string>, A> =>
  pipe(
    codec.decode(input),
    E.mapLeft((errs) => report(errs, root))
  )

/** Plain JSON of a term or game (they already are plain data). */
export const encode = <A, O>(codec: t.Type<A, O>, a: A): unknown => JSON.parse(JSON.stringify(codec.encode(a)))
