/**
 * One setting of the compiled step on and off, in one process: the same model and nets timed in
 * interleaved blocks, with the kernel launches of one profiled step each way. Each round times a
 * block of each side back to back (AB, BA, …); printed are the medians over rounds of the round's
 * on ÷ off, in wall time and in this process's CPU time (less exposed to a loaded machine), with the
 * interquartile range as the spread.
 *
 *   --switch fused   native: fused dense layers (src/backend/native-dense.ts), switched per block
 *   --switch batch   any backend: batched net applications (src/compile/batching.ts), two compiled
 *                    steps from the same initial weights, one with `batchApplications: false`
 *   --switch split   native: convolutions split across two threads (native/src/split.cc), switched
 *                    per block (--min-macs N: the threshold while on); CPU time counts both threads,
 *                    so wall time is the measure here
 *   --switch filterconv wasm: weight gradients of convolutions with ≥ 16 input channels as one
 *                    dilated XNNPACK convolution (src/backend/wasm-conv.ts) rather than im2col +
 *                    matmul, switched per block
 *   --switch swap    wasm: a plain matmul whose b operand is new to XNNPACK and whose output has at
 *                    most half as many rows as columns computed as Cᵀ = Bᵀ·Aᵀ (the smaller operand
 *                    packed; src/backend/wasm-kernels.ts), switched per block
 *   --switch identity wasm: Identity (tfjs clones every tensor saved for a gradient) shares its
 *                    input's data instead of copying it (src/backend/wasm-kernels.ts), switched per block
 *   --switch adam    wasm: Adam as one SIMD pass over the heap (src/backend/wasm-adam.ts) rather than
 *                    a dozen tensor ops per variable, switched per block
 *   --switch early   any backend, --schedule sharedSamples: a later player computes the samples
 *                    earlier players read (src/compile/samples.ts `presamples`), two compiled steps,
 *                    one with `earlySamples: false`
 *   --switch parallel any backend: the compiled step split over this thread and a worker thread
 *                    (src/run/parallel.ts) against the same step on one thread; CPU time counts
 *                    both threads, so wall time is the measure here
 *
 *   npx tsx bench/ab.ts --switch batch --backend wasm --models gan,alphaGan --archs mlp --steps 20 --rounds 6
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

import { selectBackend } from '../src/backend/index.ts'
import { setNativeFusedDense, setNativeSplit } from '../src/backend/native.ts'
import { setWasmAdam } from '../src/backend/wasm-adam.ts'
import {
  setWasmFilterByConvMinChannels,
  setWasmMatMulSwap,
  setWasmSharedIdentity
} from '../src/backend/wasm-kernels.ts'
import type { StepSchedule } from '../src/core/Game.ts'
import type { ModelName } from '../src/models/index.ts'
import type { Arch } from '../src/nets/index.ts'
import { profileStep } from './profile.ts'
import { median } from './stats.ts'
import { makeRow } from './setup.ts'
import type { Row, RowOptions, Stepper } from './setup.ts'

const { values } = parseArgs({
  options: {
    switch: { type: 'string', default: 'fused' },
    backend: { type: 'string', default: 'native' },
    schedule: { type: 'string', default: 'alternating' },
    models: { type: 'string', default: 'gan,alphaGan' },
    archs: { type: 'string', default: 'mlp' },
    steps: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    'min-macs': { type: 'string' }
  }
})

const sw = values.switch
const SWITCHES = ['fused', 'batch', 'split', 'filterconv', 'swap', 'identity', 'adam', 'early', 'parallel']
/** The switches of the wasm backend's own kernels. */
const WASM_SWITCHES = ['filterconv', 'swap', 'identity', 'adam']
if (!SWITCHES.includes(sw)) {
  console.error(`bench/ab.ts: --switch must be one of ${SWITCHES.join(', ')}, got "${sw}"`)
  process.exit(2)
}
await selectBackend(values.backend)
if (sw === 'fused' && !setNativeFusedDense(true)) {
  console.error(
    'bench/ab.ts: fused dense kernels are not registered (not on native, addon missing, or LOSS_ALGEBRA_NATIVE_FUSED=0)'
  )
  process.exit(2)
}
/** --min-macs: the split's threshold while on (the addon's own default otherwise). */
const splitMinMacs = values['min-macs'] === undefined ? undefined : Number(values['min-macs'])
if (sw === 'split' && setNativeSplit(true) === null) {
  console.error('bench/ab.ts: this native addon cannot split convolutions (not built, or built before split.cc)')
  process.exit(2)
}
if (WASM_SWITCHES.includes(sw) && values.backend !== 'wasm') {
  console.error(`bench/ab.ts: --switch ${sw} needs --backend wasm`)
  process.exit(2)
}
const OFF = Number.MAX_SAFE_INTEGER
/** The wasm kernels' own bound (what "on" restores), read by switching off; every block sets its side first. */
const filterConvOn = sw === 'filterconv' ? setWasmFilterByConvMinChannels(OFF) : OFF
/** Turns the switched setting on or off. */
const set = (on: boolean): void => {
  if (sw === 'fused') setNativeFusedDense(on)
  else if (sw === 'filterconv') setWasmFilterByConvMinChannels(on ? filterConvOn : OFF)
  else if (sw === 'swap') setWasmMatMulSwap(on)
  else if (sw === 'identity') setWasmSharedIdentity(on)
  else if (sw === 'adam') setWasmAdam(on)
  else setNativeSplit(on, splitMinMacs)
}

/** The fused and split switches: one compiled step, the kernels switched before each of its steps. */
const switched = (s: Stepper, on: boolean): Stepper => ({
  step: () => {
    set(on)
    s.step()
  },
  read: () => s.read(),
  dispose: () => s.dispose()
})

/** Both sides of a model × arch, and what frees them. */
const sides = async (
  model: ModelName,
  arch: Arch,
  seed: number
): Promise<{ on: Stepper; off: Stepper; rows: Array<Row> }> => {
  const schedule = values.schedule as StepSchedule
  if (sw === 'batch' || sw === 'early' || sw === 'parallel') {
    const options = (on: boolean): RowOptions =>
      sw === 'batch' ? { batchApplications: on } : sw === 'early' ? { earlySamples: on } : { parts: on ? 2 : 1 }
    const on = await makeRow(model, arch, seed, schedule, options(true))
    const off = await makeRow(model, arch, seed, schedule, options(false))
    return { on: on.compiled, off: off.compiled, rows: [on, off] }
  }
  const row = await makeRow(model, arch, seed, schedule)
  return { on: switched(row.compiled, true), off: switched(row.compiled, false), rows: [row] }
}

/** One block of `n` steps: wall ms and process CPU ms (user + system) per step. */
const block = async (s: Stepper, n: number): Promise<{ wall: number; cpu: number }> => {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) s.step()
  await s.read()
  const c = process.cpuUsage(c0)
  return { wall: (performance.now() - t0) / n, cpu: (c.user + c.system) / 1000 / n }
}

const steps = Number(values.steps)
const rounds = Number(values.rounds)
const f3 = (x: number): string => x.toFixed(3)
console.log(
  `model     arch  kernels on / off (${sw})  wall: on ÷ off (paired; spread)  cpu: on ÷ off (paired; spread)  cpu ms on / off`
)
for (const arch of values.archs.split(',') as Array<Arch>) {
  for (const model of values.models.split(',') as Array<ModelName>) {
    const { on: fused, off: plain, rows } = await sides(model, arch, Number(values.seed))
    const cycle = rows[0].cycle
    try {
      for (let i = 0; i < Number(values.warmup) * cycle; i++) {
        fused.step()
        await fused.read()
        plain.step()
        await plain.read()
      }
      const n = cycle * Math.max(1, Math.ceil(steps / rounds / cycle))
      const wall: Array<number> = []
      const cpu: Array<number> = []
      const cpuF: Array<number> = []
      const cpuP: Array<number> = []
      for (let r = 0; r < rounds; r++) {
        const [a, b] =
          r % 2 === 0
            ? [await block(fused, n), await block(plain, n)]
            : (([y, x]) => [x, y])([await block(plain, n), await block(fused, n)])
        wall.push(a.wall / b.wall)
        cpu.push(a.cpu / b.cpu)
        cpuF.push(a.cpu)
        cpuP.push(b.cpu)
      }
      const pf = await profileStep(fused)
      const pp = await profileStep(plain)
      const q = (xs: Array<number>): string => {
        const s = [...xs].sort((x, y) => x - y)
        return `${f3(median(xs))} (${f3(s[Math.floor(s.length / 4)])}–${f3(s[Math.floor((3 * s.length) / 4)])})`
      }
      console.log(
        `${model.padEnd(9)} ${arch.padEnd(5)} ${`${pf.kernels} / ${pp.kernels}`.padStart(21)}  ${q(wall).padStart(33)}  ${q(cpu).padStart(33)}  ${median(cpuF).toFixed(1)} / ${median(cpuP).toFixed(1)}`
      )
    } finally {
      if (sw === 'fused' || sw === 'split') set(true)
      for (const r of rows) r.dispose()
    }
  }
}
