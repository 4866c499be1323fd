/**
 * The arithmetic rate under the steps: single matrix products of the reference nets' shapes, timed on
 * each backend here and in PyTorch (the peer's library, on 1 thread and on every core), in GFLOP/s.
 * The operands are made once, so this is the product alone (on wasm, XNNPACK packs b once and keeps
 * it). Ours and PyTorch alternate (PyTorch, ours, PyTorch), and PyTorch's faster run is kept.
 *
 *   npx tsx bench/gemm-rate.ts [--backends native,wasm] [--python /usr/bin/python3] [--reps 40] [--rounds 5]
 */
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'

import * as tf from '@tensorflow/tfjs'

import { selectBackend, wasmThreadStatus } from '../src/backend/index.ts'
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

const TORCH = `
import json, os, sys, time, torch
shapes = json.loads(sys.argv[1]); reps = int(sys.argv[2]); rounds = int(sys.argv[3])
out = {}
for threads in sorted({1, os.cpu_count() or 1}):
    torch.set_num_threads(threads)
    row = []
    for m, k, n in shapes:
        a = torch.randn(m, k); b = torch.randn(k, n)
        for _ in range(3): torch.mm(a, b)
        best = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for _ in range(reps): torch.mm(a, b)
            best.append((time.perf_counter() - t0) * 1000 / reps)
        best.sort(); row.append(best[len(best) // 2])
    out[str(threads)] = row
print(json.dumps(out))
`

const torch = (python: string): Record<string, Array<number>> | string => {
  const r = spawnSync(
    python,
    ['-c', TORCH, JSON.stringify(SHAPES.map(([m, k, n]) => [m, k, n])), String(reps), String(rounds)],
    { encoding: 'utf8', timeout: 600_000 }
  )
  if (r.status !== 0) return `torch failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, Array<number>>
}

/** Median ms of one product on the current backend. */
const ours = async (m: number, k: number, n: number): Promise<number> => {
  const a = tf.randomNormal([m, k])
  const b = tf.randomNormal([k, n])
  const once = (): void => tf.tidy(() => void tf.matMul(a, b).dataSync())
  for (let i = 0; i < 3; i++) once()
  const times: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    for (let i = 0; i < reps; i++) once()
    times.push((performance.now() - t0) / reps)
  }
  tf.dispose([a, b])
  return median(times)
}

const peer = findPeer(undefined, values.python)
const before = typeof peer === 'string' ? peer : torch(peer.python)
const rows: Record<string, Array<number>> = {}
for (const backend of values.backends.split(',')) {
  try {
    await selectBackend(backend)
  } catch (e) {
    console.log(`# ${backend}: skipped (${e instanceof Error ? e.message : String(e)})`)
    continue
  }
  const threads = backend === 'wasm' ? wasmThreadStatus() : undefined
  console.log(`# ${backend}${threads === undefined ? '' : `, ${threads.threads} thread(s)`}`)
  rows[backend] = []
  for (const [m, k, n] of SHAPES) rows[backend].push(await ours(m, k, n))
}
const after = typeof peer === 'string' ? peer : torch(peer.python)
const torchRows: Record<string, Array<number>> = {}
if (typeof before !== 'string' && typeof after !== 'string')
  for (const t of Object.keys(before)) torchRows[`torch ${t}t`] = before[t].map((ms, i) => Math.min(ms, after[t][i]))
else console.log(`# peer: ${typeof before === 'string' ? before : after}`)

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
