/**
 * Reads sample expressions written in the notation `showExpr` prints (`x`, `z`, `G(E(x))`,
 * `𝒩(m, v)`, `(x, E(x))`, `sg(e)`, `e[0/2]`, quoted net names) into the core's constructors, so the
 * editor's text fields round-trip with the formulas it shows.
 */
import type { Expr } from '../../src/core/Expr.ts'
import { apply, chunk, data, gaussian, pair, prior, stop } from '../../src/core/Expr.ts'

export class ParseError extends Error {
  constructor(
    message: string,
    readonly at: number
  ) {
    super(message)
    this.name = 'ParseError'
  }
}

class Reader {
  i = 0
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++
  }
  peek(): string {
    this.ws()
    return this.s[this.i] ?? ''
  }
  eat(c: string): boolean {
    this.ws()
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length
      return true
    }
    return false
  }
  expect(c: string): void {
    if (!this.eat(c)) throw new ParseError(`expected "${c}" at ${this.i + 1} in "${this.s}"`, this.i)
  }
  name(): string {
    this.ws()
    if (this.s[this.i] === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(this.s.slice(this.i))
      if (m === null) throw new ParseError(`unterminated quoted name at ${this.i + 1}`, this.i)
      this.i += m[0].length
      return JSON.parse(m[0]) as string
    }
    const m = /^[A-Za-z][A-Za-z0-9_]*/.exec(this.s.slice(this.i))
    if (m === null)
      throw new ParseError(
        `expected a sample (x, z, NET(…), (a, b), 𝒩(m, v), sg(…)) at ${this.i + 1} in "${this.s}"`,
        this.i
      )
    this.i += m[0].length
    return m[0]
  }
  int(): number {
    this.ws()
    const m = /^\d+/.exec(this.s.slice(this.i))
    if (m === null) throw new ParseError(`expected a whole number at ${this.i + 1} in "${this.s}"`, this.i)
    this.i += m[0].length
    return Number(m[0])
  }
}

const atom = (r: Reader): Expr => {
  if (r.eat('(')) {
    const x = expr(r)
    r.expect(',')
    const z = expr(r)
    r.expect(')')
    return pair(x, z)
  }
  if (r.eat('𝒩(')) return gaussianRest(r)
  const n = r.name()
  if (r.peek() !== '(') {
    if (n === 'x') return data
    if (n === 'z') return prior
    throw new ParseError(`"${n}" is not a sample: write x, z or a net applied to one, e.g. ${n}(x)`, r.i)
  }
  r.expect('(')
  if (n === 'N') return gaussianRest(r)
  const inner = expr(r)
  r.expect(')')
  return n === 'sg' ? stop(inner) : apply(n, inner)
}

const gaussianRest = (r: Reader): Expr => {
  const m = expr(r)
  r.expect(',')
  const v = expr(r)
  r.expect(')')
  return gaussian(m, v)
}

const expr = (r: Reader): Expr => {
  let e = atom(r)
  while (r.eat('[')) {
    const index = r.int()
    r.expect('/')
    const count = r.int()
    r.expect(']')
    if (index >= count) throw new ParseError(`chunk [${index}/${count}]: the index must be below the count`, r.i)
    e = chunk(e, index, count)
  }
  return e
}

/** One expression, e.g. `G(E(x))`. */
export const parseExpr = (s: string): Expr => {
  const r = new Reader(s)
  const e = expr(r)
  r.ws()
  if (r.i < s.length) throw new ParseError(`unexpected "${s.slice(r.i)}" after ${s.slice(0, r.i).trim()}`, r.i)
  return e
}

/** A comma-separated list of expressions, e.g. `G(E(x)), G(z)`. */
export const parseExprList = (s: string): ReadonlyArray<Expr> => {
  const r = new Reader(s)
  const out = [expr(r)]
  while (r.eat(',')) out.push(expr(r))
  r.ws()
  if (r.i < s.length) throw new ParseError(`unexpected "${s.slice(r.i)}"`, r.i)
  return out
}
