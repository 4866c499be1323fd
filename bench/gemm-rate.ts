/**
 * The arithmetic rate under the steps: single matrix products of the reference nets' shapes, timed on
 * each backend here and in PyTorch (the peer's library, on 1 thread and on every core), in GFLOP/s.
 * The operands are made once, so this is the product alone (on wasm, XNNPACK packs b once and keeps
 * it). Rounds alternate PyTorch and ours; each side's median over the rounds is printed.
 *
 *   npx tsx bench/gemm-rate.ts [--backends native,wasm] [--python /usr/bin/python3] [--reps 40] [--rounds 5]
 */
import { spawnSync } from 'node:child_process'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'

import * as tf from '@tensorflow/tfjs'

import { describeWasmThreads, selectBackend } from '../src/backend/index.ts'
import { findPeer } from './peer.ts'
import { median } from './stats.ts'

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'native,wasm' },
    python: { type: 'string' },
    reps: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '5' }
  }
})
const reps = Number(values.reps)
/** Each product runs this long before it is timed, on both sides. */
const WARM_MS = 300
const rounds = Number(values.rounds)

/** [M, K, N, where]: C[M, N] = A[M, K] · B[K, N]. */
const SHAPES: ReadonlyArray<[number, number, number, string]> = [
  [128, 784, 512, "D's first layer on x and G(z) (mlp)"],
  [64, 512, 784, "G's last layer (mlp)"],
  [784, 128, 512, "D's first weight gradient (mlp)"],
  [3136, 64, 512, "G's 64 → 32 transposed conv as a matmul (conv)"],
  [12544, 512, 64, "D's 32 → 64 conv as im2col · W (conv)"]
]

const gflops = (m: number, k: number, n: number, ms: number): number => (2 * m * k * n) / ms / 1e6

/**
 * One thread count per process: `torch.set_num_threads` does not reach OpenBLAS's own threads (at
 * 1 it still multiplied on both cores here), so the one-thread run also sets OPENBLAS_NUM_THREADS
 * (and OMP_NUM_THREADS) before Python starts.
 */
const TORCH = `
import json, os, sys, time, torch
shapes = json.loads(sys.argv[1]); reps = int(sys.argv[2]); warm = float(sys.argv[3]) / 1000
torch.set_num_threads(int(sys.argv[4]))
row = []
for m, k, n in shapes:
    a = torch.randn(m, k); b = torch.randn(k, n)
    w0 = time.perf_counter()
    while time.perf_counter() - w0 < warm: torch.mm(a, b)
    t0 = time.perf_counter()
    for _ in range(reps): torch.mm(a, b)
    row.append((time.perf_counter() - t0) * 1000 / reps)
print(json.dumps(row))
`

const torch = (python: string): Record<string, Array<number>> | string => {
  const out: Record<string, Array<number>> = {}
  for (const threads of [...new Set([1, cpus().length])].sort((a, b) => a - b)) {
    const pinned = threads === 1 ? { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } : {}
    const r = spawnSync(
      python,
      [
        '-c',
        TORCH,
        JSON.stringify(SHAPES.map(([m, k, n]) => [m, k, n])),
        String(reps),
        String(WARM_MS),
        String(threads)
      ],
      { encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...pinned } }
    )
    if (r.status !== 0) return `torch failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`
    out[String(threads)] = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as Array<number>
  }
  return out
}

/** ms of one product on the current backend: one block of `reps` calls after a warm-up. */
const ours = (m: number, k: number, n: number): number => {
  const a = tf.randomNormal([m, k])
  const b = tf.randomNormal([k, n])
  const once = (): void => tf.tidy(() => void tf.matMul(a, b).dataSync())
  // warm up for WARM_MS, not a count: a cold start (after the other side's process) ran 1.5x slower
  for (const w0 = performance.now(); performance.now() - w0 < WARM_MS;) once()
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) once()
  const ms = (performance.now() - t0) / reps
  tf.dispose([a, b])
  return ms
}

// Rounds alternate PyTorch and each backend (the machine's speed drifts over minutes: a side timed
// only before or after the other is not comparable); each side's median over rounds is kept.
const peer = findPeer(undefined, values.python)
if (typeof peer === 'string') console.log(`# peer: ${peer}`)
const backends: Array<string> = []
for (const backend of values.backends.split(',')) {
  try {
    await selectBackend(backend)
    backends.push(backend)
    const threads = backend === 'wasm' ? describeWasmThreads() : undefined
    console.log(`# ${backend}${threads === undefined ? '' : `, ${threads}`}`)
  } catch (e) {
    console.log(`# ${backend}: skipped (${e instanceof Error ? e.message : String(e)})`)
  }
}
const samples: Record<string, Array<Array<number>>> = {}
const add = (name: string, ms: ReadonlyArray<number>): void => {
  samples[name] ??= SHAPES.map(() => [])
  ms.forEach((x, i) => samples[name][i].push(x))
}
// round 0 warms both sides up (allocator, caches, the CPU's clock) and is not counted
for (let r = 0; r <= rounds; r++) {
  const keep = r > 0
  if (typeof peer !== 'string') {
    const t = torch(peer.python)
    if (typeof t === 'string') console.log(`# peer: ${t}`)
    else if (keep) for (const [threads, ms] of Object.entries(t)) add(`torch ${threads}t`, ms)
  }
  for (const backend of backends) {
    await selectBackend(backend)
    add(
      backend,
      SHAPES.map(([m, k, n]) => ours(m, k, n))
    )
  }
}
const med = (name: string): Array<number> => samples[name].map((xs) => median(xs))
const rows: Record<string, Array<number>> = Object.fromEntries(backends.map((b) => [b, med(b)]))
const torchRows: Record<string, Array<number>> = Object.fromEntries(
  Object.keys(samples)
    .filter((n) => n.startsWith('torch'))
    .map((n) => [n, med(n)])
)

const all = { ...rows, ...torchRows }
const names = Object.keys(all)
console.log(
  `\n| M × K · K × N | ${names.map((n) => `${n} GFLOP/s`).join(' | ')} | ${Object.keys(rows)
    .map((n) => `${n} ÷ best torch`)
    .join(' | ')} |`
)
console.log(
  `| --- | ${names.map(() => '---').join(' | ')} | ${Object.keys(rows)
    .map(() => '---')
    .join(' | ')} |`
)
SHAPES.forEach(([m, k, n, where], i) => {
  const best = Math.min(...Object.values(torchRows).map((r) => r[i]))
  console.log(
    `| ${m} × ${k} · ${k} × ${n} (${where}) | ${names.map((b) => gflops(m, k, n, all[b][i]).toFixed(1)).join(' | ')} | ${Object.keys(
      rows
    )
      .map((b) => (Number.isFinite(best) ? (rows[b][i] / best).toFixed(2) : '—'))
      .join(' | ')} |`
  )
})
