/**
 * The algebra: sample expressions, loss terms, games and their static checks. Pure data, no tensors.
 * @since 0.1.0
 */
export * as Expr from './Expr.ts'
export * as Loss from './Loss.ts'
export * as Schedule from './Schedule.ts'
export * as Game from './Game.ts'
export * as Check from './Check.ts'
export * as Show from './Show.ts'

export { apply, chunk, data, gaussian, net, pair, prior, stop } from './Expr.ts'
export {
  add,
  bernoulliNLL,
  classify,
  densityRatio,
  gaussianKL,
  gradientPenalty,
  latentKL,
  minimax,
  named,
  neg,
  nonSaturating,
  normalize,
  r1,
  reconstructionL1,
  reconstructionL2,
  scale,
  sum,
  wassersteinGenerator,
  weighted,
  zero
} from './Loss.ts'
export { constant, linear, piecewise } from './Schedule.ts'
export { adam, game, player, sgd, sig } from './Game.ts'
export { check, checkOrThrow, describe, GameError } from './Check.ts'
export { showLatex, showUnicode } from './Show.ts'
