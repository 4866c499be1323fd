/**
 * The `conv` architecture as an experiment declares it (`{ "arch": "conv", "channels": [32, 64] }`):
 * pure (no tfjs); `build` imports the tensor code only when a run needs it.
 * @since 0.1.0
 */
import * as t from 'io-ts'

import type { Shape } from '../core/Game.ts'
import { size } from '../core/Game.ts'
import type { Arch, NetSpec } from '../experiment/nets.ts'
import { PositiveInt } from '../experiment/primitives.ts'

const ActivationC = t.keyof({ linear: null, relu: null, leakyRelu: null, tanh: null }, 'Activation')

const channels = (spec: NetSpec): ReadonlyArray<number> =>
  (spec.channels as ReadonlyArray<number> | undefined) ?? [32, 64]

/** The image side of a conv net (it reads or writes one), and its layers' spatial sizes. */
const layout = (
  spec: NetSpec,
  input: Shape,
  output: Shape
): { readonly image: Shape; readonly sides: ReadonlyArray<number> } => {
  const image = input.length === 3 ? input : output
  const ch = channels(spec)
  return { image, sides: ch.map((_, i) => (image[0] / 2 ** (i + 1)) * (image[1] / 2 ** (i + 1))) }
}

/** DCGAN-style nets of 4×4 stride-2 (transposed) convolutions on `[h, w, c]` images; see `convNet`. */
export const convArch: Arch = {
  description:
    'a DCGAN-style conv net on [h, w, c] images: stride-2 4×4 convolutions of `channels` then a dense layer when reading an image, a dense layer then transposed convolutions when writing one',
  params: { channels: t.readonlyArray(PositiveInt), activation: ActivationC, outputActivation: ActivationC },
  defaults: { channels: [32, 64] },
  parameters: (spec, input, output) => {
    const ch = channels(spec)
    const { image, sides } = layout(spec, input, output)
    const inner = sides[sides.length - 1] * ch[ch.length - 1]
    const convs = ch.reduce((n, c, i) => n + 16 * (i === 0 ? image[2] : ch[i - 1]) * c + c, 0)
    const other = input.length === 3 ? size(output) : size(input)
    // reading: the last conv's features → dense; writing: dense → features, and the image's channels' biases
    return convs + inner * other + (input.length === 3 ? size(output) : inner + image[2] - ch[ch.length - 1])
  },
  activations: (spec, input, output) => {
    const ch = channels(spec)
    const { sides } = layout(spec, input, output)
    return 2 * (size(input) + size(output) + sides.reduce((n, s, i) => n + s * ch[i], 0))
  },
  build: async (spec, input, output, seed, name) => {
    const { convNet } = await import('./index.ts')
    type A = import('./index.ts').Activation
    return convNet(input, output, {
      channels: channels(spec),
      hidden: spec.activation as A | undefined,
      out: spec.outputActivation as A | undefined,
      seed,
      name
    })
  }
}
