/**
 * Weight schedules: a number as a function of the training step, kept as data so that it can be
 * printed, saved and compared.
 *
 * @since 0.1.0
 */

/** @category model */
export type Schedule =
  | { readonly _tag: 'Constant'; readonly value: number }
  /** `values[i]` while `step < boundaries[i]`, the last value after the last boundary. */
  | { readonly _tag: 'Piecewise'; readonly boundaries: ReadonlyArray<number>; readonly values: ReadonlyArray<number> }
  /** `from` until `start`, then linearly to `to` at `end`, then `to`. */
  | { readonly _tag: 'Linear'; readonly from: number; readonly to: number; readonly start: number; readonly end: number }

/** @category constructors */
export const constant = (value: number): Schedule => ({ _tag: 'Constant', value })

/**
 * A step schedule: `piecewise([1000], [0, 1])` is 0 for the first 1000 steps, then 1.
 * @category constructors
 */
export const piecewise = (boundaries: ReadonlyArray<number>, values: ReadonlyArray<number>): Schedule => {
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
export const linear = (from: number, to: number, start: number, end: number): Schedule => {
  if (!(end > start)) throw new RangeError(`linear: end (${end}) must be after start (${start})`)
  return { _tag: 'Linear', from, to, start, end }
}

/** The schedule's value at a step. @category destructors */
export const at = (s: Schedule, step: number): number => {
  switch (s._tag) {
    case 'Constant':
      return s.value
    case 'Piecewise': {
      const i = s.boundaries.findIndex((b) => step < b)
      return s.values[i === -1 ? s.values.length - 1 : i]
    }
    case 'Linear':
      if (step <= s.start) return s.from
      if (step >= s.end) return s.to
      return s.from + ((s.to - s.from) * (step - s.start)) / (s.end - s.start)
  }
}

/** Whether the schedule is zero at every step. @category utils */
export const isZero = (s: Schedule): boolean => {
  switch (s._tag) {
    case 'Constant':
      return s.value === 0
    case 'Piecewise':
      return s.values.every((v) => v === 0)
    case 'Linear':
      return s.from === 0 && s.to === 0
  }
}

/** A canonical, injective string. @category utils */
export const key = (s: Schedule): string => {
  switch (s._tag) {
    case 'Constant':
      return `const(${s.value})`
    case 'Piecewise':
      return `steps(${s.boundaries.join(',')};${s.values.join(',')})`
    case 'Linear':
      return `linear(${s.from},${s.to};${s.start},${s.end})`
  }
}

/** Human-readable form, e.g. `w[0 → 1 @ 1000]`. @category utils */
export const show = (s: Schedule): string => {
  switch (s._tag) {
    case 'Constant':
      return String(s.value)
    case 'Piecewise':
      return `w[${s.values.map((v, i) => (i === 0 ? String(v) : `${v} @ ${s.boundaries[i - 1]}`)).join(' → ')}]`
    case 'Linear':
      return `w[${s.from} @ ${s.start} ↗ ${s.to} @ ${s.end}]`
  }
}
