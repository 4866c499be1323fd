/**
 * `npm run bench`: step time of every model's training step, compiled from the algebra against the
 * same step written by hand in tfjs (same nets, same backend, interleaved in one process), and against
 * the PyTorch peer (shared/bench/peer_torch.py) on the same machine; see bench/README.md.
 *
 *   npx tsx bench/run.ts                                   # every model × arch × available backend
 *   npx tsx bench/run.ts --models alphaGan,gan --archs mlp --backends wasm --steps 20 --json
 *   npx tsx bench/run.ts --memory --models alphaGan        # 1000 steps, tensors and heap at 10/500/1000
 *   npx tsx bench/run.ts --profile --models alphaGan --archs mlp --backends wasm
 */
import os from 'node:os'
import { performance } from 'node:perf_hooks'

import * as tf from '@tensorflow/tfjs'
import { Command, InvalidArgumentError, Option } from 'commander'

import { BACKEND_ORDER, describeWasmThreads, nativeKernelStats, selectBackend } from '../src/backend/index.ts'
import type { StepSchedule } from '../src/core/Game.ts'
import type { ModelName } from '../src/models/index.ts'
import type { Arch } from '../src/nets/index.ts'
import { memoryRun } from './memory.ts'
import type { MemoryPoint } from './memory.ts'
import { DEFAULT_PEER, findPeer, runPeer, startPeerServer } from './peer.ts'
import type { Peer, PeerResult, PeerServer } from './peer.ts'
import { kernelDiff, profileStep, topKernels } from './profile.ts'
import type { KernelDiff } from './profile.ts'
import { ARCHS, makeRow, MODELS, PEER_MODEL } from './setup.ts'
import { median, round } from './stats.ts'
import { formatTable } from './table.ts'
import { interleaveSides, stepperSide } from './timing.ts'
import type { Side } from './timing.ts'

// -------------------------------------------------------------------------------------
// arguments
// -------------------------------------------------------------------------------------

const list =
  <T extends string>(allowed: ReadonlyArray<T>, what: string) =>
  (value: string): Array<T> => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
    const bad = items.filter((s) => !(allowed as ReadonlyArray<string>).includes(s))
    if (items.length === 0 || bad.length > 0) {
      throw new InvalidArgumentError(
        `unknown ${what} ${bad.join(', ') || '(empty)'}; choose from ${allowed.join(', ')}`
      )
    }
    return [...new Set(items)] as Array<T>
  }

const SCHEDULES: ReadonlyArray<StepSchedule> = ['alternating', 'sharedSamples']

const positiveInt = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer')
  return n
}

const nonNegativeInt = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer')
  return n
}

interface Options {
  readonly models: Array<ModelName>
  readonly archs: Array<Arch>
  readonly backends?: Array<string>
  readonly steps?: number
  readonly warmup?: number
  readonly rounds: number
  readonly json?: boolean
  /** A path, `false` for --no-peer, or undefined for the default. */
  readonly peer?: string | false
  readonly peerSteps?: number
  /** Peer timed in our rounds through bench/peer_server.py (default), or in runs of its own before and after ours. */
  readonly peerTiming: 'interleaved' | 'separate'
  readonly python?: string
  readonly memory?: boolean
  readonly memorySteps: number
  readonly profile?: boolean
  readonly seed: number
  readonly parts: number
  readonly schedule: Array<StepSchedule>
}

const program = new Command('bench')
  .description(
    'Step time of each model compiled from the algebra vs. the same step hand-written in tfjs (overhead = compiled / hand-written),\n' +
      'and vs. the PyTorch peer (peer_ratio = compiled / peer). Ratios are comparable within one run only.'
  )
  .addOption(
    new Option('--models <list>', `comma-separated models (${MODELS.join(', ')})`)
      .argParser(list(MODELS, 'model'))
      .default([...MODELS], 'all')
  )
  .addOption(
    new Option('--archs <list>', 'comma-separated architectures (mlp, conv)')
      .argParser(list(ARCHS, 'arch'))
      .default([...ARCHS], 'all')
  )
  .addOption(
    new Option(
      '--backends <list>',
      `comma-separated tfjs backends, in the order run (default: the available ones of ${BACKEND_ORDER.join(', ')}; cpu skips conv unless named here)`
    ).argParser(list(BACKEND_ORDER, 'backend'))
  )
  .addOption(
    new Option('--steps <n>', 'timed steps per side (default: 20 mlp, 5 conv; on cpu 3 mlp, 2 conv)').argParser(
      positiveInt
    )
  )
  .addOption(
    new Option('--warmup <n>', 'untimed steps per side first (default: 2; 1 on cpu)').argParser(nonNegativeInt)
  )
  .addOption(
    new Option('--rounds <n>', 'rounds the timed steps are split into, sides alternating; the median round is reported')
      .argParser(positiveInt)
      .default(5)
  )
  .option('--json', 'one JSON line per row instead of the table')
  .option('--peer <path>', `the PyTorch peer script (default: ${DEFAULT_PEER}, relative to the repository)`)
  .option('--no-peer', 'do not run the PyTorch peer')
  .addOption(
    new Option(
      '--peer-steps <n>',
      'steps the peer times per run, with --peer-timing separate (default: max(10, steps))'
    ).argParser(positiveInt)
  )
  .addOption(
    new Option(
      '--peer-timing <how>',
      "interleaved: the peer's blocks in the same rounds as ours, peer_ratio the median of the rounds' ratios; separate: the faster of a peer run before and after ours"
    )
      .choices(['interleaved', 'separate'])
      .default('interleaved')
  )
  .option('--python <exe>', 'python with torch for the peer (default: python3, else /usr/bin/python3)')
  .option(
    '--memory',
    'leak check instead: compiled steps of alphaGan (or the first of --models), mlp, on the fastest available backend; tensors and heap at 10, middle, end'
  )
  .addOption(new Option('--memory-steps <n>', 'steps of the leak check').argParser(positiveInt).default(1000))
  .option(
    '--profile',
    'also profile one step of each side (tf.profile): kernel launches, kernel ms, and the kernels whose counts differ'
  )
  .addOption(
    new Option(
      '--schedule <list>',
      'comma-separated schedules of the compiled step (Game.schedule: alternating, sharedSamples); the hand-written step always alternates'
    )
      .argParser(list(SCHEDULES, 'schedule'))
      .default([...SCHEDULES], 'both')
  )
  .addOption(
    new Option(
      '--parts <n>',
      'split the compiled step data-parallel over n threads (src/run/parallel.ts); the hand-written step stays on one, so overhead then reads as the speed-up'
    )
      .argParser(positiveInt)
      .default(1)
  )
  .addOption(
    new Option('--seed <n>', 'seed of weights, data and draws (not 0: tfjs reads seed 0 as "unseeded")')
      .argParser(positiveInt)
      .default(1)
  )

// -------------------------------------------------------------------------------------
// output
// -------------------------------------------------------------------------------------

interface Result {
  readonly model: ModelName
  readonly arch: Arch
  readonly backend: string
  readonly schedule: StepSchedule
  /** Threads the compiled step was split over (`--parts`). */
  readonly parts: number
  readonly ms: number | null
  readonly handwritten_ms: number | null
  readonly overhead: number | null
  readonly peer_ms: number | null
  readonly peer_ratio: number | null
  readonly steps_per_round?: number
  readonly ms_rounds?: ReadonlyArray<number>
  readonly handwritten_ms_rounds?: ReadonlyArray<number>
  readonly peer_ms_by_threads?: Readonly<Record<string, number>>
  /** How the peer was timed: in our rounds, or in runs of its own. */
  readonly peer_timing?: 'interleaved' | 'separate'
  readonly peer_ms_rounds?: ReadonlyArray<number>
  /** Largest difference of the first step's player losses, compiled vs hand-written (models without extra noise). */
  readonly first_step_max_diff?: number
  readonly kernels?: number
  readonly handwritten_kernels?: number
  readonly kernel_ms?: number
  readonly handwritten_kernel_ms?: number
  readonly kernel_diff?: ReadonlyArray<KernelDiff>
  /** The compiled step's costliest kernels: name, launches, ms. */
  readonly top_kernels?: ReadonlyArray<{ name: string; count: number; ms: number; share: number }>
  readonly error?: string
}

/** Notes for a human: stderr when stdout carries JSON. */
let note: (s: string) => void = (s) => console.error(s)

const fmt = (x: number | null, digits = 1): string => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(digits))

const printTable = (rows: ReadonlyArray<Result>): void => {
  console.log(
    formatTable(
      ['model', 'arch', 'backend', 'schedule', 'compiled ms', 'hand-written ms', 'overhead', 'peer ms', 'peer_ratio'],
      rows.map((r) => [
        r.model,
        r.arch,
        r.parts > 1 ? `${r.backend} ×${r.parts}` : r.backend,
        r.schedule,
        r.error !== undefined ? `error: ${r.error.slice(0, 60)}` : fmt(r.ms),
        fmt(r.handwritten_ms),
        fmt(r.overhead, 3),
        fmt(r.peer_ms),
        fmt(r.peer_ratio, 2)
      ]),
      [false, false, false, false, true, true, true, true, true]
    )
  )
}

const printProfiles = (rows: ReadonlyArray<Result>): void => {
  for (const r of rows) {
    if (r.kernels === undefined) continue
    console.log(
      `\n${r.model} ${r.arch} ${r.backend}: kernels compiled ${r.kernels} / hand-written ${r.handwritten_kernels}; ` +
        `kernel ms ${fmt(r.kernel_ms ?? null)} / ${fmt(r.handwritten_kernel_ms ?? null)}`
    )
    const top = (r.top_kernels ?? []).map(
      (k) => `${k.name} ×${k.count} ${k.ms.toFixed(1)} ms (${(100 * k.share).toFixed(0)}%)`
    )
    console.log(`  costliest kernels (compiled): ${top.join(', ')}`)
    const diff = r.kernel_diff ?? []
    if (diff.length === 0) console.log('  same kernels, same counts')
    else {
      console.log(
        formatTable(
          ['  kernel', 'compiled', 'hand-written', 'compiled ms', 'hand-written ms'],
          diff.map((d) => [
            `  ${d.name}`,
            String(d.compiled),
            String(d.handwritten),
            d.compiledMs.toFixed(2),
            d.handwrittenMs.toFixed(2)
          ]),
          [false, true, true, true, true]
        )
      )
    }
  }
}

// -------------------------------------------------------------------------------------
// the benchmark
// -------------------------------------------------------------------------------------

const defaultSteps = (arch: Arch, backend: string): number =>
  backend === 'cpu' ? (arch === 'mlp' ? 3 : 2) : arch === 'mlp' ? 20 : 5

const message = (e: unknown): string => (e instanceof Error ? e.message.split('\n')[0] : String(e))

/** The faster of two peer runs; a failure only when both failed. */
const faster = (a: PeerResult | string, b: PeerResult | string): PeerResult | string =>
  typeof a === 'string' ? b : typeof b === 'string' ? a : a.ms <= b.ms ? a : b

const benchRow = async (
  model: ModelName,
  arch: Arch,
  backend: string,
  schedule: StepSchedule,
  opts: Options,
  peer: Peer | null,
  server: PeerServer | null
): Promise<Result> => {
  const steps = opts.steps ?? defaultSteps(arch, backend)
  const warmup = opts.warmup ?? (backend === 'cpu' ? 1 : 2)
  const peerModel = PEER_MODEL[model]
  const peerSteps = opts.peerSteps ?? Math.max(10, steps)
  const peerRun = (): PeerResult | string =>
    peer !== null && peerModel !== undefined ? runPeer(peer, peerModel, arch, peerSteps) : 'no peer'

  // interleaved: the peer built and warmed up in its server, its blocks timed in our rounds
  const served = server !== null && peerModel !== undefined ? await server.row(peerModel, arch, warmup + 1) : null
  if (typeof served === 'string') note(`note: ${model} ${arch}: ${served}; the peer runs separately`)
  const inRounds = served !== null && typeof served !== 'string' ? served : null
  const peerBefore = inRounds === null ? peerRun() : null
  const row = await makeRow(model, arch, opts.seed, schedule, { parts: opts.parts })
  try {
    // The first step of both sides, from the same weights and prior draw: the same losses (a check
    // that the two sides compute the same step), except where they draw extra noise differently.
    row.compiled.step()
    row.handwritten.step()
    const [c, h] = [await row.compiled.read(), await row.handwritten.read()]
    const comparable = model !== 'vae' && model !== 'vaeGan' && model !== 'wganGp' && schedule === 'alternating'
    const diff = Math.max(...Object.keys(c).map((k) => Math.abs(c[k] - (h[k] ?? Number.NaN))))
    if (comparable && !(diff <= 1e-4))
      note(
        `warning: ${model} ${arch} ${backend}: first-step losses differ by ${diff} (compiled ${JSON.stringify(c)}, hand-written ${JSON.stringify(h)})`
      )

    const peerSide: Side | null =
      inRounds !== null && server !== null
        ? {
            warm: async () => undefined,
            block: async (n) => {
              const ms = await server.block(n)
              if (typeof ms === 'string') throw new Error(ms)
              return ms
            }
          }
        : null
    const sides = [stepperSide(row.compiled), stepperSide(row.handwritten), ...(peerSide === null ? [] : [peerSide])]
    const { rounds, stepsPerRound } = await interleaveSides(sides, {
      warmup,
      steps,
      rounds: opts.rounds,
      cycle: row.cycle
    })
    const [ta, tb, tp] = rounds
    const t = { a: ta, b: tb, medianA: median(ta), medianB: median(tb), stepsPerRound }
    const prof =
      opts.profile === true ? { c: await profileStep(row.compiled), h: await profileStep(row.handwritten) } : null
    const p = inRounds ?? faster(peerBefore ?? 'no peer', peerRun())
    const peerMs = typeof p === 'string' ? null : tp !== undefined ? median(tp) : p.ms
    // interleaved: the median of the rounds' own ratios, each taken in the same minute
    const peerRatio =
      peerMs === null ? null : tp !== undefined ? median(ta.map((a, i) => a / tp[i])) : t.medianA / peerMs
    if (typeof p === 'string' && peer !== null && peerModel !== undefined) note(`note: ${model} ${arch}: ${p}`)
    return {
      model,
      arch,
      backend,
      schedule,
      parts: opts.parts,
      ms: round(t.medianA),
      handwritten_ms: round(t.medianB),
      overhead: round(t.medianA / t.medianB),
      peer_ms: peerMs,
      peer_ratio: peerRatio === null ? null : round(peerRatio),
      steps_per_round: t.stepsPerRound,
      ms_rounds: t.a.map((x) => round(x)),
      handwritten_ms_rounds: t.b.map((x) => round(x)),
      ...(typeof p === 'string'
        ? {}
        : {
            peer_ms_by_threads: p.msByThreads,
            peer_timing: tp !== undefined ? 'interleaved' : 'separate',
            ...(tp !== undefined ? { peer_ms_rounds: tp.map((x) => round(x)) } : {})
          }),
      ...(comparable ? { first_step_max_diff: Number(diff.toExponential(2)) } : {}),
      ...(prof === null
        ? {}
        : {
            kernels: prof.c.kernels,
            handwritten_kernels: prof.h.kernels,
            kernel_ms: round(prof.c.kernelMs),
            handwritten_kernel_ms: round(prof.h.kernelMs),
            kernel_diff: kernelDiff(prof.c, prof.h),
            top_kernels: topKernels(prof.c).map((k) => ({ ...k, ms: round(k.ms), share: round(k.share, 2) }))
          })
    }
  } finally {
    row.dispose()
  }
}

/** Sets a backend; returns why it cannot be used, or null. */
const useBackend = async (name: string): Promise<string | null> => {
  try {
    await selectBackend(name)
    return null
  } catch (e) {
    return message(e)
  }
}

const header = (peer: Peer | string | null): void => {
  const cpus = os.cpus()
  note(
    `# ${cpus[0]?.model ?? 'unknown cpu'} × ${cpus.length}, node ${process.version}, tfjs ${tf.version.tfjs}, batch 64`
  )
  note(
    `# peer: ${peer === null ? 'off (--no-peer)' : typeof peer === 'string' ? `none (${peer})` : `${peer.version} (${peer.python} ${peer.script})`}`
  )
}

/** ms per compiled step of `model` (mlp) on the current backend, after one warm-up step. */
const quickTime = async (model: ModelName, seed: number, steps = 3): Promise<number> => {
  const row = await makeRow(model, 'mlp', seed)
  try {
    row.compiled.step()
    await row.compiled.read()
    const t0 = performance.now()
    for (let i = 0; i < steps; i++) row.compiled.step()
    await row.compiled.read()
    return (performance.now() - t0) / steps
  } finally {
    row.dispose()
  }
}

const runMemory = async (opts: Options): Promise<void> => {
  // α-GAN (the most players) unless --models names one
  const model = program.getOptionValueSource('models') === 'default' ? 'alphaGan' : opts.models[0]
  // The fastest available backend: the one named, or the quickest of BACKEND_ORDER on a few steps.
  const candidates = opts.backends ?? BACKEND_ORDER.filter((b) => b !== 'cpu')
  let backend: string | undefined
  let best = Number.POSITIVE_INFINITY
  for (const b of candidates) {
    const why = await useBackend(b)
    if (why !== null) {
      note(`# ${b}: unavailable (${why})`)
      continue
    }
    if (candidates.length === 1) {
      backend = b
      break
    }
    const ms = await quickTime(model, opts.seed)
    note(`# ${b}: ${ms.toFixed(1)} ms/step`)
    if (ms < best) {
      best = ms
      backend = b
    }
  }
  if (backend === undefined && opts.backends === undefined && (await useBackend('cpu')) === null) backend = 'cpu'
  if (backend === undefined) throw new Error('no backend available')
  await useBackend(backend)
  for (const schedule of opts.schedule) {
    note(`# leak check: ${model} mlp on ${backend}, ${schedule}, ${opts.memorySteps} compiled steps`)
    const mb = (n: number): string => (n / 2 ** 20).toFixed(2)
    const rows: Array<Array<string>> = []
    const onPoint = (p: MemoryPoint): void => {
      rows.push([String(p.step), String(p.numTensors), mb(p.numBytes), mb(p.heapUsed), mb(p.rss)])
      if (opts.json === true) console.log(JSON.stringify({ model, arch: 'mlp', backend, schedule, ...p }))
    }
    const r = await memoryRun(model, 'mlp', backend, opts.memorySteps, opts.seed, onPoint, schedule)
    if (opts.json === true) {
      console.log(JSON.stringify({ model, arch: 'mlp', backend, schedule, delta: r.delta }))
      continue
    }
    const d = r.delta
    rows.push([
      'delta',
      `${d.numTensors >= 0 ? '+' : ''}${d.numTensors}`,
      `${d.numBytes >= 0 ? '+' : ''}${mb(d.numBytes)}`,
      `${d.heapUsed >= 0 ? '+' : ''}${mb(d.heapUsed)}`,
      `${d.rss >= 0 ? '+' : ''}${mb(d.rss)}`
    ])
    console.log(
      formatTable(['step', 'tf.numTensors', 'tf MiB', 'heapUsed MiB', 'rss MiB'], rows, [true, true, true, true, true])
    )
    console.log(
      d.numTensors === 0
        ? `no tensor leak (${r.points[0].numTensors} tensors from step ${r.points[0].step} to ${opts.memorySteps}); heap ${d.heapUsed >= 0 ? '+' : ''}${mb(d.heapUsed)} MiB`
        : `LEAK: ${d.numTensors} tensors more at step ${opts.memorySteps} than at step ${r.points[0].step}`
    )
    if (d.numTensors !== 0) process.exitCode = 1
  }
}

const main = async (): Promise<void> => {
  program.parse()
  const opts = program.opts<Options>()
  if (opts.json === true) note = (s) => console.error(s)
  else note = (s) => console.log(s)

  if (opts.memory === true) {
    await runMemory(opts)
    return
  }

  const peer = opts.peer === false ? null : findPeer(opts.peer, opts.python)
  header(peer)
  if (typeof peer !== 'string' && peer !== null)
    note(
      `# peer timing: ${opts.peerTiming === 'interleaved' ? "interleaved (its blocks in our rounds; peer_ratio = median of the rounds' ratios)" : 'separate (the faster of a run before and after ours)'}`
    )
  const server =
    typeof peer !== 'string' && peer !== null && opts.peerTiming === 'interleaved' ? startPeerServer(peer) : null
  const explicitBackends = opts.backends !== undefined
  const backends = opts.backends ?? BACKEND_ORDER
  const results: Array<Result> = []
  for (const backend of backends) {
    const why = await useBackend(backend)
    if (why !== null) {
      note(`# ${backend}: skipped (${why})`)
      continue
    }
    const threads = backend === 'wasm' ? describeWasmThreads() : undefined
    note(`# ${backend}: ${tf.getBackend()}${threads === undefined ? '' : `, ${threads}`}`)
    for (const arch of opts.archs) {
      if (backend === 'cpu' && arch === 'conv' && !(explicitBackends && opts.backends?.includes('cpu'))) {
        note('# cpu conv: skipped (about a minute a step; name it with --backends cpu to run it)')
        continue
      }
      for (const model of opts.models)
        for (const schedule of opts.schedule) {
          // one player (vae): nothing to share
          if (schedule === 'sharedSamples' && model === 'vae' && opts.schedule.includes('alternating')) continue
          let r: Result
          try {
            r = await benchRow(model, arch, backend, schedule, opts, typeof peer === 'string' ? null : peer, server)
          } catch (e) {
            r = {
              model,
              arch,
              backend,
              schedule,
              parts: opts.parts,
              ms: null,
              handwritten_ms: null,
              overhead: null,
              peer_ms: null,
              peer_ratio: null,
              error: message(e)
            }
          }
          results.push(r)
          if (opts.json === true) console.log(JSON.stringify(r))
          else
            console.error(
              `  ${model} ${arch} ${backend} ${schedule}: ${r.error ?? `${fmt(r.ms)} ms, hand-written ${fmt(r.handwritten_ms)} ms, overhead ${fmt(r.overhead, 3)}, peer ${fmt(r.peer_ms)} ms, peer_ratio ${fmt(r.peer_ratio, 2)}`}`
            )
        }
    }
    if (backend === 'native') {
      const stats = Object.entries(nativeKernelStats()).map(([k, v]) => `${k} ${v.native}/${v.fallback}`)
      note(`# native kernels (oneDNN / cpu fallback): ${stats.join(', ') || 'none called'}`)
    }
  }
  server?.close()
  if (results.length === 0) {
    note('no rows ran')
    process.exitCode = 1
    return
  }
  if (opts.json !== true) {
    console.log('')
    printTable(results)
    if (opts.profile === true) printProfiles(results)
  }
  if (results.some((r) => r.error !== undefined)) process.exitCode = 1
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e))
  process.exit(1)
})
