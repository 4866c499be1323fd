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
import { ensureClassifier } from './classifier.ts'
import { independentCritic } from './critic.ts'
import { frechetOfFeatures } from './frechet.ts'
import { precisionRecall } from './precisionRecall.ts'
import { reconstructionError } from './reconstruction.ts'

/** The Stacked-MNIST protocol's sample count (VEEGAN / PacGAN). */
export const STACKED_SAMPLES = 26_000

export interface EvaluationOptions {
  readonly kind: ImageKind
  /** G (z → image) always; E (image → z or 2z) for reconstruction. */
  readonly nets: Binding
  readonly latent: number
  readonly seed?: number
  /** Generated samples for Fréchet, inception score and precision/recall (default 5000; Stacked-MNIST modes always use 26 000). */
  readonly samples?: number
  /** Independent critic training steps (default 1000). */
  readonly criticSteps?: number
  readonly log?: (line: string) => void
}

/** What the metrics of one evaluation share, made on first use. */
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
  get samples(): number {
    return this.o.samples ?? 5000
  }
  net(name: 'G' | 'E'): Net {
    const n = this.o.nets[name]
    if (n === undefined) throw new Error(`metrics: net ${name} is needed but not bound`)
    return n
  }
  set(split: 'train' | 'test'): ImageSet {
    return this.once(`set:${split}`, () => imageSet({ kind: this.o.kind }, split, this.o.seed ?? 1))
  }
  classifier(): Promise<Classifier> {
    return this.once('classifier', () => ensureClassifier({ source: this.o.kind === 'fashionMnist' ? 'fashionMnist' : 'mnist', log: this.o.log }))
  }
  /** `n` samples of G (flat `[n, h, w, c]`), drawn from the evaluation's seed. */
  generated(n: number): Float32Array {
    return this.once(`samples:${n}`, () => {
      const G = this.net('G')
      const px = size(this.set('test').shape)
      const out = new Float32Array(n * px)
      for (let i = 0; i < n; i += 500) {
        const m = Math.min(500, n - i)
        const x = tf.tidy(() => G.apply(tf.randomNormal([m, this.o.latent], 0, 1, 'float32', (this.o.seed ?? 1) * 100_003 + i + 1)))
        out.set(x.dataSync() as Float32Array, i * px)
        x.dispose()
      }
      return out
    })
  }
  /** Classifier features of `n` test examples and of `n` samples. */
  async features(n: number): Promise<{ readonly real: Float32Array; readonly fake: Float32Array; readonly width: number; readonly n: number }> {
    const c = await this.classifier()
    return this.once(`features:${n}`, () => {
      const m = Math.min(n, this.set('test').count)
      const real = featuresOf(c, examples(this.set('test'), m, TANH_RANGE), m, this.view)
      const fake = featuresOf(c, this.generated(m), m, this.view)
      return { real: real.values, fake: fake.values, width: real.width, n: m }
    })
  }
}

export interface Metric {
  readonly description: string
  readonly kinds: ReadonlyArray<ImageKind>
  readonly needs: ReadonlyArray<'G' | 'E'>
  run(ev: Evaluation): Promise<Readonly<Record<string, number>>>
}

const ALL: ReadonlyArray<ImageKind> = ['mnist', 'fashionMnist', 'stackedMnist', 'colorMnist']

/** Every image metric, by the name `evaluation.metrics` uses. */
export const imageMetrics: Readonly<Record<string, Metric>> = {
  stackedModes: {
    description: 'Stacked-MNIST modes out of 1000 and KL(p̂ ‖ uniform) of 26 000 samples, each channel classified as a digit (VEEGAN / PacGAN)',
    kinds: ['stackedMnist'],
    needs: ['G'],
    run: async (ev) => {
      const r = stackedModes(await ev.classifier(), ev.generated(STACKED_SAMPLES), STACKED_SAMPLES)
      return { modes: r.modes, kl: r.kl }
    }
  },
  frechet: {
    description: "Fréchet distance between test data and samples in the evaluation classifier's penultimate features",
    kinds: ALL,
    needs: ['G'],
    run: async (ev) => {
      const f = await ev.features(ev.samples)
      return { frechet: frechetOfFeatures(f.real, f.n, f.fake, f.n, f.width) }
    }
  },
  precisionRecall: {
    description: "precision and recall of distributions (Kynkäänniemi et al. 2019, k = 3) in the classifier's features, samples against test data",
    kinds: ALL,
    needs: ['G'],
    run: async (ev) => {
      const f = await ev.features(ev.samples)
      return { ...precisionRecall(f.real, f.n, f.fake, f.n, f.width) }
    }
  },
  inceptionScore: {
    description: 'inception score with the evaluation classifier (10 classes; 1000 joint classes for Stacked MNIST)',
    kinds: ALL,
    needs: ['G'],
    run: async (ev) => ({ inceptionScore: inceptionScore(await ev.classifier(), ev.generated(ev.samples), ev.samples, ev.view) })
  },
  critic: {
    description: 'the independent Wasserstein critic: a fresh WGAN-GP critic trained on training data against samples, its estimate on test data against fresh samples',
    kinds: ALL,
    needs: ['G'],
    run: async (ev) => {
      const r = await independentCritic(ev.net('G'), ev.o.latent, ev.set('train'), ev.set('test'), { steps: ev.o.criticSteps, seed: ev.o.seed })
      return { criticWasserstein: r.wasserstein, criticWassersteinTrain: r.wassersteinTrain }
    }
  },
  reconstruction: {
    description: 'mean per-pixel L1 and L2 error of x − G(E(x)) on the test split (models with an encoder)',
    kinds: ALL,
    needs: ['G', 'E'],
    run: async (ev) => {
      const r = reconstructionError(ev.net('E'), ev.net('G'), ev.set('test'))
      return { reconstructionL1: r.l1, reconstructionL2: r.l2 }
    }
  }
}

/** The metrics an image experiment computes when its config names none. */
export const defaultImageMetrics = (kind: ImageKind, hasEncoder: boolean): ReadonlyArray<string> => [
  ...(kind === 'stackedMnist' ? ['stackedModes'] : []),
  'frechet',
  'inceptionScore',
  'precisionRecall',
  ...(hasEncoder ? ['reconstruction'] : [])
]

/**
 * Runs the named metrics, in order, on one shared evaluation.
 * @throws Error naming an unknown metric (and the known ones), one that does not apply to the data kind, or a missing net
 */
export const evaluateImages = async (names: ReadonlyArray<string>, o: EvaluationOptions): Promise<Readonly<Record<string, number>>> => {
  for (const name of names) {
    const m = imageMetrics[name]
    if (m === undefined) throw new Error(`unknown metric "${name}"; known: ${Object.keys(imageMetrics).join(', ')}`)
    if (!m.kinds.includes(o.kind)) throw new Error(`metric "${name}" does not apply to ${o.kind} (only ${m.kinds.join(', ')})`)
    const missing = m.needs.filter((n) => o.nets[n] === undefined)
    if (missing.length > 0) throw new Error(`metric "${name}" needs net${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the model does not have`)
  }
  const ev = new Evaluation(o)
  const out: Record<string, number> = {}
  for (const name of names) Object.assign(out, await imageMetrics[name].run(ev))
  return out
}
