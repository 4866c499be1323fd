/**
 * Sample expressions: the random quantities a loss term is an expectation over.
 *
 * An `Expr` is pure data. Nets are referred to by name (`"E"`, `"G"`, `"D"`, `"C"`, `"J"`) and bound
 * to tensors only by the compiler. Within one training step every `data` is the same batch, every
 * `prior` the same draw, every `gaussian` node the same noise, and equal `apply` nodes are computed once.
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** x ~ p*(x): the current data batch. @category model */
export interface Data {
  readonly _tag: 'Data'
}
/** z ~ N(0, I): the current prior draw. @category model */
export interface Prior {
  readonly _tag: 'Prior'
}
/** net(input). @category model */
export interface Apply {
  readonly _tag: 'Apply'
  readonly net: string
  readonly input: Expr
}
/** A reparameterised draw mean + exp(logVar / 2)·ε, ε ~ N(0, I). @category model */
export interface Gaussian {
  readonly _tag: 'Gaussian'
  readonly mean: Expr
  readonly logVar: Expr
}
/** The joint (x, z), flattened and concatenated along the feature axis (BiGAN). @category model */
export interface Pair {
  readonly _tag: 'Pair'
  readonly x: Expr
  readonly z: Expr
}
/** Same value, zero gradient. @category model */
export interface Stop {
  readonly _tag: 'Stop'
  readonly expr: Expr
}
/** Part `index` of `count` equal parts of the last axis (an encoder's mean and log-variance). @category model */
export interface Chunk {
  readonly _tag: 'Chunk'
  readonly expr: Expr
  readonly index: number
  readonly count: number
}

/** @category model */
export type Expr = Data | Prior | Apply | Gaussian | Pair | Stop | Chunk

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** @category constructors */
export const data: Expr = { _tag: 'Data' }
/** @category constructors */
export const prior: Expr = { _tag: 'Prior' }
/** @category constructors */
export const apply = (net: string, input: Expr): Apply => ({ _tag: 'Apply', net, input })
/** @category constructors */
export const gaussian = (mean: Expr, logVar: Expr): Gaussian => ({ _tag: 'Gaussian', mean, logVar })
/** @category constructors */
export const pair = (x: Expr, z: Expr): Pair => ({ _tag: 'Pair', x, z })
/** @category constructors */
export const stop = (expr: Expr): Stop => ({ _tag: 'Stop', expr })
/** Whether `index` names one of `count` equal parts: integers with `0 ≤ index < count`. @category refinements */
export const isPart = (index: number, count: number): boolean =>
  Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 0 && index < count

/**
 * @example
 * // an encoder with 2·k outputs read as mean and log-variance
 * const q = gaussian(chunk(apply('E', data), 0, 2), chunk(apply('E', data), 1, 2))
 * @category constructors
 */
export const chunk = (expr: Expr, index: number, count: number): Chunk => {
  if (!isPart(index, count)) {
    throw new RangeError(`chunk: index ${index} of ${count} parts is not a part (need 0 ≤ index < count, integers)`)
  }
  return { _tag: 'Chunk', expr, index, count }
}

/**
 * A net as a function on expressions: `const G = net('G'); G(E(data))`.
 * @category constructors
 */
export const net =
  (name: string) =>
  (input: Expr): Expr =>
    apply(name, input)

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/** An exhaustive interpreter of expressions: one case per tag. @category destructors */
export type ExprMatch<A> = {
  readonly [K in Expr['_tag']]: (e: Extract<Expr, { readonly _tag: K }>) => A
}

/** @category destructors */
export const match =
  <A>(cases: ExprMatch<A>) =>
  (e: Expr): A =>
    (cases[e._tag] as (e: Expr) => A)(e)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * A canonical, injective string for an expression: structurally equal expressions, and only they,
 * share a key. The compiler uses it to share common sub-expressions.
 * @category utils
 */
export const key: (e: Expr) => string = match<string>({
  Data: () => 'x',
  Prior: () => 'z',
  Apply: (e) => `${JSON.stringify(e.net)}(${key(e.input)})`,
  Gaussian: (e) => `N(${key(e.mean)};${key(e.logVar)})`,
  Pair: (e) => `pair(${key(e.x)};${key(e.z)})`,
  Stop: (e) => `stop(${key(e.expr)})`,
  Chunk: (e) => `chunk(${key(e.expr)};${e.index}/${e.count})`
})

/** The same expression with every `stop` removed. @category utils */
export const unstop: (e: Expr) => Expr = match<Expr>({
  Data: (e) => e,
  Prior: (e) => e,
  Apply: (e) => apply(e.net, unstop(e.input)),
  Gaussian: (e) => gaussian(unstop(e.mean), unstop(e.logVar)),
  Pair: (e) => pair(unstop(e.x), unstop(e.z)),
  Stop: (e) => unstop(e.expr),
  Chunk: (e) => chunk(unstop(e.expr), e.index, e.count)
})

/** Structural equality. @category utils */
export const equals = (a: Expr, b: Expr): boolean => key(a) === key(b)

/** The names of the nets an expression applies, in order of first appearance (inputs before the net). @category utils */
export const netsOf = (e: Expr, underStop = true): ReadonlyArray<string> => {
  const go: (e: Expr) => ReadonlyArray<string> = match<ReadonlyArray<string>>({
    Data: () => [],
    Prior: () => [],
    Apply: (e) => [...go(e.input), e.net],
    Gaussian: (e) => [...go(e.mean), ...go(e.logVar)],
    Pair: (e) => [...go(e.x), ...go(e.z)],
    Stop: (e) => (underStop ? go(e.expr) : []),
    Chunk: (e) => go(e.expr)
  })
  return [...new Set(go(e))]
}
