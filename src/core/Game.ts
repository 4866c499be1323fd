/**
 * Games: an ordered list of players, each minimising its own loss with respect to its own nets only.
 *
 * @since 0.1.0
 */
import type { Loss } from './Loss.ts'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A shape without the batch axis, e.g. `[28, 28, 1]` or `[32]`. @category model */
export type Shape = ReadonlyArray<number>

/** What a net maps from and to (without the batch axis). @category model */
export interface Signature {
  readonly input: Shape
  readonly output: Shape
}

/** @category model */
export interface Adam {
  readonly _tag: 'Adam'
  readonly learningRate: number
  readonly beta1: number
  readonly beta2: number
}
/** @category model */
export interface Sgd {
  readonly _tag: 'Sgd'
  readonly learningRate: number
}
/** @category model */
export type Optimizer = Adam | Sgd

/** @category model */
export interface Player {
  readonly name: string
  /** The nets whose variables this player updates. */
  readonly nets: ReadonlyArray<string>
  /** The loss this player minimises. */
  readonly loss: Loss
  /** The player steps on iterations i with (i + 1) mod every = 0: `every: 5` steps once per 5 iterations. */
  readonly every: number
  readonly optimizer: Optimizer
}

/** @category model */
export interface Game {
  /** The shape of one data example. */
  readonly data: Shape
  /** The shape of one prior draw z ~ N(0, I). */
  readonly prior: Shape
  /** Every net the game may refer to, with its signature. */
  readonly nets: Readonly<Record<string, Signature>>
  readonly players: ReadonlyArray<Player>
  /**
   * How the players of one step see each other's samples (absent: `alternating`). `alternating`: each
   * player recomputes every net application with the current weights. `sharedSamples`: a sample (the
   * output of a net that some other net reads, e.g. G(z), E(x)) that a player computed is reused, gradient
   * stopped, by the later players of the step that do not update that net — so a critic that moves after
   * the generator sees the generator's samples from before its update, as most GAN code (and the PyTorch
   * peer of bench/) does. Critic outputs, and samples no earlier player computed, use the current weights.
   * In a critic-first game the generator's samples are computed once per step, before the critic moves,
   * and the step is the same as `alternating` (the compiler runs the critic inside the generator's tape).
   */
  readonly schedule?: StepSchedule
}

/** @category model */
export type StepSchedule = 'alternating' | 'sharedSamples'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Adam with the DCGAN defaults (2e-4, β₁ 0.5, β₂ 0.999). @category constructors */
export const adam = (learningRate = 2e-4, beta1 = 0.5, beta2 = 0.999): Optimizer => ({
  _tag: 'Adam',
  learningRate,
  beta1,
  beta2
})

/** @category constructors */
export const sgd = (learningRate: number): Optimizer => ({ _tag: 'Sgd', learningRate })

/**
 * @example
 * player('critic', ['D'], classify('D', { real: data, fake: G(prior) }), { every: 1 })
 * @category constructors
 */
export const player = (
  name: string,
  nets: ReadonlyArray<string>,
  loss: Loss,
  options: { readonly every?: number; readonly optimizer?: Optimizer } = {}
): Player => ({
  name,
  nets: [...nets],
  loss,
  every: options.every ?? 1,
  optimizer: options.optimizer ?? adam()
})

/** @category constructors */
export const game = (g: Game): Game => g

/** A signature. @category constructors */
export const sig = (input: Shape, output: Shape): Signature => ({ input: [...input], output: [...output] })

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** Whether a number is a dimension: a positive integer. @category refinements */
export const isDim = (d: number): boolean => Number.isInteger(d) && d > 0

/** Whether a shape is one: at least one axis, every dimension positive. @category refinements */
export const isShape = (s: Shape): boolean => s.length > 0 && s.every(isDim)

/** The number of elements of a shape. @category utils */
export const size = (s: Shape): number => s.reduce((a, b) => a * b, 1)

/** @category utils */
export const shapeEquals = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/** The game's step schedule, the default made explicit. @category utils */
export const stepScheduleOf = (g: Pick<Game, 'schedule'>): StepSchedule => g.schedule ?? 'alternating'

const STEP_SCHEDULES: { readonly [K in StepSchedule]: string } = {
  alternating: 'each player recomputes every sample with the current weights',
  sharedSamples: "later players reuse earlier players' samples, gradient stopped"
}

/**
 * The step schedule in words, for headers: `alternating (each player recomputes every sample with the
 * current weights)`. @category utils
 */
export const showStepSchedule = (g: Pick<Game, 'schedule'>): string => {
  const s = stepScheduleOf(g)
  return `${s} (${STEP_SCHEDULES[s]})`
}

/** Whether a player steps on iteration `i` (0-based). @category utils */
export const steps = (p: Player, i: number): boolean => (i + 1) % p.every === 0

/** A copy of the game with one player's loss replaced. @category combinators */
export const mapLoss =
  (name: string, f: (l: Loss) => Loss) =>
  (g: Game): Game => ({
    ...g,
    players: g.players.map((p) => (p.name === name ? { ...p, loss: f(p.loss) } : p))
  })
