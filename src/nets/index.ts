/**
 * Reference networks: MLPs and the small conv nets of bench/ARCHITECTURES.md, as `Net`s.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Shape } from '../core/Game.ts'
import { size } from '../core/Game.ts'
import type { Binding, Net } from '../compile/Net.ts'
import type { Activation, Layer } from './layers.ts'
import { conv, deconv, dense } from './layers.ts'

export type { Activation } from './layers.ts'

/** Layers in sequence, between reshapes to the declared input and output shapes. */
export const sequential = (
  input: Shape,
  output: Shape,
  layers: ReadonlyArray<Layer | ((x: tf.Tensor) => tf.Tensor)>
): Net => {
  const variables = layers.flatMap((l) => (typeof l === 'function' ? [] : l.variables))
  return {
    signature: { input: [...input], output: [...output] },
    variables,
    apply: (x) =>
      tf.tidy(() => {
        let h = tf.reshape(x, [x.shape[0], ...input])
        for (const l of layers) h = typeof l === 'function' ? l(h) : l.apply(h)
        return tf.reshape(h, [x.shape[0], ...output])
      }),
    dispose: () => tf.dispose(variables as Array<tf.Variable>)
  }
}

export interface MlpOptions {
  readonly hidden?: Activation
  readonly out?: Activation
  readonly seed?: number
  /** Shapes to reshape from and to (default: flat). */
  readonly input?: Shape
  readonly output?: Shape
  readonly name?: string
}

/** A multilayer perceptron on `sizes`, e.g. `mlp([784, 512, 256, 1], { hidden: 'leakyRelu' })`. */
export const mlp = (sizes: ReadonlyArray<number>, o: MlpOptions = {}): Net => {
  const seed = o.seed ?? 0
  const input = o.input ?? [sizes[0]]
  const output = o.output ?? [sizes[sizes.length - 1]]
  if (size(input) !== sizes[0]) throw new RangeError(`mlp: input shape [${input}] does not have ${sizes[0]} elements`)
  if (size(output) !== sizes[sizes.length - 1]) throw new RangeError(`mlp: output shape [${output}] does not have ${sizes[sizes.length - 1]} elements`)
  const layers = sizes.slice(1).map((m, i) =>
    dense(`${o.name ?? 'mlp'}/${i}`, sizes[i], m, i === sizes.length - 2 ? (o.out ?? 'linear') : (o.hidden ?? 'relu'), seed * 101 + i)
  )
  return sequential([sizes[0]], output, layers)
}

export type Arch = 'mlp' | 'conv'
export const Z_DIM = 32
const IMAGE: Shape = [28, 28, 1]

/**
 * The reference nets of bench/ARCHITECTURES.md: E (x → `encOut`), G, D, C and J.
 * `encOut` is 32, or 64 for models that read a mean and a log-variance.
 */
export const referenceNets = (arch: Arch, options: { readonly encOut?: number; readonly seed?: number } = {}): Record<'E' | 'G' | 'D' | 'C' | 'J', Net> => {
  const encOut = options.encOut ?? Z_DIM
  const s = (options.seed ?? 0) * 1000
  const C = mlp([Z_DIM, 256, 256, 1], { hidden: 'leakyRelu', seed: s + 4, name: 'C' })
  const J = mlp([784 + Z_DIM, 512, 256, 1], { hidden: 'leakyRelu', seed: s + 5, name: 'J' })
  if (arch === 'mlp') {
    return {
      E: mlp([784, 512, 256, encOut], { hidden: 'leakyRelu', input: IMAGE, seed: s + 1, name: 'E' }),
      G: mlp([Z_DIM, 256, 512, 784], { hidden: 'relu', out: 'tanh', output: IMAGE, seed: s + 2, name: 'G' }),
      D: mlp([784, 512, 256, 1], { hidden: 'leakyRelu', input: IMAGE, seed: s + 3, name: 'D' }),
      C,
      J
    }
  }
  const flat = (x: tf.Tensor): tf.Tensor => tf.reshape(x, [x.shape[0], -1])
  return {
    E: sequential(IMAGE, [encOut], [conv('E/0', 1, 32, 'leakyRelu', s + 11), conv('E/1', 32, 64, 'leakyRelu', s + 12), flat, dense('E/2', 3136, encOut, 'linear', s + 13)]),
    G: sequential([Z_DIM], IMAGE, [
      dense('G/0', Z_DIM, 3136, 'relu', s + 21),
      (x) => tf.reshape(x, [x.shape[0], 7, 7, 64]),
      deconv('G/1', 64, 32, 'relu', s + 22),
      deconv('G/2', 32, 1, 'tanh', s + 23)
    ]),
    D: sequential(IMAGE, [1], [conv('D/0', 1, 32, 'leakyRelu', s + 31), conv('D/1', 32, 64, 'leakyRelu', s + 32), flat, dense('D/2', 3136, 1, 'linear', s + 33)]),
    C,
    J
  }
}

/** Frees every net of a binding. */
export const disposeAll = (nets: Binding): void => {
  for (const n of Object.values(nets)) n.dispose()
}
