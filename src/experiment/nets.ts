/**
 * Net architectures for experiments, keyed by the `arch` a config names. An entry is pure (no tfjs):
 * its fields and defaults, its size (for the memory estimate), and a `build` that imports the tensor
 * code only when a run needs it. Adding an architecture is one entry here.
 * @since 0.1.0
 */
import * as t from 'io-ts'

import type { Net } from '../compile/Net.ts'
import { convArch } from '../nets/archs.ts'
import type { Shape } from '../core/Game.ts'
import { size } from '../core/Game.ts'
import { PositiveInt } from './primitives.ts'

/** What a net maps from or to: relative to the data and the prior, a width, or a shape. */
export type Io = 'data' | 'latent' | '2latent' | 'data+latent' | number | ReadonlyArray<number>

/** A net as a config declares it: its architecture, that architecture's fields, and its input and output. */
export type NetSpec = { readonly arch: string; readonly input: Io; readonly output: Io } & Readonly<
  Record<string, unknown>
>

/** The shape an `Io` stands for, given one example's shape and the prior's dimension. */
export const resolveIo = (io: Io, data: Shape, latent: number): Shape =>
  io === 'data'
    ? data
    : io === 'latent'
      ? [latent]
      : io === '2latent'
        ? [2 * latent]
        : io === 'data+latent'
          ? [size(data) + latent]
          : typeof io === 'number'
            ? [io]
            : io

export interface Arch {
  readonly description: string
  /** The fields this architecture takes besides `arch`, `input` and `output` (all optional). */
  readonly params: t.Props
  readonly defaults: Readonly<Record<string, unknown>>
  /** The number of trainable parameters. */
  parameters(spec: NetSpec, input: Shape, output: Shape): number
  /** Floats one example's forward pass holds (inputs and outputs of every layer). */
  activations(spec: NetSpec, input: Shape, output: Shape): number
  /** The net, its weights drawn from `seed`; `name` prefixes its variables. */
  build(spec: NetSpec, input: Shape, output: Shape, seed: number, name: string): Promise<Net>
}

const ActivationC = t.keyof({ linear: null, relu: null, leakyRelu: null, tanh: null }, 'Activation')

const mlpSizes = (spec: NetSpec, input: Shape, output: Shape): ReadonlyArray<number> => [
  size(input),
  ...(spec.hidden as ReadonlyArray<number>),
  size(output)
]

/** Every architecture, keyed by the `arch` a config names. */
export const archs: Readonly<Record<string, Arch>> = {
  mlp: {
    description: 'a multilayer perceptron: dense layers of `hidden` widths with `activation`, then `outputActivation`',
    params: { hidden: t.readonlyArray(PositiveInt), activation: ActivationC, outputActivation: ActivationC },
    defaults: { hidden: [128, 128], activation: 'leakyRelu', outputActivation: 'linear' },
    parameters: (spec, input, output) => {
      const s = mlpSizes(spec, input, output)
      return s.slice(1).reduce((n, m, i) => n + s[i] * m + m, 0)
    },
    activations: (spec, input, output) => mlpSizes(spec, input, output).reduce((a, b) => a + 2 * b, 0),
    build: async (spec, input, output, seed, name) => {
      const { mlp } = await import('../nets/index.ts')
      type A = import('../nets/index.ts').Activation
      return mlp(mlpSizes(spec, input, output), {
        hidden: spec.activation as A,
        out: spec.outputActivation as A,
        input,
        output,
        seed,
        name
      })
    }
  },
  conv: convArch
}
