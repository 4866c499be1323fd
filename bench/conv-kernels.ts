/**
 * The addon's convolution kernels on the reference conv nets' layers (batch 64, 4×4 stride 2), each
 * way of running them timed in interleaved rounds of one process: one thread; split in two halves of
 * the batch on two threads (native/src/split.cc); oneDNN on two OpenMP threads (for comparison: it
 * is not the default, see src/backend/native.ts); and, for backward data on images of few channels,
 * oneDNN's kernel against the matmul + col2im path. Printed: the median ms per call over rounds.
 *
 *   npx tsx bench/conv-kernels.ts [--rounds 8] [--calls 40]
 */
import { parseArgs } from 'node:util'

import { loadNativeAddon, nativeUnavailableReason } from '../src/backend/native.ts'
import type { NativeAddon } from '../src/backend/native.ts'
import { median } from './stats.ts'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '8' }, calls: { type: 'string', default: '40' } }
})
const rounds = Number(values.rounds)
const calls = Number(values.calls)

const loaded = loadNativeAddon()
if (loaded === null || loaded.setSplit === undefined || loaded.setCol2imMaxChannels === undefined) {
  console.error(
    `bench/conv-kernels.ts: needs the native addon with split and col2im (${nativeUnavailableReason() ?? 'an older build'})`
  )
  process.exit(2)
}
const lib: NativeAddon = loaded
const defaults = { split: lib.setSplit!(), col2im: lib.setCol2imMaxChannels!() }

/** A layer: the conv reading [n, h, w, ci] into [n, h/2, w/2, co] (a transposed conv is its backward data). */
interface Layer {
  readonly name: string
  readonly h: number
  readonly ci: number
  readonly co: number
}
const layers: ReadonlyArray<Layer> = [
  { name: 'D/E conv 1 (G deconv 2), 28×28×1 ↔ 14×14×32', h: 28, ci: 1, co: 32 },
  { name: 'Stacked MNIST, 28×28×3 ↔ 14×14×32', h: 28, ci: 3, co: 32 },
  { name: 'D/E conv 2 (G deconv 1), 14×14×32 ↔ 7×7×64', h: 14, ci: 32, co: 64 }
]

interface Way {
  readonly name: string
  readonly set: () => void
}
const ways: ReadonlyArray<Way> = [
  { name: '1 thread', set: () => (lib.setSplit!(false), lib.setThreads(1), lib.setCol2imMaxChannels!(0)) },
  { name: 'split', set: () => (lib.setSplit!(true, 1), lib.setThreads(1), lib.setCol2imMaxChannels!(0)) },
  { name: 'OpenMP 2', set: () => (lib.setSplit!(false), lib.setThreads(2), lib.setCol2imMaxChannels!(0)) },
  { name: 'col2im', set: () => (lib.setSplit!(false), lib.setThreads(1), lib.setCol2imMaxChannels!(1 << 20)) },
  { name: 'col2im split', set: () => (lib.setSplit!(true, 1), lib.setThreads(1), lib.setCol2imMaxChannels!(1 << 20)) }
]

const random = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5)

const n = 64
console.log(`per call, median over ${rounds} rounds of ${calls} calls (ms)`)
console.log(`${'layer'.padEnd(46)} ${'direction'.padEnd(15)} ${ways.map((w) => w.name.padStart(12)).join(' ')}`)
try {
  for (const l of layers) {
    const o = l.h / 2
    const p = new Int32Array([n, l.h, l.h, l.ci, o, o, l.co, 4, 4, 2, 2, 1, 1, 1, 1, 0, 0, 0])
    const x = random(n * l.h * l.h * l.ci)
    const w = random(16 * l.ci * l.co)
    const y = random(n * o * o * l.co)
    const dx = new Float32Array(x.length)
    const dw = new Float32Array(w.length)
    const directions: ReadonlyArray<[string, () => void, ReadonlyArray<string>]> = [
      ['forward', () => lib.convForward(p, x, w, null, y), ['1 thread', 'split', 'OpenMP 2']],
      ['backward data', () => lib.convBackwardData(p, y, w, dx), ways.map((v) => v.name)],
      ['backward filter', () => lib.convBackwardWeights(p, x, y, dw), ['1 thread', 'split', 'OpenMP 2']]
    ]
    for (const [direction, run, which] of directions) {
      const times = new Map<string, Array<number>>()
      const active = ways.filter((v) => which.includes(v.name))
      for (const v of active) {
        v.set()
        for (let i = 0; i < 5; i++) run()
      }
      for (let r = 0; r < rounds; r++) {
        for (const v of r % 2 === 0 ? active : [...active].reverse()) {
          v.set()
          run() // a changed thread count rebuilds the primitives: not timed
          const t0 = performance.now()
          for (let i = 0; i < calls; i++) run()
          times.set(v.name, [...(times.get(v.name) ?? []), (performance.now() - t0) / calls])
        }
      }
      const cells = ways.map((v) => (times.has(v.name) ? median(times.get(v.name)!).toFixed(3) : '—').padStart(12))
      console.log(`${l.name.padEnd(46)} ${direction.padEnd(15)} ${cells.join(' ')}`)
    }
  }
} finally {
  lib.setThreads(1)
  lib.setSplit!(defaults.split.on, defaults.split.minMacs)
  lib.setCol2imMaxChannels!(defaults.col2im)
}
