/**
 * A net as the compiler sees it: a function on batched tensors and the variables it owns.
 * @since 0.1.0
 */
import type * as tf from '@tensorflow/tfjs'

import type { Signature } from '../core/Game.ts'

export interface Net {
  /** Shapes without the batch axis; a dense net with a flat input accepts any input of that many elements. */
  readonly signature: Signature
  /** The trainable variables, in a fixed order. */
  readonly variables: ReadonlyArray<tf.Variable>
  /**
   * Each output row is a function of the same input row alone (no batch statistics): the compiler
   * may then apply the net once to several inputs stacked along the batch axis (./batching.ts).
   */
  readonly rowwise?: boolean
  /** The most floats one row occupies in any layer; bounds how much batching stacks (unknown: never stacked). */
  readonly rowFloats?: number
  /** `[B, ...input] → [B, ...output]`. Must be synchronous and free its intermediates under `tf.tidy`. */
  apply(x: tf.Tensor): tf.Tensor
  dispose(): void
}

/** The nets a game refers to, by name. */
export type Binding = Readonly<Record<string, Net>>
