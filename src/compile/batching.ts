/**
 * Batched net applications: before a player's loss is interpreted, every `apply` node it will read is
 * computed in waves (a node runs after the applications inside its input), and the nodes of a wave
 * that apply one row-wise net (`Net.rowwise`) are stacked along the batch axis and applied once: D(x), D(G(E(x)))
 * and D(G(z)) become one call of D on 3·B rows, whose output is split back. Same values row by row, the
 * same gradients (the stack and the split are on the tape), fewer and larger matrix products: a
 * weight gradient summed over 3·B rows instead of three over B, which is where small-batch steps
 * lose most of their time (bench/README.md).
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Apply, Expr } from '../core/Expr.ts'
import * as X from '../core/Expr.ts'
import type { Leaf, Loss } from '../core/Loss.ts'
import * as L from '../core/Loss.ts'

/**
 * The applications whose values the interpreter memoises for a leaf (./term.ts): its expressions and,
 * for leaves that read a critic's logits, the critic applied to each sample. Penalties differentiate
 * their critic at a point instead (its input gradient), so they memoise only their samples.
 */
const readsOf: (t: Leaf) => ReadonlyArray<Expr> = L.matchLeaf<ReadonlyArray<Expr>>({
  Reconstruction: (t) => [t.target, t.output],
  DensityRatio: (t) => [X.apply(t.critic, t.sample)],
  LatentKL: (t) => [X.apply(t.critic, t.code)],
  GaussianKL: (t) => [t.mean, t.logVar],
  Classify: (t) => [t.real, ...t.fake].map((s) => X.apply(t.critic, s)),
  NonSaturating: (t) => [X.apply(t.critic, t.sample)],
  Minimax: (t) => [X.apply(t.critic, t.sample)],
  Critic: (t) => [X.apply(t.critic, t.sample)],
  GradientPenalty: (t) => [t.real, t.fake],
  R1: (t) => [t.real]
})

/** The `apply` nodes inside an expression, itself included, innermost first. */
const appliesIn: (e: Expr) => ReadonlyArray<Apply> = X.match<ReadonlyArray<Apply>>({
  Data: () => [],
  Prior: () => [],
  Apply: (e) => [...appliesIn(e.input), e],
  Gaussian: (e) => [...appliesIn(e.mean), ...appliesIn(e.logVar)],
  Pair: (e) => [...appliesIn(e.x), ...appliesIn(e.z)],
  Stop: (e) => appliesIn(e.expr),
  Chunk: (e) => appliesIn(e.expr)
})

/** Every distinct application a term's interpretation reads, innermost first. */
export const applicationsOf = (term: Loss): ReadonlyArray<Apply> => {
  const byKey = new Map<string, Apply>()
  for (const { leaf } of L.leaves(term)) {
    for (const e of readsOf(leaf)) for (const a of appliesIn(e)) if (!byKey.has(X.key(a))) byKey.set(X.key(a), a)
  }
  return [...byKey.values()]
}

/**
 * The applications in waves, each wave's nodes grouped by net (in order of first appearance). A node's
 * wave is its height: 0 when no other application reads it, else one more than the highest of its
 * readers; waves run from the highest down, so a node's input is computed before it, and nodes are as
 * late as they can be: D(x) waits for D(G(z)) instead of running before G(z) alone.
 */
export const waves = (applies: ReadonlyArray<Apply>): ReadonlyArray<ReadonlyArray<ReadonlyArray<Apply>>> => {
  const readers = new Map<string, Array<Apply>>()
  for (const a of applies) {
    for (const inner of appliesIn(a.input)) {
      const k = X.key(inner)
      readers.set(k, [...(readers.get(k) ?? []), a])
    }
  }
  const height = new Map<string, number>()
  const heightOf = (a: Apply): number => {
    const k = X.key(a)
    const known = height.get(k)
    if (known !== undefined) return known
    const rs = readers.get(k) ?? []
    const h = rs.length === 0 ? 0 : 1 + Math.max(...rs.map(heightOf))
    height.set(k, h)
    return h
  }
  const out: Array<Map<string, Array<Apply>>> = []
  for (const a of applies) {
    const h = heightOf(a)
    while (out.length <= h) out.push(new Map())
    const group = out[h].get(a.net) ?? []
    group.push(a)
    out[h].set(a.net, group)
  }
  return out.reverse().map((m) => [...m.values()])
}

/** What batching needs of an evaluation (./term.ts's `Evaluation`). */
export interface Batchable {
  /** Whether `e`'s value is known already (memoised, or shared by an earlier player). */
  known(e: Expr): boolean
  /** The value of `e`, computed (and memoised) if need be. */
  expr(e: Expr): tf.Tensor
  /** Records `t` as the value of `e` (and offers it to later players). */
  provide(e: Expr, t: tf.Tensor): void
  /** Whether `net` may be applied to a stack of inputs (`Net.rowwise`). */
  rowwise(net: string): boolean
  /** The most floats a row of `net` occupies in a layer (`Net.rowFloats`), if it says. */
  rowFloats(net: string): number | undefined
  /** Applies `net`. */
  apply(net: string, x: tf.Tensor): tf.Tensor
}

/**
 * The most floats a stacked call may put in one layer (4 MiB): above it, stacking made steps slower on
 * `native` (α-GAN's conv D on 192 rows: 1.3–1.7× the unstacked step, bench/ab.ts), because glibc serves
 * buffers that large with fresh mmaps whose pages fault in on first write; with
 * LOSS_ALGEBRA_NATIVE_MALLOC=1 the same stack was 0.93×.
 */
export const MAX_STACK_FLOATS = 1 << 20

/**
 * Computes every application `term` reads into `ev`, one call per row-wise net and wave. Groups of
 * one node, nets that are not row-wise, and stacks whose widest layer would exceed MAX_STACK_FLOATS
 * (or whose net does not say how wide it is) are left to the interpreter. The choice depends on the
 * game and the nets only, never on what ran before, so a resumed run computes what an unbroken one does.
 * `only` limits it to some applications (closed under inputs), grouped as in the whole term's waves.
 */
export const prefetch = (ev: Batchable, term: Loss, only: (a: Apply) => boolean = () => true): void => {
  for (const wave of waves(applicationsOf(term))) {
    for (const group of wave) {
      const todo = group.filter((a) => only(a) && !ev.known(a))
      if (todo.length < 2 || !ev.rowwise(todo[0].net)) continue
      const inputs = todo.map((a) => ev.expr(a.input))
      const rows = inputs.reduce((n, t) => n + t.shape[0], 0)
      const width = ev.rowFloats(todo[0].net)
      if (width === undefined || rows * width > MAX_STACK_FLOATS) continue
      const flat = inputs.map((t) => tf.reshape(t, [t.shape[0], -1]))
      if (flat.some((t) => t.shape[1] !== flat[0].shape[1])) continue
      const out = ev.apply(todo[0].net, tf.concat(flat, 0))
      const parts = tf.split(
        out,
        inputs.map((t) => t.shape[0]),
        0
      )
      todo.forEach((a, i) => ev.provide(a, parts[i]))
    }
  }
}
