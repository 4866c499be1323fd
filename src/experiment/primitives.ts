/**
 * Number codecs shared by experiment configs.
 * @since 0.1.0
 */
import * as t from 'io-ts'

export interface PositiveIntBrand {
  readonly PositiveInt: unique symbol
}
/** An integer ≥ 1. */
export const PositiveInt = t.brand(
  t.number,
  (n): n is t.Branded<number, PositiveIntBrand> => Number.isInteger(n) && n > 0,
  'PositiveInt'
)

export interface PositiveBrand {
  readonly Positive: unique symbol
}
/** A finite number > 0. */
export const Positive = t.brand(
  t.number,
  (n): n is t.Branded<number, PositiveBrand> => Number.isFinite(n) && n > 0,
  'Positive'
)
