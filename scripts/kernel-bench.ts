/**
 * Times the heavy kernels alone — forward, backward-data and backward-weights of every layer of
 * the `mlp` and `conv` reference nets (bench/ARCHITECTURES.md), batch 64 — on each
 * backend, so a training step can be compared with "the time its kernels alone take".
 *
 *   npx tsx scripts/kernel-bench.ts [--backends=native,wasm,cpu] [--nets=mlp,conv] [--ms=300] [--json]
 *
 * Backends are interleaved per kernel (the machines are noisy). Each cell is the median of
 * timed batches of repetitions.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { registerNativeBackend } from '../src/backend/native.ts'
import { registerWasmTrainingKernels } from '../src/backend/wasm-kernels.ts'

const BATCH = 64

function arg(name: string, dflt: string): string {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`))
  return a === undefined ? dflt : a.slice(name.length + 3)
}

interface KernelCall {
  layer: string
  pass: 'fwd' | 'bwd-data' | 'bwd-weights'
  kernel: string
  inputs: Record<string, Array<number>>
  attrs: tf.NamedAttrMap
}

function dense(layer: string, nin: number, nout: number): Array<KernelCall> {
  return [
    {
      layer,
      pass: 'fwd',
      kernel: tf.BatchMatMul,
      inputs: { a: [BATCH, nin], b: [nin, nout] },
      attrs: { transposeA: false, transposeB: false }
    },
    {
      layer,
      pass: 'bwd-data',
      kernel: tf.BatchMatMul,
      inputs: { a: [BATCH, nout], b: [nin, nout] },
      attrs: { transposeA: false, transposeB: true }
    },
    {
      layer,
      pass: 'bwd-weights',
      kernel: tf.BatchMatMul,
      inputs: { a: [BATCH, nin], b: [BATCH, nout] },
      attrs: { transposeA: true, transposeB: false }
    }
  ]
}

/** conv k4 s2 p1, NHWC; x [B, H, W, ci] -> [B, H/2, W/2, co]. */
function conv(layer: string, h: number, ci: number, co: number): Array<KernelCall> {
  const attrs = { strides: [2, 2], pad: 1, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: 'floor' }
  const x = [BATCH, h, h, ci]
  const y = [BATCH, h / 2, h / 2, co]
  const w = [4, 4, ci, co]
  return [
    { layer, pass: 'fwd', kernel: tf.Conv2D, inputs: { x, filter: w }, attrs },
    {
      layer,
      pass: 'bwd-data',
      kernel: tf.Conv2DBackpropInput,
      inputs: { dy: y, filter: w },
      attrs: { ...attrs, inputShape: x }
    },
    {
      layer,
      pass: 'bwd-weights',
      kernel: tf.Conv2DBackpropFilter,
      inputs: { x, dy: y },
      attrs: { ...attrs, filterShape: w }
    }
  ]
}

/** transposed conv k4 s2 p1; x [B, h, h, ci] -> [B, 2h, 2h, co]; filter [4, 4, co, ci]. */
function tconv(layer: string, h: number, ci: number, co: number): Array<KernelCall> {
  const attrs = { strides: [2, 2], pad: 1, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: 'floor' }
  const x = [BATCH, h, h, ci]
  const y = [BATCH, 2 * h, 2 * h, co]
  const w = [4, 4, co, ci]
  return [
    {
      layer,
      pass: 'fwd',
      kernel: tf.Conv2DBackpropInput,
      inputs: { dy: x, filter: w },
      attrs: { ...attrs, inputShape: y }
    },
    { layer, pass: 'bwd-data', kernel: tf.Conv2D, inputs: { x: y, filter: w }, attrs },
    {
      layer,
      pass: 'bwd-weights',
      kernel: tf.Conv2DBackpropFilter,
      inputs: { x: y, dy: x },
      attrs: { ...attrs, filterShape: w }
    }
  ]
}

const NETS: Record<string, Array<KernelCall>> = {
  mlp: [
    ...dense('E 784-512', 784, 512),
    ...dense('E 512-256', 512, 256),
    ...dense('E 256-64', 256, 64),
    ...dense('G 32-256', 32, 256),
    ...dense('G 256-512', 256, 512),
    ...dense('G 512-784', 512, 784),
    ...dense('D 784-512', 784, 512),
    ...dense('D 512-256', 512, 256),
    ...dense('D 256-1', 256, 1),
    ...dense('C 32-256', 32, 256),
    ...dense('C 256-256', 256, 256),
    ...dense('C 256-1', 256, 1)
  ],
  conv: [
    ...conv('E conv 1-32', 28, 1, 32),
    ...conv('E conv 32-64', 14, 32, 64),
    ...dense('E 3136-64', 3136, 64),
    ...dense('G 32-3136', 32, 3136),
    ...tconv('G tconv 64-32', 7, 64, 32),
    ...tconv('G tconv 32-1', 14, 32, 1),
    ...conv('D conv 1-32', 28, 1, 32),
    ...conv('D conv 32-64', 14, 32, 64),
    ...dense('D 3136-1', 3136, 1)
  ]
}

function timeCall(call: KernelCall, budgetMs: number): number {
  const inputs: Record<string, tf.Tensor> = {}
  for (const [k, s] of Object.entries(call.inputs)) inputs[k] = tf.randomUniform(s, -1, 1, 'float32', 7)
  const run = (): void => {
    const out = tf.engine().runKernel(call.kernel, inputs, call.attrs) as tf.Tensor | Array<tf.Tensor>
    tf.dispose(out)
  }
  run() // warm-up: primitive creation, wasm setup
  const t0 = performance.now()
  run()
  const once = Math.max(0.01, performance.now() - t0)
  const reps = Math.max(1, Math.min(200, Math.floor(budgetMs / 5 / once)))
  const samples: Array<number> = []
  for (let s = 0; s < 5; s++) {
    const t = performance.now()
    for (let i = 0; i < reps; i++) run()
    samples.push((performance.now() - t) / reps)
  }
  tf.dispose(Object.values(inputs))
  samples.sort((a, b) => a - b)
  return samples[2]
}

async function main(): Promise<void> {
  registerWasmTrainingKernels()
  const hasNative = await registerNativeBackend()
  const wanted = arg('backends', 'native,wasm,cpu')
    .split(',')
    .filter((b) => b !== 'native' || hasNative)
  const nets = arg('nets', 'mlp,conv').split(',')
  const budget = Number(arg('ms', '300'))
  const json = process.argv.includes('--json')
  for (const b of wanted) {
    if (!(await tf.setBackend(b))) throw new Error(`backend ${b} failed to initialise`)
  }
  const rows: Array<{ net: string; layer: string; pass: string; kernel: string; ms: Record<string, number> }> = []
  for (const net of nets) {
    for (const call of NETS[net]) {
      const ms: Record<string, number> = {}
      for (const b of wanted) {
        await tf.setBackend(b)
        ms[b] = timeCall(call, b === 'cpu' ? budget / 3 : budget)
      }
      rows.push({ net, layer: call.layer, pass: call.pass, kernel: call.kernel, ms })
      if (!json) {
        console.log(
          `${net.padEnd(5)} ${call.layer.padEnd(16)} ${call.pass.padEnd(12)} ${call.kernel.padEnd(21)} ` +
            wanted.map((b) => `${b} ${ms[b].toFixed(3).padStart(9)} ms`).join('  ')
        )
      }
    }
  }
  const totals: Record<string, Record<string, number>> = {}
  for (const net of nets) {
    totals[net] = {}
    for (const b of wanted) totals[net][b] = rows.filter((r) => r.net === net).reduce((s, r) => s + r.ms[b], 0)
  }
  if (json) {
    console.log(JSON.stringify({ batch: BATCH, backends: wanted, rows, totals }))
  } else {
    for (const net of nets) {
      console.log(`TOTAL ${net}: ` + wanted.map((b) => `${b} ${totals[net][b].toFixed(2)} ms`).join('  '))
    }
  }
}

await main()
