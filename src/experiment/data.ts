/**
 * Data kinds for experiments, keyed by the `kind` a config names. An entry is pure (no tfjs): its
 * fields and defaults, the shape of one example, the default latent size, default nets and metrics,
 * and a `load` that imports the data module only when a run needs it. Adding a data set is one entry
 * here (its module under src/data).
 * @since 0.1.0
 */
import * as t from 'io-ts'

import type { Binding } from '../compile/Net.ts'
import type { Shape } from '../core/Game.ts'
import { imageKinds } from '../data/kinds.ts'
import { PositiveInt, Positive } from './primitives.ts'
import type { NetSpec } from './nets.ts'

/** A data spec as decoded: its kind and that kind's fields. */
export type DataSpec = { readonly kind: string } & Readonly<Record<string, unknown>>

/** What a run draws batches from and measures samples against. */
export interface DataSource {
  readonly description: string
  /**
   * `n` examples, flat (`n × size(shape)`), drawn with `u` alone, so that restoring `u`'s state
   * restores the data order.
   */
  batch(n: number, u: () => number): Float32Array
  /** The named metrics of generated samples (flat, `n × size(shape)`). */
  metrics(samples: Float32Array, names: ReadonlyArray<string>): Readonly<Record<string, unknown>>
  /** 2-D data: the means a scatter plot marks and their standard deviation. */
  readonly modes?: ReadonlyArray<readonly [number, number]>
  readonly sd?: number
  /** Images: the range of pixel values (default [0, 1]), for pictures. */
  readonly range?: readonly [number, number]
  /** The named metrics that need the model's nets (images: the independent critic, reconstruction error). */
  evaluate?(nets: Binding, latent: number, names: ReadonlyArray<string>): Promise<Readonly<Record<string, unknown>>>
}

export interface DataKind {
  readonly description: string
  /** Fields a config must give (besides `kind`) and may give; missing optional ones take `defaults`. */
  readonly required: t.Props
  readonly optional: t.Props
  readonly defaults: Readonly<Record<string, unknown>>
  /** The shape of one example. */
  shape(d: DataSpec): Shape
  /** The prior's dimension when a config gives none. */
  readonly latent: number
  /** The metrics `evaluation.metrics` may name, and those computed when it names none. */
  readonly metrics: { readonly available: ReadonlyArray<string>; readonly defaults: ReadonlyArray<string> }
  /** The net a model's net gets when the config declares none: `role` is the model's name for it (E, G, D, C, J). */
  defaultNet(name: string, input: NetSpec['input'], output: NetSpec['output']): NetSpec
  load(d: DataSpec): Promise<DataSource>
}

const toyNet = (name: string, input: NetSpec['input'], output: NetSpec['output']): NetSpec => ({
  arch: 'mlp',
  hidden: [128, 128],
  activation: name === 'G' ? 'relu' : 'leakyRelu',
  outputActivation: 'linear',
  input,
  output
})

const mixtureSource = async (m: import('../data/toy.ts').Mixture): Promise<DataSource> => {
  const { sampleMixture } = await import('../data/toy.ts')
  const { modeReport } = await import('../metrics/modes.ts')
  return {
    description: m.name,
    batch: (n, u) => sampleMixture(m, n, u),
    metrics: (samples, names) => {
      const r = modeReport(m, samples)
      const all: Record<string, unknown> = {
        modes: r.captured,
        totalModes: r.modes,
        highQuality: r.highQuality,
        klToUniform: r.klToUniform,
        histogram: r.histogram
      }
      return names.includes('modes') ? all : {}
    },
    modes: m.means,
    sd: m.sd
  }
}

const toyMetrics = { available: ['modes'], defaults: ['modes'] }

/** Every data kind, keyed by the `kind` a config names. */
export const dataKinds: Readonly<Record<string, DataKind>> = {
  ring: {
    description: 'a ring of Gaussians in the plane (default: 8 modes, radius 2, σ 0.05)',
    required: {},
    optional: { modes: PositiveInt, radius: Positive, sd: Positive },
    defaults: { modes: 8, radius: 2, sd: 0.05 },
    shape: () => [2],
    latent: 2,
    metrics: toyMetrics,
    defaultNet: toyNet,
    load: async (d) =>
      mixtureSource((await import('../data/toy.ts')).ring(d.modes as number, d.radius as number, d.sd as number))
  },
  grid: {
    description: 'a square grid of Gaussians in the plane (default: 5 × 5, spacing 2, σ 0.05)',
    required: {},
    optional: { side: PositiveInt, spacing: Positive, sd: Positive },
    defaults: { side: 5, spacing: 2, sd: 0.05 },
    shape: () => [2],
    latent: 2,
    metrics: toyMetrics,
    defaultNet: toyNet,
    load: async (d) =>
      mixtureSource((await import('../data/toy.ts')).grid(d.side as number, d.spacing as number, d.sd as number))
  },
  ...imageKinds
}
