/**
 * Smart constructors of loss terms, and the combinators that make new objectives out of them. Each
 * rule a term obeys (a finite scale, a non-empty label, at least one fake set) is checked here once;
 * the codecs build decoded terms through these functions.
 * @since 0.1.0
 */
import type { Expr } from '../Expr.ts'
import type { Binary, DataLast } from '../function.ts'
import { binary, dataLast } from '../function.ts'
import type { Schedule } from '../Schedule.ts'
import type {
  Classify,
  Critic,
  DensityRatio,
  GaussianKL,
  GradientPenalty,
  LatentKL,
  Loss,
  Minimax,
  Named,
  NonSaturating,
  R1,
  Reconstruction,
  Reduction,
  Scale,
  Sum,
  Variant,
  Weighted
} from './model.ts'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** @category constructors */
export const zero: Loss = { _tag: 'Zero' }

const reconstruction =
  (norm: Reconstruction['norm']) =>
  (target: Expr, output: Expr, reduction: Reduction = 'mean'): Reconstruction => ({
    _tag: 'Reconstruction',
    norm,
    reduction,
    target,
    output
  })

/**
 * λ-weighted L1 is the α-GAN's Laplace likelihood: `scale(λ, reconstructionL1(data, G(E(data))))`.
 * @category constructors
 */
export const reconstructionL1 = reconstruction('l1')
/** @category constructors */
export const reconstructionL2 = reconstruction('l2')
/** `output` holds logits; `target` is in [0, 1]. @category constructors */
export const bernoulliNLL = reconstruction('bernoulli')

/** @category constructors */
export const densityRatio = (critic: string, sample: Expr): DensityRatio => ({ _tag: 'DensityRatio', critic, sample })
/** @category constructors */
export const latentKL = (critic: string, code: Expr): LatentKL => ({ _tag: 'LatentKL', critic, code })
/** @category constructors */
export const gaussianKL = (mean: Expr, logVar: Expr): GaussianKL => ({ _tag: 'GaussianKL', mean, logVar })

/**
 * @example
 * classify('D', { real: data, fake: [G(E(data)), G(prior)] })
 * @category constructors
 */
export const classify = (
  critic: string,
  sets: { readonly real: Expr; readonly fake: Expr | ReadonlyArray<Expr> },
  variant: Variant = 'bce'
): Classify => {
  const fake: ReadonlyArray<Expr> = Array.isArray(sets.fake) ? [...sets.fake] : [sets.fake as Expr]
  if (fake.length === 0) throw new RangeError(`classify(${critic}): needs at least one fake set`)
  return { _tag: 'Classify', critic, real: sets.real, fake, variant }
}

/** −E[log D(sample)]. @category constructors */
export const nonSaturating = (critic: string, sample: Expr): NonSaturating => ({
  _tag: 'NonSaturating',
  critic,
  sample
})
/** E[log(1 − D(sample))]. @category constructors */
export const minimax = (critic: string, sample: Expr): Minimax => ({ _tag: 'Minimax', critic, sample })
/**
 * −E[a(sample)]: the WGAN generator loss, read off a Wasserstein critic `a`.
 *
 * Named for its role, like `nonSaturating` and `minimax`, and not `critic`, which every adversarial term
 * already has as the field naming its critic net. Its tag stays `Critic`, so saved configs, games and
 * run folders decode unchanged.
 * @category constructors
 */
export const wassersteinGenerator = (criticNet: string, sample: Expr): Critic => ({
  _tag: 'Critic',
  critic: criticNet,
  sample
})
/** @category constructors */
export const gradientPenalty = (criticNet: string, real: Expr, fake: Expr): GradientPenalty => ({
  _tag: 'GradientPenalty',
  critic: criticNet,
  real,
  fake
})
/** @category constructors */
export const r1 = (criticNet: string, real: Expr): R1 => ({ _tag: 'R1', critic: criticNet, real })

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/** `add(a, b)`, or data-last `pipe(a, add(b))`. @category combinators */
export const add: Binary<Loss, Sum> = binary((self: Loss, that: Loss): Sum => ({ _tag: 'Sum', terms: [self, that] }))
/** @category combinators */
export const sum = (...terms: ReadonlyArray<Loss>): Loss => (terms.length === 0 ? zero : { _tag: 'Sum', terms })
/** `scale(k, t)`, or data-last `scale(k)(t)` for `pipe`. @category combinators */
export const scale: DataLast<number, Loss, Scale> = dataLast((k: number) => {
  if (!Number.isFinite(k)) throw new RangeError(`scale: the factor must be finite, got ${k}`)
  return (term: Loss): Scale => ({ _tag: 'Scale', k, term })
})
/** `−t`. @category combinators */
export const neg = (term: Loss): Scale => scale(-1, term)
/** `named(label, t)`, or data-last `named(label)(t)`. @category combinators */
export const named: DataLast<string, Loss, Named> = dataLast((label: string) => {
  if (label.length === 0) throw new RangeError('named: the label must not be empty')
  return (term: Loss): Named => ({ _tag: 'Named', label, term })
})
/** `weighted(schedule, t)`, or data-last `weighted(schedule)(t)`. @category combinators */
export const weighted: DataLast<Schedule, Loss, Weighted> = dataLast(
  (schedule: Schedule) =>
    (term: Loss): Weighted => ({ _tag: 'Weighted', schedule, term })
)
