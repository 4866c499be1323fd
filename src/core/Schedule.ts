/**
 * Weight schedules: a number as a function of the training step, kept as data so that it can be
 * printed, saved and compared.
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** @category model */
export interface Constant {
  readonly _tag: 'Constant'
  readonly value: number
}
/** `values[i]` while `step < boundaries[i]`, the last value after the last boundary. @category model */
export interface Piecewise {
  readonly _tag: 'Piecewise'
  readonly boundaries: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}
/** `from` until `start`, then linearly to `to` at `end`, then `to`. @category model */
export interface Linear {
  readonly _tag: 'Linear'
  readonly from: number
  readonly to: number
  readonly start: number
  readonly end: number
}

/** @category model */
export type Schedule = Constant | Piecewise | Linear

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** @category constructors */
export const constant = (value: number): Constant => ({ _tag: 'Constant', value })

/**
 * A step schedule: `piecewise([1000], [0, 1])` is 0 for the first 1000 steps, then 1.
 * @category constructors
 */
export const piecewise = (boundaries: ReadonlyArray<number>, values: ReadonlyArray<number>): Piecewise => {
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `piecewise: ${boundaries.length} boundaries need ${boundaries.length + 1} values, got ${values.length}`
    )
  }
  for (let i = 1; i < boundaries.length; i++) {
    if (!(boundaries[i] > boundaries[i - 1])) {
      throw new RangeError(`piecewise: boundaries must increase, but boundaries[${i}] = ${boundaries[i]}`)
    }
  }
  return { _tag: 'Piecewise', boundaries: [...boundaries], values: [...values] }
}

/** @category constructors */
export const linear = (from: number, to: number, start: number, end: number): Linear => {
  if (!(end > start)) throw new RangeError(`linear: end (${end}) must be after start (${start})`)
  return { _tag: 'Linear', from, to, start, end }
}

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/** An exhaustive interpreter of schedules: one case per tag. @category destructors */
export type ScheduleMatch<A> = {
  readonly [K in Schedule['_tag']]: (s: Extract<Schedule, { readonly _tag: K }>) => A
}

/** @category destructors */
export const match =
  <A>(cases: ScheduleMatch<A>) =>
  (s: Schedule): A =>
    (cases[s._tag] as (s: Schedule) => A)(s)

/** The schedule's value at a step. @category destructors */
export const at = (s: Schedule, step: number): number =>
  match<number>({
    Constant: (s) => s.value,
    Piecewise: (s) => {
      const i = s.boundaries.findIndex((b) => step < b)
      return s.values[i === -1 ? s.values.length - 1 : i]
    },
    Linear: (s) =>
      step <= s.start
        ? s.from
        : step >= s.end
          ? s.to
          : s.from + ((s.to - s.from) * (step - s.start)) / (s.end - s.start)
  })(s)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** Whether the schedule is zero at every step. @category utils */
export const isZero: (s: Schedule) => boolean = match<boolean>({
  Constant: (s) => s.value === 0,
  Piecewise: (s) => s.values.every((v) => v === 0),
  Linear: (s) => s.from === 0 && s.to === 0
})

/** A canonical, injective string. @category utils */
export const key: (s: Schedule) => string = match<string>({
  Constant: (s) => `const(${s.value})`,
  Piecewise: (s) => `steps(${s.boundaries.join(',')};${s.values.join(',')})`,
  Linear: (s) => `linear(${s.from},${s.to};${s.start},${s.end})`
})

/** Human-readable form, e.g. `w[0 → 1 @ 1000]`. @category utils */
export const show: (s: Schedule) => string = match<string>({
  Constant: (s) => String(s.value),
  Piecewise: (s) => `w[${s.values.map((v, i) => (i === 0 ? String(v) : `${v} @ ${s.boundaries[i - 1]}`)).join(' → ')}]`,
  Linear: (s) => `w[${s.from} @ ${s.start} ↗ ${s.to} @ ${s.end}]`
})
