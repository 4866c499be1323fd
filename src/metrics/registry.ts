/**
 * The image metrics by the names a config's `evaluation.metrics` selects. Each entry says which data
 * kinds it applies to and which nets it needs (G always; E for reconstruction), and computes a flat
 * record of numbers. An `Evaluation` shares the expensive parts between entries: the classifier, the
 * generated samples and the real features are made once.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import type { Binding, Net } from '../compile/Net.ts'
import { size } from '../core/Game.ts'
import type { ImageKind, ImageSet } from '../data/images.ts'
import { examples, imageSet, TANH_RANGE } from '../data/images.ts'
import type { View } from './classified.ts'
import { featuresOf, inceptionScore, stackedModes } from './classified.ts'
import type { Classifier } from './classifier.ts'
import { ensureClassifierSync } from './classifier.ts'
import { independentCritic } from './critic.ts'
import { frechetOfFeatures } from './frechet.ts'
import { meanPairwiseMsSsim } from './msssim.ts'
import { precisionRecall } from './precisionRecall.ts'
import { reconstructionError } from './reconstruction.ts'

/** The Stacked-MNIST protocol's sample count (VEEGAN / PacGAN). */
export const STACKED_SAMPLES = 26_000
/** At most this many samples (and test examples) enter the feature metrics: precision/recall compares every pair. */
export const FEATURE_SAMPLES = 5000
/** Pairs of images behind the MS-SSIM diversity statistic. */
export const MS_SSIM_PAIRS = 2000

export interface EvaluationOptions {
  readonly kind: ImageKind
  readonly seed?: number
  /** Generated samples drawn when none are given (default 5000; Stacked MNIST's protocol uses 26 000). */
  readonly samples?: number
  /** Independent critic training steps (default 1000). */
  readonly criticSteps?: number
  readonly log?: (line: string) => void
}

/** What the metrics of a data set share, made on first use: the classifier, the splits and the real features. */
export class Evaluation {
  private readonly memo = new Map<string, unknown>()
  constructor(readonly o: EvaluationOptions) {}

  private once<A>(key: string, make: () => A): A {
    if (!this.memo.has(key)) this.memo.set(key, make())
    return this.memo.get(key) as A
  }

  get view(): View {
    return this.o.kind === 'stackedMnist' ? 'channels' : this.o.kind === 'colorMnist' ? 'max' : 'grey'
  }
  set(split: 'train' | 'test'): ImageSet {
    return this.once(`set:${split}`, () => imageSet({ kind: this.o.kind }, split, this.o.seed ?? 1))
  }
  classifier(): Classifier {
    return this.once('classifier', () =>
      ensureClassifierSync({ source: this.o.kind === 'fashionMnist' ? 'fashionMnist' : 'mnist', log: this.o.log })
    )
  }
  /** Classifier features of the first `n` test examples. */
  realFeatures(n: number): { readonly values: Float32Array; readonly width: number; readonly n: number } {
    const m = Math.min(n, this.set('test').count)
    return this.once(`features:${m}`, () => ({
      ...featuresOf(this.classifier(), examples(this.set('test'), m, TANH_RANGE), m, this.view),
      n: m
    }))
  }
  /** The mean MS-SSIM of random pairs among the first `n` test examples (the real-data reference of msSsim). */
  realMsSsim(n: number): number {
    const set = this.set('test')
    const m = Math.min(n, set.count)
    return this.once(`msSsim:${m}`, () =>
      meanPairwiseMsSsim(examples(set, m, TANH_RANGE), m, set.shape, MS_SSIM_PAIRS, this.o.seed ?? 1)
    )
  }
  /** Classifier features of `n` samples (at most FEATURE_SAMPLES) against as many test examples. */
  features(
    samples: Float32Array,
    n: number
  ): { readonly real: Float32Array; readonly fake: Float32Array; readonly width: number; readonly n: number } {
    const real = this.realFeatures(Math.min(n, FEATURE_SAMPLES))
    const m = real.n
    const fake = featuresOf(this.classifier(), samples.subarray(0, m * size(this.set('test').shape)), m, this.view)
    return { real: real.values, fake: fake.values, width: real.width, n: m }
  }
}

/** A metric of generated samples alone (flat `[n, h, w, c]` in [−1, 1]); synchronous. */
export interface SampleMetric {
  readonly of: 'samples'
  readonly description: string
  readonly kinds: ReadonlyArray<ImageKind>
  run(ev: Evaluation, samples: Float32Array, n: number): Readonly<Record<string, number>>
}

/** A metric that needs the model's nets (G draws fresh samples; E encodes). */
export interface NetMetric {
  readonly of: 'nets'
  readonly description: string
  readonly kinds: ReadonlyArray<ImageKind>
  readonly needs: ReadonlyArray<'G' | 'E'>
  run(ev: Evaluation, nets: Binding, latent: number): Promise<Readonly<Record<string, number>>>
}

export type Metric = SampleMetric | NetMetric

const ALL: ReadonlyArray<ImageKind> = ['mnist', 'fashionMnist', 'stackedMnist', 'colorMnist']

/** Every image metric, by the name `evaluation.metrics` uses. */
export const imageMetrics: Readonly<Record<string, Metric>> = {
  stackedModes: {
    of: 'samples',
    description:
      'Stacked-MNIST modes out of 1000 and KL(p̂ ‖ uniform), each channel classified as a digit (VEEGAN / PacGAN: 26 000 samples)',
    kinds: ['stackedMnist'],
    run: (ev, samples, n) => {
      const r = stackedModes(ev.classifier(), samples, n)
      return { modes: r.modes, kl: r.kl }
    }
  },
  frechet: {
    of: 'samples',
    description: "Fréchet distance between test data and samples in the evaluation classifier's penultimate features",
    kinds: ALL,
    run: (ev, samples, n) => {
      const f = ev.features(samples, n)
      return { frechet: frechetOfFeatures(f.real, f.n, f.fake, f.n, f.width) }
    }
  },
  precisionRecall: {
    of: 'samples',
    description:
      "precision and recall of distributions (Kynkäänniemi et al. 2019, k = 3) in the classifier's features, samples against test data",
    kinds: ALL,
    run: (ev, samples, n) => {
      const f = ev.features(samples, n)
      return { ...precisionRecall(f.real, f.n, f.fake, f.n, f.width) }
    }
  },
  inceptionScore: {
    of: 'samples',
    description: 'inception score with the evaluation classifier (10 classes; 1000 joint classes for Stacked MNIST)',
    kinds: ALL,
    run: (ev, samples, n) => ({ inceptionScore: inceptionScore(ev.classifier(), samples, n, ev.view) })
  },
  msSsim: {
    of: 'samples',
    description:
      'diversity: the mean MS-SSIM of 2000 random pairs of samples (msSsim; lower is more diverse) and of test images (msSsimReal), as Odena et al. 2017',
    kinds: ALL,
    run: (ev, samples, n) => {
      const test = ev.set('test')
      const m = Math.min(n, FEATURE_SAMPLES, test.count)
      return {
        msSsim: meanPairwiseMsSsim(samples, m, test.shape, MS_SSIM_PAIRS, ev.o.seed ?? 1),
        msSsimReal: ev.realMsSsim(m)
      }
    }
  },
  critic: {
    of: 'nets',
    description:
      'the independent Wasserstein critic: a fresh WGAN-GP critic trained on training data against samples, its estimate on test data against fresh samples',
    kinds: ALL,
    needs: ['G'],
    run: async (ev, nets, latent) => {
      const r = await independentCritic(nets.G, latent, ev.set('train'), ev.set('test'), {
        steps: ev.o.criticSteps,
        seed: ev.o.seed
      })
      return { criticWasserstein: r.wasserstein, criticWassersteinTrain: r.wassersteinTrain }
    }
  },
  reconstruction: {
    of: 'nets',
    description: 'mean per-pixel L1 and L2 error of x − G(E(x)) on the test split (models with an encoder)',
    kinds: ALL,
    needs: ['G', 'E'],
    run: async (ev, nets) => {
      const r = reconstructionError(nets.E, nets.G, ev.set('test'))
      return { reconstructionL1: r.l1, reconstructionL2: r.l2 }
    }
  }
}

/** `n` samples of `G` (flat), drawn from `seed`. */
export const drawImages = (G: Net, latent: number, n: number, seed: number): Float32Array => {
  const px = size(G.signature.output)
  const out = new Float32Array(n * px)
  for (let i = 0; i < n; i += 500) {
    const m = Math.min(500, n - i)
    const x = tf.tidy(() => G.apply(tf.randomNormal([m, latent], 0, 1, 'float32', seed * 100_003 + i + 1)))
    out.set(x.dataSync() as Float32Array, i * px)
    x.dispose()
  }
  return out
}

/** Checks names against the registry, the data kind and the nets at hand. @throws Error naming the metric */
export const checkMetrics = (names: ReadonlyArray<string>, kind: ImageKind, nets?: Binding): void => {
  for (const name of names) {
    const m = imageMetrics[name]
    if (m === undefined) throw new Error(`unknown metric "${name}"; known: ${Object.keys(imageMetrics).join(', ')}`)
    if (!m.kinds.includes(kind))
      throw new Error(`metric "${name}" does not apply to ${kind} (only ${m.kinds.join(', ')})`)
    if (m.of === 'nets' && nets !== undefined) {
      const missing = m.needs.filter((n) => nets[n] === undefined)
      if (missing.length > 0)
        throw new Error(
          `metric "${name}" needs net${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the model does not have`
        )
    }
  }
}

/** The sample metrics among `names`, on given samples (synchronous). */
export const sampleMetrics = (
  ev: Evaluation,
  names: ReadonlyArray<string>,
  samples: Float32Array,
  n: number
): Record<string, number> => {
  checkMetrics(names, ev.o.kind)
  const out: Record<string, number> = {}
  for (const name of names) {
    const m = imageMetrics[name]
    if (m.of === 'samples') Object.assign(out, m.run(ev, samples, n))
  }
  return out
}

/** The net metrics among `names`. */
export const netMetrics = async (
  ev: Evaluation,
  names: ReadonlyArray<string>,
  nets: Binding,
  latent: number
): Promise<Record<string, number>> => {
  checkMetrics(names, ev.o.kind, nets)
  const out: Record<string, number> = {}
  for (const name of names) {
    const m = imageMetrics[name]
    if (m.of === 'nets') Object.assign(out, await m.run(ev, nets, latent))
  }
  return out
}

/**
 * Every named metric of a model: samples drawn from G (`o.samples` of them, 26 000 when Stacked-MNIST
 * modes are asked for), then the net metrics.
 * @throws Error naming an unknown metric (and the known ones), one that does not apply to the data kind, or a missing net
 */
export const evaluateImages = async (
  names: ReadonlyArray<string>,
  o: EvaluationOptions & { readonly nets: Binding; readonly latent: number }
): Promise<Readonly<Record<string, number>>> => {
  checkMetrics(names, o.kind, o.nets)
  const ev = new Evaluation(o)
  const n = names.includes('stackedModes') ? Math.max(STACKED_SAMPLES, o.samples ?? 0) : (o.samples ?? 5000)
  const needsSamples = names.some((name) => imageMetrics[name].of === 'samples')
  const samples = needsSamples ? drawImages(o.nets.G, o.latent, n, o.seed ?? 1) : new Float32Array(0)
  return { ...sampleMetrics(ev, names, samples, n), ...(await netMetrics(ev, names, o.nets, o.latent)) }
}
