/**
 * Fused dense layers on `native`, on and off, in one process: the same compiled step timed in
 * interleaved blocks (src/backend/native-dense.ts switched per block), with the kernel launches of one
 * profiled step each way. Each round times a block of each side back to back (AB, BA, …); printed are
 * the medians over rounds of the round's fused ÷ plain, in wall time and in this process's CPU time
 * (less exposed to a loaded machine), with the interquartile range as the spread.
 *
 *   npx tsx bench/fused.ts --models gan,alphaGan --archs mlp --steps 20 --rounds 6
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

import { selectBackend } from '../src/backend/index.ts'
import { setNativeFusedDense } from '../src/backend/native.ts'
import type { ModelName } from '../src/models/index.ts'
import type { Arch } from '../src/nets/index.ts'
import { profileStep } from './profile.ts'
import { median } from './stats.ts'
import { makeRow } from './setup.ts'
import type { Stepper } from './setup.ts'

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'gan,alphaGan' },
    archs: { type: 'string', default: 'mlp' },
    steps: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' }
  }
})

await selectBackend('native')
if (!setNativeFusedDense(true) && !setNativeFusedDense(true)) {
  console.error(
    'bench/fused.ts: fused dense kernels are not registered (native addon missing, or LOSS_ALGEBRA_NATIVE_FUSED=0)'
  )
  process.exit(2)
}

const side = (s: Stepper, on: boolean): Stepper => ({
  step: () => {
    setNativeFusedDense(on)
    s.step()
  },
  read: () => s.read(),
  dispose: () => s.dispose()
})

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
  'model     arch  kernels fused / plain  wall: fused ÷ plain (paired; spread)  cpu: fused ÷ plain (paired; spread)  cpu ms fused / plain'
)
for (const arch of values.archs.split(',') as Array<Arch>) {
  for (const model of values.models.split(',') as Array<ModelName>) {
    const row = makeRow(model, arch, Number(values.seed))
    try {
      const fused = side(row.compiled, true)
      const plain = side(row.compiled, false)
      for (let i = 0; i < Number(values.warmup) * row.cycle; i++) {
        fused.step()
        await fused.read()
        plain.step()
        await plain.read()
      }
      const n = row.cycle * Math.max(1, Math.ceil(steps / rounds / row.cycle))
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
      setNativeFusedDense(true)
      row.dispose()
    }
  }
}
