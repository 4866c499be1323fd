/**
 * The mode-collapse study (`npm run study`, `npm run study -- --quick`): each group of configs in
 * examples/study/ goes through `loss-algebra compare` (one process per run, two at a time on two
 * cores), then its table (mean ± sd over seeds), its plot of modes covered, one sample picture per
 * model and its wall time are written under docs/results/<full|quick>/. Run folders stay in runs/.
 *
 *   npm run study -- --quick                      # 2 seeds, 1 000 steps, the toys and their ablations
 *   npm run study                                 # 5 seeds, the configs' steps, toys then Stacked MNIST
 *   npm run study -- --groups stacked-mnist --steps 2000   # a shorter budget: docs/results/steps-2000/
 *   npm run study -- --groups grid --only alpha-gan,gan --seeds 2   # some configs of a group
 *   npm run study -- --groups stacked-mnist --resume   # keep finished runs, continue killed ones
 *   npm run study -- --collect                    # rebuild the tables from runs already there
 *   npm run study -- --groups stacked-mnist --paper-metrics   # + Inception score, MS-SSIM; the independent critic on seed 1
 * @since 0.1.0
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { PNG } from 'pngjs'

const models = ['gan', 'wgan-gp', 'vae', 'aae', 'vae-gan', 'bigan', 'alpha-gan'] as const
const ablations = [
  'no-code-critic',
  'no-samples-to-d',
  'no-reconstruction',
  'lambda-0.1',
  'lambda-10',
  'non-saturating'
] as const

/** Each group: its configs (names in examples/study/), in table order. */
export const groups: Readonly<Record<string, ReadonlyArray<string>>> = {
  ring: models.map((m) => `${m}-ring`),
  grid: models.map((m) => `${m}-grid`),
  'ablations-ring': ablations.map((a) => `alpha-gan-${a}-ring`),
  'ablations-grid': ablations.map((a) => `alpha-gan-${a}-grid`),
  'stacked-mnist': models.map((m) => `${m}-stacked-mnist`)
}

interface Options {
  readonly quick: boolean
  readonly groups: ReadonlyArray<string>
  readonly seeds: number
  readonly steps?: number
  readonly jobs?: number
  readonly collect: boolean
  /** Keep finished runs, continue killed ones from their checkpoints (compare --resume); wall times add up. */
  readonly resume: boolean
  /** Only these models or ablations (config names without the data suffix), where given. */
  readonly only?: ReadonlyArray<string>
  /** Image groups: also the paper's metrics (Inception score, MS-SSIM of every run; the independent Wasserstein critic of each config's seed-1 run). */
  readonly paperMetrics: boolean
}

const parse = (argv: ReadonlyArray<string>): Options => {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const known = new Set([
    '--quick',
    '--collect',
    '--resume',
    '--groups',
    '--seeds',
    '--steps',
    '--jobs',
    '--only',
    '--paper-metrics'
  ])
  for (const a of argv) {
    if (a.startsWith('--') && !known.has(a)) {
      console.error(`study: unknown option ${a} (known: ${[...known].join(', ')})`)
      process.exit(2)
    }
  }
  const quick = argv.includes('--quick')
  const gs = (
    flag('--groups') ?? (quick ? 'ring,grid,ablations-ring,ablations-grid' : Object.keys(groups).join(','))
  ).split(',')
  for (const g of gs) {
    if (groups[g] === undefined) {
      console.error(`study: unknown group "${g}" (groups: ${Object.keys(groups).join(', ')})`)
      process.exit(2)
    }
  }
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s))
  return {
    quick,
    groups: gs,
    seeds: num(flag('--seeds')) ?? (quick ? 2 : 5),
    steps: num(flag('--steps')) ?? (quick ? 1000 : undefined),
    jobs: num(flag('--jobs')),
    collect: argv.includes('--collect'),
    resume: argv.includes('--resume'),
    paperMetrics: argv.includes('--paper-metrics'),
    ...(flag('--only') !== undefined ? { only: flag('--only')!.split(',') } : {})
  }
}

interface Run {
  readonly label: string
  readonly seed: number
  readonly exit: number
  readonly error?: string
  readonly metrics: Readonly<Record<string, unknown>> | null
}

const mean = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length
const sd = (xs: ReadonlyArray<number>): number =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1))
/** mean ± sd; one seed's value alone (an sd of one value would read as a spread of 0). */
const cell = (xs: ReadonlyArray<number>, digits: number, k = 1): string =>
  xs.length === 0
    ? '—'
    : xs.length === 1
      ? (xs[0] * k).toFixed(digits)
      : `${(mean(xs) * k).toFixed(digits)} ± ${(sd(xs) * k).toFixed(digits)}`

/** The group's table: one row per config, mean ± sd over the seeds that finished. */
export const table = (group: string, runs: ReadonlyArray<Run>): string => {
  const image = group === 'stacked-mnist'
  const head = image
    ? '| run | seeds ok | modes /1000 | KL to uniform | Fréchet | reconstruction L1 | Inception score | MS-SSIM (test data) | independent critic W | ms/step |'
    : `| run | seeds ok | modes /${group.endsWith('ring') ? 8 : 25} | high quality % | KL to uniform | ms/step |`
  const lines = [head, head.replace(/[^|]+/g, ' --- ')]
  for (const label of [...new Set(runs.map((r) => r.label))]) {
    const ok = runs.filter((r) => r.label === label && r.exit === 0 && r.metrics !== null)
    const all = runs.filter((r) => r.label === label).length
    const get = (k: string): ReadonlyArray<number> =>
      ok.map((r) => r.metrics![k]).filter((v): v is number => typeof v === 'number')
    // the critic is evaluated on seed 1 only (--paper-metrics): one value is shown as such
    const some = (k: string, digits: number): string => {
      const has = ok.filter((r) => typeof r.metrics![k] === 'number')
      return has.length === 1 && ok.length > 1
        ? `${(has[0].metrics![k] as number).toFixed(digits)} (seed ${has[0].seed})`
        : has.length > 1 && has.length < ok.length
          ? `${cell(get(k), digits)} (${has.length} seeds)`
          : cell(get(k), digits)
    }
    const msSsim = get('msSsim').length === 0 ? '—' : `${some('msSsim', 3)}, test ${mean(get('msSsimReal')).toFixed(3)}`
    const ms = get('msPerStep')
    const speed = ms.length === 0 ? '—' : mean(ms).toFixed(0)
    lines.push(
      image
        ? `| ${label} | ${ok.length}/${all} | ${cell(get('modes'), 1)} | ${cell(get('kl'), 2)} | ${cell(get('frechet'), 1)} | ${cell(get('reconstructionL1'), 3)} | ${some('inceptionScore', 2)} | ${msSsim} | ${some('criticWasserstein', 1)} | ${speed} |`
        : `| ${label} | ${ok.length}/${all} | ${cell(get('modes'), 1)} | ${cell(get('highQuality'), 1, 100)} | ${cell(get('klToUniform'), 2)} | ${speed} |`
    )
  }
  return lines.join('\n')
}

/** Copies a PNG at half its size (2 × 2 box filter), so that the pictures kept in git stay small. */
const copyHalf = (src: string, dst: string): void => {
  const a = PNG.sync.read(readFileSync(src))
  const w = Math.floor(a.width / 2)
  const h = Math.floor(a.height / 2)
  const b = new PNG({ width: w, height: h })
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        const at = (yy: number, xx: number) => a.data[(yy * a.width + xx) * 4 + c]
        b.data[(y * w + x) * 4 + c] = Math.round(
          (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4
        )
      }
    }
  }
  writeFileSync(dst, PNG.sync.write(b, { colorType: 2 }))
}

const latestPng = (dir: string): string | undefined => {
  const samples = join(dir, 'samples')
  if (!existsSync(samples)) return undefined
  const pngs = readdirSync(samples)
    .filter((f) => f.endsWith('.png'))
    .sort()
  return pngs.length === 0 ? undefined : join(samples, pngs[pngs.length - 1])
}

/** Replaces the block between `<!-- study:<key> -->` and `<!-- /study:<key> -->` in docs/RESULTS.md, if it has one. */
const fillResults = (key: string, body: string): void => {
  const file = join('docs', 'RESULTS.md')
  if (!existsSync(file)) return
  const text = readFileSync(file, 'utf8')
  const open = `<!-- study:${key} -->`
  const close = `<!-- /study:${key} -->`
  const i = text.indexOf(open)
  const j = text.indexOf(close)
  if (i < 0 || j < i) return
  writeFileSync(file, `${text.slice(0, i + open.length)}\n${body}\n${text.slice(j)}`)
}

const readJson = (file: string): Record<string, unknown> | null =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : null

/** The arguments that run the command line (src/cli/main.ts) in a child of this process, with `args`. */
const cliArgs = (args: ReadonlyArray<string>): Array<string> => [
  ...process.execArgv,
  join('src', 'cli', 'main.ts'),
  ...args
]

/** Where `--paper-metrics` keeps a run's evaluation of the paper's metrics. */
const PAPER_METRICS = 'paper-metrics.json'

/** The paper's metrics by the names `evaluate --metrics` takes, with the keys each adds to a run's record. */
const PAPER_KEYS: Readonly<Record<string, ReadonlyArray<string>>> = {
  inceptionScore: ['inceptionScore'],
  msSsim: ['msSsim', 'msSsimReal'],
  critic: ['criticWasserstein']
}

/**
 * The paper's metrics (Inception score, MS-SSIM diversity, the independent Wasserstein critic: Rosca et
 * al. §5) of every finished run, by `loss-algebra evaluate --metrics` (one process per run): Inception
 * score and MS-SSIM on every seed (about 40 s a run on Stacked MNIST), the critic on seed 1 only (about
 * 2 min more, most of it its training). Metrics a run already has in its paper-metrics.json are kept.
 */
const evaluatePaperMetrics = (dir: string, labels: ReadonlyArray<string>): void => {
  // seed by seed, so that a stopped evaluation leaves every config with the same seeds evaluated
  const done = runsIn(dir, labels)
    .filter((r) => r.exit === 0)
    .sort((a, b) => a.seed - b.seed)
  for (const run of done) {
    const folder = join(dir, `${run.label}-seed${run.seed}`)
    const had = readJson(join(folder, PAPER_METRICS)) ?? {}
    const wanted = Object.keys(PAPER_KEYS).filter(
      (m) => (m !== 'critic' || run.seed === 1) && PAPER_KEYS[m].some((k) => had[k] === undefined)
    )
    if (wanted.length === 0) continue
    console.log(`study: ${wanted.join(', ')} of ${folder}`)
    const r = spawnSync(process.execPath, cliArgs(['evaluate', folder, '--metrics', wanted.join(','), '--json']), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit']
    })
    const last = r.stdout.trim().split('\n').pop() ?? ''
    if (r.status !== 0 || !last.startsWith('{')) {
      console.error(`study: evaluate ${folder} failed (exit ${r.status})`)
      continue
    }
    const got = JSON.parse(last) as Record<string, unknown>
    const keys = wanted.flatMap((m) => PAPER_KEYS[m])
    const merged = { ...had, ...Object.fromEntries(keys.map((k) => [k, got[k]])) }
    writeFileSync(join(folder, PAPER_METRICS), JSON.stringify(merged, null, 1) + '\n')
  }
}

/**
 * A group's runs as their folders hold them now (`<label>-seed<n>/status.json` and `metrics.json`): a
 * run redone by hand, or a group stopped part-way, counts as it stands. Unfinished runs count as failed.
 */
export const runsIn = (dir: string, labels: ReadonlyArray<string>): Array<Run> => {
  if (!existsSync(dir)) return []
  const folders = readdirSync(dir)
  return labels.flatMap((label) =>
    folders
      .flatMap((f) => {
        const m = /^(.*)-seed(\d+)$/.exec(f)
        return m !== null && m[1] === label ? [Number(m[2])] : []
      })
      .sort((a, b) => a - b)
      .map((seed): Run => {
        const run = join(dir, `${label}-seed${seed}`)
        const state = readJson(join(run, 'status.json'))?.state
        const trained = state === 'done' ? readJson(join(run, 'metrics.json')) : null
        // the paper's metrics, evaluated after training (--paper-metrics), where they were
        const metrics = trained === null ? null : { ...trained, ...readJson(join(run, PAPER_METRICS)) }
        return metrics !== null
          ? { label, seed, exit: 0, metrics }
          : { label, seed, exit: 1, error: `not finished (${String(state ?? 'no status')})`, metrics: null }
      })
  )
}

/**
 * A group's runs as its committed record (`docs/results/<variant>/<group>.json`) holds them: what
 * `--collect` tables and plots when the run folders are gone (a fresh clone, another machine).
 */
export const runsRecorded = (file: string): Array<Run> => {
  const j = readJson(file) as { runs?: ReadonlyArray<Run> } | null
  return (j?.runs ?? []).map((r) => ({ ...r, metrics: r.metrics ?? null }))
}

/** One call of `compare` behind a group's numbers, with its wall time here (null: not measured). */
export interface Call {
  readonly command: string
  readonly wallS: number | null
}
/** A group's committed record as earlier versions wrote it too (one `command` and its `wallS`). */
interface Recorded {
  readonly calls?: ReadonlyArray<Call>
  readonly command?: string
  readonly wallS?: number | null
}

/**
 * The calls behind a group after this one: a fresh call replaces the record; a resumed call adds its
 * wall time to the same command's (it continued those runs) or is appended (it added runs, as a second
 * `--only` does); a collect (no wall time) keeps the record, and with `--resume` appends its command
 * untimed (the runs of a call that was stopped).
 */
export const callsOf = (
  previous: Recorded,
  command: string,
  wallS: number | undefined,
  resume: boolean
): ReadonlyArray<Call> => {
  const before: ReadonlyArray<Call> =
    previous.calls ??
    (previous.command !== undefined ? [{ command: previous.command, wallS: previous.wallS ?? null }] : [])
  const known = before.some((c) => c.command === command)
  if (wallS === undefined) {
    if (before.length === 0) return [{ command, wallS: null }]
    // with --resume, a collect names the call whose runs it collects (one stopped before it could
    // record its wall time)
    return resume && !known ? [...before, { command, wallS: null }] : before
  }
  if (!resume) return [{ command, wallS }]
  // a call continuing one whose time was not recorded stays not recorded: its own time is a part
  return known
    ? before.map((c) => (c.command === command ? { command, wallS: c.wallS === null ? null : c.wallS + wallS } : c))
    : [...before, { command, wallS }]
}

/** The timed calls' wall time in all, or null when none was measured. */
export const totalWall = (calls: ReadonlyArray<Call>): number | null =>
  calls.some((c) => c.wallS !== null) ? calls.reduce((a, c) => a + (c.wallS ?? 0), 0) : null

const minutes = (s: number | null): string => (s === null ? 'not recorded' : `${(s / 60).toFixed(1)} min`)

/** The calls as a sentence: each command with its wall time, and the sum when there are several. */
export const describeCalls = (calls: ReadonlyArray<Call>, cli = 'loss-algebra'): string => {
  const shown = calls.map(
    (c) => `\`${c.command.replace(/^loss-algebra /, `${cli} `)}\` (wall time here ${minutes(c.wallS)})`
  )
  const total = totalWall(calls)
  const untimed = total !== null && calls.some((c) => c.wallS === null)
  return calls.length === 1
    ? shown[0]
    : `${shown.join(', then ')}; ${minutes(total)} in all${untimed ? ' for the calls timed' : ''}`
}

/** The group's plot of modes covered: every finished seed and the mean ± sd per run, in table order. */
export const modesPlot = async (group: string, runs: ReadonlyArray<Run>): Promise<Buffer> => {
  const { compareReport } = await import('../src/report/compare.ts')
  const rows = runs.flatMap((r) => {
    const v = r.exit === 0 && r.metrics !== null ? r.metrics.modes : undefined
    return typeof v !== 'number' ? [] : [{ label: r.label, seed: r.seed, metrics: { modes: v } }]
  })
  const of = group === 'stacked-mnist' ? 1000 : group.endsWith('ring') ? 8 : 25
  return (
    await compareReport(rows, { metric: 'modes', title: `modes covered /${of} by run over ${seedsPhrase(runs)}` })
  ).png
}

/** How many seeds the runs have: "5 seeds", or "1–2 seeds a run" when the runs differ. */
export const seedsPhrase = (runs: ReadonlyArray<Run>): string => {
  const counts = [...new Set(runs.map((r) => r.label))].map((l) => runs.filter((r) => r.label === l).length)
  const lo = Math.min(...counts)
  const hi = Math.max(...counts)
  return lo === hi ? `${lo} seed${lo === 1 ? '' : 's'}` : `${lo}–${hi} seeds a run`
}

const collect = async (
  o: Options,
  variant: string,
  group: string,
  out: string,
  results: string,
  command: string,
  wallS: number | undefined
): Promise<void> => {
  const fromFolders = runsIn(join(out, group), groups[group])
  const recorded = fromFolders.length === 0 && o.collect
  const cmp = { runs: recorded ? runsRecorded(join(results, `${group}.json`)) : fromFolders }
  if (cmp.runs.length === 0) {
    console.error(`study: no runs in ${join(out, group)}; group ${group} did not run`)
    return
  }
  if (recorded)
    console.log(`study: ${join(out, group)} is gone; ${group} collected from ${join(results, `${group}.json`)}`)
  mkdirSync(join(results, 'samples'), { recursive: true })
  // the ablations' baseline is the full model's row of the toy's own group (same seeds and steps)
  const toy = group.replace(/^ablations-/, '')
  const baseline =
    toy === group
      ? []
      : recorded
        ? runsRecorded(join(results, `${toy}.json`)).filter((r) => r.label === `alpha-gan-${toy}`)
        : runsIn(join(out, toy), [`alpha-gan-${toy}`])
  const tabled = [...baseline.map((r) => ({ ...r, label: `${r.label} (baseline)` })), ...cmp.runs]
  const md = table(group, tabled)
  const timing = join(results, `${group}.json`)
  const previous = existsSync(timing) ? (JSON.parse(readFileSync(timing, 'utf8')) as Recorded) : {}
  const made = callsOf(previous, command, wallS, o.resume)
  const record = {
    group,
    calls: made,
    wallS: totalWall(made),
    steps: o.steps ?? 'from the configs',
    runs: cmp.runs.map((r) => ({
      label: r.label,
      seed: r.seed,
      exit: r.exit,
      ...(r.error !== undefined ? { error: r.error } : {}),
      metrics:
        r.metrics === null
          ? null
          : Object.fromEntries(Object.entries(r.metrics).filter(([k]) => k !== 'losses' && k !== 'run'))
    }))
  }
  writeFileSync(timing, JSON.stringify(record, null, 1) + '\n')
  writeFileSync(join(results, `${group}.md`), `${md}\n\n${describeCalls(record.calls)}\n`)
  // drawn here rather than copied from compare's compare.png: whole run names, and every run of the
  // group even when it was finished over several calls
  let plot = true
  try {
    writeFileSync(join(results, `${group}-modes.png`), await modesPlot(group, tabled))
  } catch (e) {
    plot = false
    console.error(`study: the plot of ${group} could not be drawn: ${e instanceof Error ? e.message : String(e)}`)
  }
  const pictures: Array<string> = []
  for (const label of [...new Set(cmp.runs.map((r) => r.label))]) {
    const png = latestPng(join(out, group, `${label}-seed1`))
    const kept = join(results, 'samples', `${label}.png`)
    if (png !== undefined) copyHalf(png, kept)
    else if (!existsSync(kept)) continue
    pictures.push(`<img src="results/${variant}/samples/${label}.png" width="260" title="${label}" alt="${label}">`)
  }
  fillResults(
    `${variant}:${group}`,
    [
      md,
      '',
      `${record.calls.length === 1 ? 'Command' : 'Commands'}: ${describeCalls(record.calls, 'npx loss-algebra')}; steps ${record.steps}.`,
      '',
      ...(plot ? [`![modes covered, ${group}](results/${variant}/${group}-modes.png)`, ''] : []),
      group === 'stacked-mnist'
        ? 'Samples (seed 1, last step: 64 of them), in table order:'
        : `Samples (seed 1, last step; modes and 3σ circles marked), in table order:`,
      '',
      pictures.join(' ')
    ].join('\n')
  )
  console.log(`\n## ${group}\n\n${md}\n`)
}

const main = async (): Promise<void> => {
  const o = parse(process.argv.slice(2))
  // a full run with its own step count is kept apart from the configs' full protocol
  const variant = o.quick ? 'quick' : o.steps !== undefined ? `steps-${o.steps}` : 'full'
  const out = join('runs', variant === 'full' ? 'study' : `study-${variant}`)
  const results = join('docs', 'results', variant)
  mkdirSync(results, { recursive: true })
  for (const group of o.groups) {
    const names = groups[group].filter(
      (c) =>
        o.only === undefined ||
        o.only.some(
          (m) =>
            c === `${m}-${group.replace(/^ablations-/, '')}` ||
            c === `alpha-gan-${m}-${group.replace(/^ablations-/, '')}`
        )
    )
    if (names.length === 0) continue
    const configs = names.map((c) => join('examples', 'study', `${c}.json`))
    const args = [
      'compare',
      ...configs,
      '--seeds',
      String(o.seeds),
      ...(o.steps !== undefined ? ['--steps', String(o.steps)] : []),
      ...(o.jobs !== undefined ? ['--jobs', String(o.jobs)] : []),
      '--out',
      join(out, group),
      ...(o.resume ? ['--resume'] : [])
    ]
    const command = `loss-algebra ${args.join(' ')}`
    let wallS: number | undefined
    if (!o.collect) {
      console.log(`study: ${command}`)
      const t0 = Date.now()
      const r = spawnSync(process.execPath, cliArgs(args), {
        stdio: 'inherit'
      })
      wallS = (Date.now() - t0) / 1000
      console.log(`study: ${group} took ${(wallS / 60).toFixed(1)} min (exit ${r.status})`)
      if (r.status === 2) process.exit(2)
    }
    if (o.paperMetrics && group === 'stacked-mnist') evaluatePaperMetrics(join(out, group), names)
    await collect(o, variant, group, out, results, command, wallS)
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main()
