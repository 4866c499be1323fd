/**
 * Sweep files: a grid and/or a list of experiment configs over a common base, expanded into runs.
 *
 * ```jsonc
 * {
 *   "name": "lambda-study",                       // optional
 *   "base": { "model": "alphaGan", "train": { "steps": 500 } },   // optional: shared by every run
 *   "runs": [ { "data": { "kind": "ring", ... } }, { "data": { "kind": "grid", ... } } ],  // optional list
 *   "grid": { "model": ["alphaGan", "aae"], "seed": [1, 2, 3] },  // optional: every array is a list of alternatives
 *   "seeds": 3                                    // optional: seeds 1..n for every run (instead of grid.seed)
 * }
 * ```
 * Runs are `base ⊕ runs[i] ⊕ one choice per grid array` (objects merge, everything else replaces), in
 * order, the last grid array varying fastest. Each run is decoded exactly like a config; a problem is
 * reported at the place in the sweep file its value came from (`sweep.json: $.grid.model[2]: …`).
 * A run's id is a hash of its normalised config (every default filled in, its name left out): the same
 * run in two sweeps, or the same sweep enqueued twice, is one run.
 * @since 0.1.0
 */
import { createHash } from 'node:crypto'

import * as E from 'fp-ts/Either'

import { decodeExperiment } from './experiment.ts'

/** A JSON value. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }
type JsonObject = { readonly [k: string]: Json }

/** One expanded run. */
export interface SweepRun {
  /** Content hash of the normalised config: the job id and the run folder's name. */
  readonly id: string
  /** A readable label: the grid choices (or the run's index in `runs`), e.g. `model=aae seed=2`. */
  readonly label: string
  /** The label without the seed: runs that differ only in their seed share it (a comparison's row). */
  readonly group: string
  readonly seed: number
  /** The normalised config (plain JSON) that the run trains. */
  readonly config: JsonObject
}

export interface Sweep {
  readonly name: string
  readonly runs: ReadonlyArray<SweepRun>
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

const key = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)
const showPath = (p: ReadonlyArray<string | number>): string =>
  p.map((k) => (typeof k === 'number' ? `[${k}]` : key(k))).join('')
const show = (v: unknown): string => {
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s
}

const TOP = ['name', 'base', 'runs', 'grid', 'seeds']

interface Leaf {
  readonly path: ReadonlyArray<string>
  readonly values: ReadonlyArray<Json>
}

/** The grid's arrays (lists of alternatives), depth first in document order, or the problems found. */
const leaves = (grid: JsonObject, at: ReadonlyArray<string>, problems: Array<string>): Array<Leaf> =>
  Object.entries(grid).flatMap(([k, v]): Array<Leaf> => {
    const path = [...at, k]
    if (Array.isArray(v)) {
      if (v.length === 0) problems.push(`$.grid${showPath(path)}: expected a non-empty list of alternatives, got []`)
      return [{ path, values: v }]
    }
    if (isObject(v)) return leaves(v, path, problems)
    problems.push(`$.grid${showPath(path)}: expected a list of alternatives (or an object of them), got ${show(v)}`)
    return []
  })

/** `b` over `a`: objects merge key by key, anything else replaces. */
export const merge = (a: Json | undefined, b: Json | undefined): Json | undefined =>
  b === undefined
    ? a
    : isObject(a) && isObject(b)
      ? Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, merge(a[k], b[k])!]))
      : b

const setPath = (path: ReadonlyArray<string>, v: Json): Json =>
  path.length === 0 ? v : { [path[0]]: setPath(path.slice(1), v) }

/** How many leading steps of `path` exist in `v`. */
const depthIn = (v: Json | undefined, path: ReadonlyArray<string | number>): number => {
  let d = 0
  let cur: Json | undefined = v
  for (const k of path) {
    if (cur === undefined || cur === null || typeof cur !== 'object') break
    cur = Array.isArray(cur) ? (cur as ReadonlyArray<Json>)[k as number] : (cur as JsonObject)[k as string]
    if (cur === undefined) break
    d++
  }
  return d
}

/** Parses the path of a decode report line (`$.a.b[2]: …`) into keys. */
const parseLine = (line: string): { path: Array<string | number>; rest: string } | undefined => {
  const m = /^\$((?:\.[^.[\]:\s]+|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*): ([\s\S]*)$/.exec(line)
  if (m === null) return undefined
  const path: Array<string | number> = []
  for (const p of m[1].matchAll(/\.([^.[\]:\s]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g))
    path.push(p[1] ?? (p[2] !== undefined ? Number(p[2]) : (JSON.parse(p[3]) as string)))
  return { path, rest: m[2] }
}

const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : isObject(v)
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
          .join(',')}}`
      : JSON.stringify(v)

/** The run id of a normalised config: the same training (name aside) always has the same id. */
export const runId = (normalised: JsonObject): string => {
  const rest = Object.fromEntries(Object.entries(normalised).filter(([k]) => k !== 'name'))
  return `run-${createHash('sha256').update(canonical(rest)).digest('hex').slice(0, 16)}`
}

const labelValue = (v: Json): string => {
  if (!isObject(v)) return typeof v === 'string' ? v : JSON.stringify(v)
  const rest = Object.entries(v).filter(([k]) => k !== 'name' && k !== 'kind' && k !== 'arch')
  const head =
    typeof v.name === 'string' ? v.name : typeof v.kind === 'string' ? v.kind : typeof v.arch === 'string' ? v.arch : ''
  return `${head}${rest.length > 0 || head === '' ? `{${rest.map(([k, x]) => `${k}=${labelValue(x)}`).join(',')}}` : ''}`
}

/**
 * Expands a parsed sweep file into runs, or returns every problem as `file: $.path: message`.
 * `file` names the sweep file in the messages.
 */
export const expandSweep = (
  input: unknown,
  file: string,
  o: { readonly defaultName?: string } = {}
): E.Either<ReadonlyArray<string>, Sweep> => {
  const problems: Array<string> = []
  if (!isObject(input))
    return E.left([`${file}: $: expected a sweep (an object with base, runs and/or grid), got ${show(input)}`])
  for (const k of Object.keys(input))
    if (!TOP.includes(k)) problems.push(`$${key(k)}: unknown field (a sweep has ${TOP.join(', ')})`)
  const { name, base, runs, grid, seeds } = input
  if (name !== undefined && typeof name !== 'string') problems.push(`$.name: expected string, got ${show(name)}`)
  if (base !== undefined && !isObject(base))
    problems.push(`$.base: expected an experiment config (object), got ${show(base)}`)
  if (runs !== undefined && (!Array.isArray(runs) || runs.length === 0))
    problems.push(`$.runs: expected a non-empty list of experiment configs, got ${show(runs)}`)
  if (Array.isArray(runs))
    runs.forEach(
      (r, i) => isObject(r) || problems.push(`$.runs[${i}]: expected an experiment config (object), got ${show(r)}`)
    )
  if (seeds !== undefined && !(typeof seeds === 'number' && Number.isInteger(seeds) && seeds > 0))
    problems.push(`$.seeds: expected a positive integer, got ${show(seeds)}`)
  let ls: Array<Leaf> = []
  if (grid !== undefined) {
    if (!isObject(grid)) problems.push(`$.grid: expected an object of lists of alternatives, got ${show(grid)}`)
    else ls = leaves(grid, [], problems)
  }
  if (seeds !== undefined && ls.some((l) => l.path.length === 1 && l.path[0] === 'seed'))
    problems.push('$.seeds: give seeds or grid.seed, not both')
  if (problems.length > 0) return E.left(problems.map((p) => `${file}: ${p}`))

  const sweepName = typeof name === 'string' ? name : (o.defaultName ?? 'sweep')
  const seedLeaf: Array<Leaf> =
    seeds === undefined ? [] : [{ path: ['seed'], values: Array.from({ length: seeds as number }, (_, i) => i + 1) }]
  const allLeaves = [...ls, ...seedLeaf]
  const combos: Array<ReadonlyArray<number>> = allLeaves.reduce<Array<ReadonlyArray<number>>>(
    (acc, l) => acc.flatMap((c) => l.values.map((_, i) => [...c, i])),
    [[]]
  )
  const entries: ReadonlyArray<JsonObject | undefined> = Array.isArray(runs)
    ? (runs as ReadonlyArray<JsonObject>)
    : [undefined]

  const out: Array<SweepRun> = []
  const seen = new Map<string, string>()
  entries.forEach((entry, ri) => {
    for (const combo of combos) {
      const choices = combo.map((i, li) => setPath(allLeaves[li].path, allLeaves[li].values[i]))
      const merged = [entry, ...choices].reduce<Json | undefined>((a, b) => merge(a, b), base as Json | undefined) ?? {}
      const choice = (li: number): string => {
        const v = allLeaves[li].values[combo[li]]
        const p = allLeaves[li].path
        // a named value speaks for itself (alphaGan{lambda=4}); others are key=value, the key as short as is unambiguous
        if (isObject(v) && (typeof v.name === 'string' || typeof v.kind === 'string' || typeof v.arch === 'string'))
          return labelValue(v)
        const short = allLeaves.filter((l) => l.path.at(-1) === p.at(-1)).length === 1 ? p.at(-1)! : p.join('.')
        return `${short}=${labelValue(v)}`
      }
      const isSeed = (li: number): boolean => allLeaves[li].path.length === 1 && allLeaves[li].path[0] === 'seed'
      const entryName = isObject(entry) && typeof entry.name === 'string' ? entry.name : `runs[${ri}]`
      const where = [...(entry === undefined ? [] : [entryName]), ...combo.map((_, li) => choice(li))]
      const named = isObject(merged) && typeof merged.name === 'string' ? merged.name : undefined
      const label = where.join(' ') || (named ?? sweepName)
      const group =
        [
          ...(entry === undefined ? [] : [entryName]),
          ...combo.flatMap((_, li) => (isSeed(li) ? [] : [choice(li)]))
        ].join(' ') ||
        (named ?? sweepName)
      const decoded = decodeExperiment(merged)
      if (E.isLeft(decoded)) {
        for (const line of decoded.left)
          problems.push(
            `${file}: ${locate(line, { base: base as Json | undefined, entry, ri, leaves: allLeaves, combo, seedsGiven: seeds !== undefined })}`
          )
        continue
      }
      const config = decoded.right
      const id = runId(config)
      const twin = seen.get(id)
      if (twin !== undefined) {
        problems.push(
          `${file}: runs "${twin}" and "${label}" are the same experiment (${id}); a sweep trains each run once`
        )
        continue
      }
      seen.set(id, label)
      out.push({ id, label, group, seed: typeof config.seed === 'number' ? config.seed : 1, config })
    }
  })
  if (problems.length > 0) return E.left([...new Set(problems)])
  return E.right({ name: sweepName, runs: out })
}

/**
 * Where in the sweep file the value at a config path came from: the grid array that set it, else the
 * run entry, else the base; a missing field is charged to the run entry (or the base).
 */
const locate = (
  line: string,
  s: {
    base: Json | undefined
    entry: JsonObject | undefined
    ri: number
    leaves: ReadonlyArray<Leaf>
    combo: ReadonlyArray<number>
    seedsGiven: boolean
  }
): string => {
  const parsed = parseLine(line)
  if (parsed === undefined) return line
  const { path, rest } = parsed
  for (let li = s.leaves.length - 1; li >= 0; li--) {
    const l = s.leaves[li]
    if (l.path.length <= path.length && l.path.every((k, i) => path[i] === k)) {
      const inner = path.slice(l.path.length)
      const v = l.values[s.combo[li]]
      if (
        inner.length === 0 ||
        depthIn(v, inner) > 0 ||
        (depthIn(s.entry, path) < path.length && depthIn(s.base, path) < path.length)
      ) {
        if (s.seedsGiven && l.path.length === 1 && l.path[0] === 'seed' && li === s.leaves.length - 1)
          return `$.seeds (seed ${String(v)}): ${rest}`
        return `$.grid${showPath(l.path)}[${s.combo[li]}]${showPath(inner)}: ${rest}`
      }
    }
  }
  const inEntry = depthIn(s.entry, path)
  const inBase = depthIn(s.base, path)
  if (s.entry !== undefined && (inEntry >= inBase || inEntry === path.length))
    return `$.runs[${s.ri}]${showPath(path)}: ${rest}`
  return `$.base${showPath(path)}: ${rest}`
}
