/**
 * Static checks of a game, before any tensor exists. Each failure is a typed error that names the
 * player and the term (by its path in the player's loss and by its formula).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import type { NonEmptyArray } from 'fp-ts/NonEmptyArray'

import type { Expr } from './Expr.ts'
import * as X from './Expr.ts'
import type { Game, Player, Shape } from './Game.ts'
import { isShape, shapeEquals, size } from './Game.ts'
import * as L from './Loss.ts'
import { showExpr, showUnicode } from './Show.ts'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Where in a game a problem is. */
export interface Site {
  readonly player: string
  /** Path into the player's loss, e.g. `loss.terms[2].term`. */
  readonly path: string
  /** The offending term as a formula. */
  readonly term: string
}

/** @category model */
export type CheckError =
  | (Site & { readonly _tag: 'UnboundNet'; readonly net: string })
  | { readonly _tag: 'UnboundPlayerNet'; readonly player: string; readonly net: string }
  | { readonly _tag: 'IdlePlayer'; readonly player: string; readonly nets: ReadonlyArray<string> }
  | (Site & { readonly _tag: 'ShapeMismatch'; readonly what: string; readonly expected: Shape; readonly actual: Shape })
  | { readonly _tag: 'DuplicatePlayer'; readonly player: string }
  | { readonly _tag: 'BadEvery'; readonly player: string; readonly every: number }
  | { readonly _tag: 'BadShape'; readonly what: string; readonly shape: Shape }
  | { readonly _tag: 'NoPlayers' }

const fmt = (s: Shape): string => `[${s.join(', ')}]`

/** One line per error, naming what is wrong and where. @category destructors */
export const describe = (e: CheckError): string => {
  switch (e._tag) {
    case 'UnboundNet':
      return `player "${e.player}", ${e.path}: net "${e.net}" is not bound (term ${e.term})`
    case 'UnboundPlayerNet':
      return `player "${e.player}": trains net "${e.net}", which the game does not declare`
    case 'IdlePlayer':
      return `player "${e.player}": its loss depends on none of its nets (${e.nets.join(', ')}), so its step would do nothing`
    case 'ShapeMismatch':
      return `player "${e.player}", ${e.path}: ${e.what}: expected ${fmt(e.expected)}, got ${fmt(e.actual)} (term ${e.term})`
    case 'DuplicatePlayer':
      return `player "${e.player}" appears more than once`
    case 'BadEvery':
      return `player "${e.player}": every must be a positive integer, got ${e.every}`
    case 'BadShape':
      return `${e.what}: ${fmt(e.shape)} is not a shape of positive integers`
    case 'NoPlayers':
      return 'the game has no players'
  }
}

// -------------------------------------------------------------------------------------
// shape inference
// -------------------------------------------------------------------------------------

/** Whether a net with this input shape accepts a sample: the same shape, or a flat input of as many elements. */
export const accepts = (input: Shape, sample: Shape): boolean =>
  shapeEquals(sample, input) || (input.length === 1 && size(sample) === input[0])

type Infer = E.Either<{ what: string; expected: Shape; actual: Shape } | { unbound: string }, Shape>

/** The shape (without batch axis) of an expression, or why it has none. */
export const shapeOf = (g: Game, e: Expr): Infer =>
  X.match<Infer>({
    Data: () => E.right(g.data),
    Prior: () => E.right(g.prior),
    Apply: (e) => {
      const s = g.nets[e.net]
      if (!Object.prototype.hasOwnProperty.call(g.nets, e.net) || s === undefined) return E.left({ unbound: e.net })
      return E.chain((inner: Shape): Infer =>
        accepts(s.input, inner)
          ? E.right(s.output)
          : E.left({ what: `input of ${e.net} in ${showExpr(e)}`, expected: s.input, actual: inner })
      )(shapeOf(g, e.input))
    },
    Gaussian: (e) =>
      E.chain((m: Shape): Infer =>
        E.chain((v: Shape): Infer =>
          shapeEquals(m, v) ? E.right(m) : E.left({ what: `log-variance of ${showExpr(e)}`, expected: m, actual: v })
        )(shapeOf(g, e.logVar))
      )(shapeOf(g, e.mean)),
    Pair: (e) =>
      E.chain((x: Shape): Infer => E.map((z: Shape): Shape => [size(x) + size(z)])(shapeOf(g, e.z)))(shapeOf(g, e.x)),
    Stop: (e) => shapeOf(g, e.expr),
    Chunk: (e) =>
      E.chain((s: Shape): Infer => {
        const last = s[s.length - 1] ?? 1
        return last % e.count === 0
          ? E.right([...s.slice(0, -1), last / e.count])
          : E.left({
              what: `last axis of ${showExpr(e.expr)} split in ${e.count}`,
              expected: [e.count * Math.ceil(last / e.count)],
              actual: [last]
            })
      })(shapeOf(g, e.expr))
  })(e)

// -------------------------------------------------------------------------------------
// checks
// -------------------------------------------------------------------------------------

const checkLeaf = (g: Game, p: Player, path: string, leaf: L.Leaf): Array<CheckError> => {
  const site = { player: p.name, path: `loss${path}`, term: showUnicode(leaf) }
  const errors: Array<CheckError> = []
  const shapes: Array<Shape | undefined> = []
  for (const e of L.exprsOf(leaf)) {
    const r = shapeOf(g, e)
    if (E.isLeft(r)) {
      if ('unbound' in r.left) errors.push({ _tag: 'UnboundNet', ...site, net: r.left.unbound })
      else errors.push({ _tag: 'ShapeMismatch', ...site, ...r.left })
      shapes.push(undefined)
    } else shapes.push(r.right)
  }
  const critic = L.criticOf(leaf)
  if (critic !== undefined) {
    const s = g.nets[critic]
    if (s === undefined) errors.push({ _tag: 'UnboundNet', ...site, net: critic })
    else {
      if (size(s.output) !== 1) {
        errors.push({
          _tag: 'ShapeMismatch',
          ...site,
          what: `output of critic ${critic} (one logit)`,
          expected: [1],
          actual: s.output
        })
      }
      shapes.forEach((sh, i) => {
        if (sh === undefined) return
        if (!accepts(s.input, sh)) {
          const e = L.exprsOf(leaf)[i]
          errors.push({
            _tag: 'ShapeMismatch',
            ...site,
            what: `input of critic ${critic} from ${showExpr(e)}`,
            expected: s.input,
            actual: sh
          })
        }
      })
    }
  } else if (
    shapes.length === 2 &&
    shapes[0] !== undefined &&
    shapes[1] !== undefined &&
    !shapeEquals(shapes[0], shapes[1])
  ) {
    // reconstructions and gaussianKL compare two samples elementwise
    const [a, b] = L.exprsOf(leaf)
    errors.push({
      _tag: 'ShapeMismatch',
      ...site,
      what: `${showExpr(b)} against ${showExpr(a)}`,
      expected: shapes[0],
      actual: shapes[1]
    })
  }
  return errors
}

/**
 * Every check of `docs/ARCHITECTURE.md` §2: every net a loss refers to is bound; every player's loss depends on at
 * least one of its own nets; shapes compose. Returns the game, or every error found.
 * @category checks
 */
export const check = (g: Game): E.Either<NonEmptyArray<CheckError>, Game> => {
  const errors: Array<CheckError> = []
  if (!isShape(g.data)) errors.push({ _tag: 'BadShape', what: 'data', shape: g.data })
  if (!isShape(g.prior)) errors.push({ _tag: 'BadShape', what: 'prior', shape: g.prior })
  for (const [name, s] of Object.entries(g.nets)) {
    if (!isShape(s.input)) errors.push({ _tag: 'BadShape', what: `input of net ${name}`, shape: s.input })
    if (!isShape(s.output)) errors.push({ _tag: 'BadShape', what: `output of net ${name}`, shape: s.output })
  }
  if (g.players.length === 0) errors.push({ _tag: 'NoPlayers' })
  const seen = new Set<string>()
  for (const p of g.players) {
    if (seen.has(p.name)) errors.push({ _tag: 'DuplicatePlayer', player: p.name })
    seen.add(p.name)
    if (!Number.isInteger(p.every) || p.every < 1) errors.push({ _tag: 'BadEvery', player: p.name, every: p.every })
    for (const n of p.nets) {
      if (g.nets[n] === undefined) errors.push({ _tag: 'UnboundPlayerNet', player: p.name, net: n })
    }
    for (const { path, leaf } of L.leaves(p.loss)) errors.push(...checkLeaf(g, p, path, leaf))
    const touched = L.netsOf(p.loss)
    if (!p.nets.some((n) => touched.includes(n))) errors.push({ _tag: 'IdlePlayer', player: p.name, nets: p.nets })
  }
  return errors.length === 0 ? E.right(g) : E.left(errors as NonEmptyArray<CheckError>)
}

/** The error thrown by `checkOrThrow`, carrying every `CheckError`. */
export class GameError extends Error {
  constructor(readonly errors: NonEmptyArray<CheckError>) {
    super(`the game does not check:\n${errors.map((e) => `  - ${describe(e)}`).join('\n')}`)
    this.name = 'GameError'
  }
}

/** @category checks */
export const checkOrThrow = (g: Game): Game => {
  const r = check(g)
  if (E.isLeft(r)) throw new GameError(r.left)
  return r.right
}
