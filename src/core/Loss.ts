/**
 * Loss terms: a tagged union of the objectives of auto-encoding GANs, and the combinators that make
 * new objectives out of them (`docs/ARCHITECTURE.md` §2). This module gathers `./loss/*`: the model
 * and its destructors, the smart constructors, the canonical key, the normal form, the traversals
 * and the instances.
 *
 * Every classifier returns a *logit* `a`, and `D = σ(a)`. Every value is a mean over the batch.
 *
 * Laws (exact, after `normalize`; checked in `laws/`):
 * - `add(a, add(b, c)) ≡ add(add(a, b), c)`, `add(zero, a) ≡ a ≡ add(a, zero)`, `add(a, b) ≡ add(b, a)`
 * - `scale(j, scale(k, a)) ≡ scale(j·k, a)`, `scale(k, add(a, b)) ≡ add(scale(k, a), scale(k, b))`,
 *   `scale(j + k, a) ≡ add(scale(j, a), scale(k, a))`, `scale(1, a) ≡ a`, `scale(0, a) ≡ zero`
 *
 * @since 0.1.0
 */
export * from './loss/model.ts'
export * from './loss/constructors.ts'
export * from './loss/key.ts'
export * from './loss/normalForm.ts'
export * from './loss/traversals.ts'
export * from './loss/instances.ts'
