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
  layers: ReadonlyArray<Layer | ((x: tf.Tensor) => tf.Tensor)>,
  /**
   * Whether every layer and function maps rows independently, and the most floats a row occupies in
   * any layer (`Net.rowwise`, `Net.rowFloats`): the compiler stacks a net's inputs only when both are given.
   */
  rows: { readonly rowwise?: boolean; readonly rowFloats?: number } = {}
): Net => {
  const variables = layers.flatMap((l) => (typeof l === 'function' ? [] : l.variables))
  return {
    signature: { input: [...input], output: [...output] },
    variables,
    ...rows,
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
  if (size(output) !== sizes[sizes.length - 1])
    throw new RangeError(`mlp: output shape [${output}] does not have ${sizes[sizes.length - 1]} elements`)
  const layers = sizes
    .slice(1)
    .map((m, i) =>
      dense(
        `${o.name ?? 'mlp'}/${i}`,
        sizes[i],
        m,
        i === sizes.length - 2 ? (o.out ?? 'linear') : (o.hidden ?? 'relu'),
        seed * 101 + i
      )
    )
  return sequential([sizes[0]], output, layers, { rowwise: true, rowFloats: Math.max(...sizes) })
}

export type Arch = 'mlp' | 'conv'
export const Z_DIM = 32

export interface ConvOptions {
  /** Channels of the stride-2 convolutions, from the image inwards (default `[32, 64]`). */
  readonly channels?: ReadonlyArray<number>
  /** Between layers (default: `leakyRelu` reading images, `relu` writing them). */
  readonly hidden?: Activation
  /** After the last layer (default: `linear` reading images, `tanh` writing them). */
  readonly out?: Activation
  readonly seed?: number
  readonly name?: string
}

const isImage = (s: Shape): s is readonly [number, number, number] => s.length === 3

/**
 * A DCGAN-style net on NHWC images: reading an image (`[h, w, c]` → any shape), stride-2 4×4
 * convolutions then one dense layer; writing an image (any shape → `[h, w, c]`), one dense layer,
 * a reshape to `[h/2ᵏ, w/2ᵏ, channels[k−1]]` and transposed convolutions back to `c` channels.
 * Height and width must be divisible by 2ᵏ for k layers.
 */
export const convNet = (input: Shape, output: Shape, o: ConvOptions = {}): Net => {
  const ch = o.channels ?? [32, 64]
  const k = ch.length
  const name = o.name ?? 'conv'
  const s = o.seed ?? 0
  if (k === 0) throw new RangeError(`${name}: a conv net needs at least one channel count`)
  const flat = (x: tf.Tensor): tf.Tensor => tf.reshape(x, [x.shape[0], -1])
  const fits = (img: readonly [number, number, number]): void => {
    if (img[0] % 2 ** k !== 0 || img[1] % 2 ** k !== 0) {
      throw new RangeError(
        `${name}: ${k} stride-2 layers need height and width divisible by ${2 ** k}, the image is ${img[0]}×${img[1]}`
      )
    }
  }
  if (isImage(input)) {
    fits(input)
    const act = o.hidden ?? 'leakyRelu'
    const cins = [input[2], ...ch.slice(0, -1)]
    const inner = (input[0] / 2 ** k) * (input[1] / 2 ** k) * ch[k - 1]
    return sequential(
      input,
      output,
      [
        ...ch.map((c, i) => conv(`${name}/${i}`, cins[i], c, act, s + 11 + i)),
        flat,
        dense(`${name}/${k}`, inner, size(output), o.out ?? 'linear', s + 11 + k)
      ],
      {
        rowwise: true,
        rowFloats: Math.max(size(input), ...ch.map((c, i) => (size(input) / input[2] / 4 ** (i + 1)) * c))
      }
    )
  }
  if (isImage(output)) {
    fits(output)
    const act = o.hidden ?? 'relu'
    const [h, w] = [output[0] / 2 ** k, output[1] / 2 ** k]
    const rev = [...ch].reverse()
    const couts = [...rev.slice(1), output[2]]
    return sequential(
      [size(input)],
      output,
      [
        dense(`${name}/0`, size(input), h * w * rev[0], act, s + 21),
        (x) => tf.reshape(x, [x.shape[0], h, w, rev[0]]),
        ...rev.map((c, i) => deconv(`${name}/${i + 1}`, c, couts[i], i === k - 1 ? (o.out ?? 'tanh') : act, s + 22 + i))
      ],
      { rowwise: true, rowFloats: Math.max(size(input), ...rev.map((c, i) => h * w * 4 ** i * c), size(output)) }
    )
  }
  throw new RangeError(
    `${name}: a conv net reads or writes an image ([h, w, c]); [${input}] → [${output}] has none (use mlp)`
  )
}

/**
 * The reference nets of bench/ARCHITECTURES.md on `[28, 28, channels]` images (1 or 3): E (x →
 * `encOut`), G, D, C and J. `encOut` is 32, or 64 for models that read a mean and a log-variance.
 */
export const referenceNets = (
  arch: Arch,
  options: { readonly encOut?: number; readonly seed?: number; readonly channels?: number } = {}
): Record<'E' | 'G' | 'D' | 'C' | 'J', Net> => {
  const encOut = options.encOut ?? Z_DIM
  const s = (options.seed ?? 0) * 1000
  const image: Shape = [28, 28, options.channels ?? 1]
  const px = size(image)
  const C = mlp([Z_DIM, 256, 256, 1], { hidden: 'leakyRelu', seed: s + 4, name: 'C' })
  const J = mlp([px + Z_DIM, 512, 256, 1], { hidden: 'leakyRelu', seed: s + 5, name: 'J' })
  if (arch === 'mlp') {
    return {
      E: mlp([px, 512, 256, encOut], { hidden: 'leakyRelu', input: image, seed: s + 1, name: 'E' }),
      G: mlp([Z_DIM, 256, 512, px], { hidden: 'relu', out: 'tanh', output: image, seed: s + 2, name: 'G' }),
      D: mlp([px, 512, 256, 1], { hidden: 'leakyRelu', input: image, seed: s + 3, name: 'D' }),
      C,
      J
    }
  }
  return {
    E: convNet(image, [encOut], { seed: s, name: 'E' }),
    G: convNet([Z_DIM], image, { seed: s, name: 'G' }),
    D: convNet(image, [1], { seed: s + 20, name: 'D' }),
    C,
    J
  }
}

/** Frees every net of a binding. */
export const disposeAll = (nets: Binding): void => {
  for (const n of Object.values(nets)) n.dispose()
}
