/**
 * io-ts codecs for expressions, terms, schedules and games: objectives saved as JSON and read back,
 * with errors that name the path into the document. Every union is built from a per-tag record
 * (`./term.ts`, `./game.ts`), so the codecs cover the algebra tag for tag.
 *
 * Law: `decode(encode(t)) ≡ t` (structurally) for every term and game.
 * @since 0.1.0
 */
export { built, Dim, Finite, Int, numberWhere, ShapeC, tagged } from './primitives.ts'
export type { TaggedCodecs } from './primitives.ts'
export { ExprC, exprCodecs, LossC, lossCodecs, ScheduleC, scheduleCodecs } from './term.ts'
export { GameC, OptimizerC, optimizerCodecs, PlayerC, SignatureC } from './game.ts'
export { decode, encode, report } from './errors.ts'
