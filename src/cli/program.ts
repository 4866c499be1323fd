/**
 * The command line's program: `train`, `resume`, `sample`, `evaluate`, `compare`, `show`, `check`.
 * Exit 0 on success, 1 when training fails (divergence), 2 for bad usage or a bad config, 130 when
 * interrupted (the checkpoint is kept). `show` and `check` never load tfjs; the other commands load
 * the run modules only once the config has been read and checked.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'

import { catalogue } from '../models/index.ts'
import type { AnyModel } from '../models/index.ts'
import { showLatex, showUnicode } from '../core/Show.ts'
import { showStepSchedule } from '../core/Game.ts'
import { gameOf } from '../experiment/index.ts'
import type { Experiment } from '../experiment/index.ts'
import { BACKENDS, checkExperiment, knownModels, loadExperiment, runFolderFor, UsageError } from './load.ts'
import { registerSweep } from '../sweep/cli.ts'
import { registerClassifier } from '../metrics/cli.ts'

const positive = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`)
  return n
}
const integer = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${v}"`)
  return n
}

const threadsOption = () =>
  new Option(
    '--threads <n>',
    'split each batch over n threads (data parallel: the same step, its parts computed at once; pays on wasm with conv nets)'
  )
    .argParser(positive)
    .default(1)

/** A batch that `threads` does not divide is a usage error (exit 2), before anything is written. */
const checkThreads = (e: Experiment, threads: number, where: string): void => {
  if (e.train.batch % threads !== 0)
    throw new UsageError(
      `--threads ${threads}: ${where}'s train.batch ${e.train.batch} does not split into ${threads} equal parts`
    )
}

const backendOption = () =>
  new Option('--backend <name>', "tfjs backend (default: the config's, else the fastest that runs the game)").choices(
    BACKENDS
  )

const out = (line: string) => console.log(line)
const err = (line: string) => console.error(line)

/** Loads the run modules (tfjs) only now. */
const runModules = async () => {
  const [train, folder, progress] = await Promise.all([
    import('../run/train.ts'),
    import('../run/folder.ts'),
    import('./progress.ts')
  ])
  return { ...train, ...folder, ...progress }
}

/** Renders the run's report; a failure to render is reported, not fatal to the run. */
const report = async (dir: string): Promise<void> => {
  try {
    const { writeReport } = await import('../report/html.ts')
    out(`report: ${await writeReport(dir)}`)
  } catch (e) {
    err(`loss-algebra: the report could not be written: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/**
 * The line of mode coverage a finished run prints, from whichever mode metric it reported: the toys'
 * (`modes` of `totalModes`, `highQuality`, `klToUniform`) or Stacked MNIST's (`modes` of 1000, `kl`);
 * undefined when it reported neither.
 */
export const modesLine = (x: Readonly<Record<string, unknown>>): string | undefined => {
  const num = (k: string): number | undefined => (typeof x[k] === 'number' ? (x[k] as number) : undefined)
  const modes = num('modes')
  if (modes === undefined) return undefined
  const toy = [num('totalModes'), num('highQuality'), num('klToUniform')]
  if (toy.every((v) => v !== undefined)) {
    const [total, hq, kl] = toy as Array<number>
    return `modes captured ${modes}/${total}, high quality ${(100 * hq).toFixed(1)}%, KL to uniform ${kl.toFixed(3)}`
  }
  const kl = num('kl')
  return `modes captured ${modes}/1000${kl !== undefined ? `, KL to uniform ${kl.toFixed(3)}` : ''}`
}

/** Runs training in `dir` and sets the exit code from the outcome. */
const trainIn = async (
  e: Experiment,
  dir: string,
  o: {
    backend?: string
    threads?: number
    json?: boolean
    report?: boolean
    fresh: boolean
    resumeFrom?: import('../run/checkpoint.ts').Checkpoint
  }
) => {
  const m = await runModules()
  const signal = { stopped: false }
  const onInt = () => {
    if (signal.stopped) process.exit(130)
    signal.stopped = true
    err('loss-algebra: interrupted; writing a checkpoint (press Ctrl-C again to quit at once)')
  }
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onInt)
  const outcome = await m.train(e, {
    dir,
    backend: o.backend,
    threads: o.threads,
    checkpoint: o.resumeFrom,
    replace: o.fresh,
    log: out,
    progress: m.progressFor(process.stderr, out),
    signal
  })
  process.off('SIGINT', onInt)
  process.off('SIGTERM', onInt)
  switch (outcome._tag) {
    case 'Done': {
      const x = outcome.metrics as Record<string, unknown>
      const modes = modesLine(x)
      if (modes !== undefined) out(modes)
      out(`${String(x.msPerStep)} ms/step on ${String(x.backend)}; run folder ${dir}`)
      if (o.report !== false) await report(dir)
      if (o.json === true) out(JSON.stringify({ run: dir, ...x }))
      return
    }
    case 'Diverged':
      err(`loss-algebra: ${outcome.message}`)
      process.exitCode = 1
      return
    case 'Stopped':
      process.exitCode = 130
  }
}

/** Where the program writes: standard output and error by default (tests capture them). */
export interface Output {
  readonly writeOut: (s: string) => void
  readonly writeErr: (s: string) => void
}

/** The whole command line, its commands and options; errors throw (`exitOverride`) for `run` to map to exit codes. */
export const program = (
  o: Output = {
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s)
  }
): Command => {
  const program = new Command()
    .name('loss-algebra')
    .configureOutput(o)
    .description(
      'Objectives of auto-encoding GANs as typed, composable values, compiled into TensorFlow.js training steps.'
    )
    .exitOverride()
    .showHelpAfterError()

  program
    .command('train')
    .description('train an experiment into <out>/<name>/ (default: α-GAN on the ring of 8 Gaussians)')
    .argument('[config]', 'experiment config (JSON)')
    .option('--model <name>', `train a built-in model with its defaults (${knownModels.join(', ')})`)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--steps <n>', 'override train.steps', positive)
    .option('--seed <n>', 'override the seed', integer)
    .option('--name <name>', 'override the run name')
    .option('--out <dir>', 'where run folders are written', 'runs')
    .option('--overwrite', 'replace an existing run folder of the same name')
    .option('--json', 'print the final metrics as one JSON line')
    .option('--no-report', 'skip the HTML report and its pictures')
    .action(
      async (
        config: string | undefined,
        o: {
          model?: string
          backend?: string
          threads: number
          steps?: number
          seed?: number
          name?: string
          out: string
          overwrite?: boolean
          json?: boolean
          report: boolean
        }
      ) => {
        const e = await loadExperiment(config, o)
        if (o.name !== undefined && !/^[A-Za-z0-9][\w.+-]{0,99}$/.test(o.name))
          throw new UsageError(`--name ${o.name}: use letters, digits, ".", "_", "+", "-"`)
        checkExperiment(e, config ?? 'the config')
        checkThreads(e, o.threads, config ?? 'the config')
        const dir = runFolderFor(o.out, e.name, o.overwrite === true)
        await trainIn(e, dir, {
          backend: e.backend,
          threads: o.threads,
          json: o.json,
          report: o.report,
          fresh: true
        })
      }
    )

  program
    .command('resume')
    .description("continue a run from its last checkpoint up to its config's steps")
    .argument('<run>', 'run folder')
    .option('--steps <n>', 'train up to this many steps in all', positive)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--json', 'print the final metrics as one JSON line')
    .option('--no-report', 'skip the HTML report and its pictures')
    .action(
      async (
        run: string,
        o: { steps?: number; backend?: string; threads: number; json?: boolean; report: boolean }
      ) => {
        const { readRunConfig, readRunCheckpoint, RunFolderError } = await import('../run/folder.ts')
        try {
          const saved = await readRunConfig(run)
          const e: Experiment = o.steps === undefined ? saved : { ...saved, train: { ...saved.train, steps: o.steps } }
          const ck = await readRunCheckpoint(run, e)
          // a run stopped after its last step but before its final metrics is finished below (no steps)
          if (ck.step >= e.train.steps && existsSync(join(run, 'metrics.json'))) {
            out(`${run}: already at step ${ck.step} of ${e.train.steps}; nothing to do (pass --steps to train further)`)
            return
          }
          checkThreads(e, o.threads, run)
          await trainIn(e, run, {
            backend: o.backend ?? e.backend,
            threads: o.threads,
            json: o.json,
            report: o.report,
            fresh: false,
            resumeFrom: ck
          })
        } catch (x) {
          if (x instanceof RunFolderError) throw new UsageError(x.message)
          throw x
        }
      }
    )

  /** A run's config, checkpoint and live session (nets restored); `check` sees the config before anything is loaded. */
  const openRun = async (run: string, backend: string | undefined, check?: (e: Experiment) => void) => {
    const { readRunConfig, readRunCheckpoint, RunFolderError } = await import('../run/folder.ts')
    let e: Experiment
    let ck: import('../run/checkpoint.ts').Checkpoint
    try {
      e = await readRunConfig(run)
      check?.(e)
      ck = await readRunCheckpoint(run, e)
    } catch (x) {
      if (x instanceof RunFolderError) throw new UsageError(x.message)
      throw x
    }
    const { openSession } = await import('../run/session.ts')
    return openSession(e, { backend: backend ?? e.backend, checkpoint: ck })
  }

  program
    .command('sample')
    .description("draw samples from a run's last checkpoint: points as CSV or JSON for 2-D data, a PNG grid for images")
    .argument('<run>', 'run folder')
    .option('--n <n>', 'how many samples', positive, 1000)
    .option('--seed <n>', 'seed of the prior draw', integer, 1)
    .addOption(new Option('--format <f>', 'csv or json (2-D data)').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to a file (default: standard output; required for images)')
    .addOption(backendOption())
    .action(
      async (
        run: string,
        o: {
          n: number
          seed: number
          format: string
          out?: string
          backend?: string
        }
      ) => {
        const s = await openRun(run, o.backend)
        try {
          const { drawSamples } = await import('../run/evaluate.ts')
          const { writeAtomic } = await import('../run/files.ts')
          const { dataShape } = await import('../experiment/game.ts')
          const shape = dataShape(s.experiment)
          const { points } = await drawSamples(s, o.n, o.seed)
          let text: string | Buffer
          if (shape.length === 3) {
            if (o.out === undefined) throw new UsageError('sample: images need --out <file.png>')
            const { imageGridPng } = await import('../report/grid.ts')
            const [lo, hi] = s.source.range ?? [0, 1]
            text = imageGridPng({
              shape: [shape[0], shape[1], shape[2]],
              pixels: Array.from(points, (v) => (v - lo) / (hi - lo))
            })
          } else {
            const k = points.length / o.n
            const rows = Array.from({ length: o.n }, (_, i) => Array.from(points.subarray(i * k, (i + 1) * k)))
            text =
              o.format === 'json'
                ? JSON.stringify({ points: rows }) + '\n'
                : [Array.from({ length: k }, (_, j) => `x${j}`).join(','), ...rows.map((r) => r.join(','))].join('\n') +
                  '\n'
          }
          if (o.out === undefined) process.stdout.write(text)
          else {
            await writeAtomic(o.out, text)
            err(`wrote ${o.n} samples to ${o.out}`)
          }
        } finally {
          s.dispose()
        }
      }
    )

  program
    .command('evaluate')
    .description("the data set's metrics of a run's last checkpoint")
    .argument('<run>', 'run folder')
    .option('--n <n>', "how many samples (default: the config's evaluation.samples)", positive)
    .addOption(backendOption())
    .option(
      '--metrics <names>',
      "comma-separated metrics instead of the config's evaluation.metrics (e.g. inceptionScore,critic)",
      (v: string) => v.split(',').filter((m) => m !== '')
    )
    .option('--json', 'print the metrics as one JSON line')
    .action(async (run: string, o: { n?: number; backend?: string; json?: boolean; metrics?: Array<string> }) => {
      const { dataKinds } = await import('../experiment/data.ts')
      const s = await openRun(run, o.backend, (e) => {
        const available = dataKinds[e.data.kind]?.metrics.available ?? []
        const unknown = (o.metrics ?? []).filter((m) => !available.includes(m))
        if (o.metrics !== undefined && (o.metrics.length === 0 || unknown.length > 0))
          throw new UsageError(
            `--metrics ${o.metrics.join(',')}: ${unknown.length > 0 ? `unknown metric "${unknown[0]}"` : 'no metric named'} for ${e.data.kind} data (available: ${available.join(', ')})`
          )
      })
      try {
        const { drawSamples, evalSeed } = await import('../run/evaluate.ts')
        const n = o.n ?? s.experiment.evaluation.samples
        const names = o.metrics ?? s.experiment.evaluation.metrics
        const { points } = await drawSamples(s, n, evalSeed(s))
        const metrics = {
          step: s.step,
          samples: n,
          ...s.source.metrics(points, names),
          ...(await s.source.evaluate?.(s.nets, s.experiment.latent, names))
        }
        if (o.json === true) out(JSON.stringify(metrics))
        else
          for (const [k, v] of Object.entries(metrics))
            out(
              `${k}: ${Array.isArray(v) ? v.join(' ') : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`
            )
      } finally {
        s.dispose()
      }
    })

  program
    .command('compare')
    .description(
      'train several models or configs × seeds in parallel processes; a Markdown table, a JSON file and a plot'
    )
    .argument('<items...>', 'model names or config files')
    .option('--seeds <n>', 'seeds 1..n of each', positive, 1)
    .option('--steps <n>', 'override train.steps', positive)
    .addOption(backendOption())
    .option('--jobs <n>', 'parallel processes (default: the number of cores)', positive)
    .option('--out <dir>', 'where the runs and the comparison go', 'runs/compare')
    .option('--no-report', "skip each run's HTML report")
    .option(
      '--resume',
      'keep the runs in <out> already finished with the same config and steps, continue stopped or killed ones from their checkpoints'
    )
    .action(
      async (
        items: ReadonlyArray<string>,
        o: {
          seeds: number
          steps?: number
          backend?: string
          jobs?: number
          out: string
          report: boolean
          resume?: boolean
        }
      ) => {
        const { compare } = await import('./compare.ts')
        process.exitCode = await compare(items, { ...o, log: out, warn: err })
      }
    )

  const showModel = (name: string, m: AnyModel) => {
    const params = Object.keys(m.params)
      .map((k) => `${k} = ${JSON.stringify(m.defaults[k])}`)
      .join(', ')
    out(
      `${name}: ${m.description}\n  nets ${Object.entries(m.nets)
        .map(([k, r]) => `${k}: ${r.input} → ${r.output}`)
        .join(', ')}\n  ${params}`
    )
  }

  program
    .command('show')
    .description(
      "print a model's or a config's objectives, one per player (without an argument: every model and its hyper-parameters)"
    )
    .argument('[model-or-config]', `${knownModels.join(' | ')}, or a config file`)
    .option('--latex', 'LaTeX instead of Unicode')
    .action(async (what: string | undefined, o: { latex?: boolean }) => {
      if (what === undefined) {
        for (const [k, m] of Object.entries(catalogue as unknown as Record<string, AnyModel>)) showModel(k, m)
        return
      }
      const isFile = what.endsWith('.json') || existsSync(what)
      const e = await loadExperiment(isFile ? what : undefined, isFile ? {} : { model: what })
      const game = gameOf(e)
      for (const p of game.players)
        out(
          `${p.name} [${p.nets.join(', ')}]${p.every > 1 ? ` every ${p.every}` : ''}: ${(o.latex === true ? showLatex : showUnicode)(p.loss)}`
        )
      out(`schedule: ${showStepSchedule(game)}`)
    })

  program
    .command('check')
    .description('decode configs exactly and check their games and sizes, without training')
    .argument('[configs...]', 'experiment configs (JSON); none: the default')
    .action(async (configs: ReadonlyArray<string>) => {
      const problems: Array<string> = []
      for (const c of configs.length === 0 ? [undefined] : configs) {
        try {
          const e = await loadExperiment(c)
          const { bytes } = checkExperiment(e, c ?? 'the default config')
          const { showBytes } = await import('../experiment/memory.ts')
          out(
            `${c ?? 'the default config'}: ok (${e.name}: ${e.model?.name ?? 'game'} on ${e.data.kind}, ${gameOf(e).players.length} players, about ${showBytes(bytes)})`
          )
        } catch (x) {
          if (!(x instanceof UsageError)) throw x
          problems.push(x.message)
        }
      }
      if (problems.length > 0) throw new UsageError(problems.join('\n'))
    })

  registerSweep(program)
  registerClassifier(program)

  return program
}

/** The exit code of an error: 0 after help, 2 for bad usage or config, 1 otherwise. */
export const exitCodeOf = (e: unknown): number => {
  if (e instanceof CommanderError)
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? 0 : 2
  return e instanceof UsageError || (e instanceof Error && e.name === 'BackendError') ? 2 : 1
}

/** Parses and runs `argv`, setting the process's exit code. */
export const run = async (argv: ReadonlyArray<string>): Promise<void> => {
  try {
    await program().parseAsync([...argv])
  } catch (e) {
    if (!(e instanceof CommanderError)) err(`loss-algebra: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = exitCodeOf(e)
  }
}
