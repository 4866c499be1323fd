/**
 * The `native` (oneDNN) kernels and the kernels added to / replaced in `wasm` agree with the
 * `cpu` backend, in values and gradients, on random tiny problems; they leak nothing; and the
 * native tests really ran on oneDNN (per-kernel counters), not on the cpu fallback.
 * Tests of a backend that is not available here are skipped, saying why.
 */
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as tf from '@tensorflow/tfjs'
import { missingKernels, prepare } from '../src/backend/index.ts'
import {
  NATIVE_JS_KERNELS,
  NATIVE_KERNELS,
  nativeKernelStats,
  nativeUnavailableReason,
  registerNativeBackend,
  resetNativeKernelStats
} from '../src/backend/native.ts'
import { setNativeMinElements } from '../src/backend/native-elementwise.ts'
import { uniformValues } from './values.ts'
import {
  missingWasmTrainingKernels,
  registerWasmTrainingKernels,
  setWasmFilterByConvMinChannels,
  setWasmIm2colLimit
} from '../src/backend/wasm-kernels.ts'

const { util } = tf
const SEED = 20240611
const RUNS = 25
const RTOL = 1e-4

const available: Record<string, string | null> = { native: null, wasm: null }

before(async () => {
  tf.env().set('PROD', true)
  await tf.setBackend('cpu')
  if (!(await registerNativeBackend())) available.native = nativeUnavailableReason() ?? 'native addon not built'
  else if (!(await tf.setBackend('native'))) available.native = 'native backend failed to initialise'
  // wasm as the project starts it: the threaded build on this machine's cores (src/backend/wasm-threads.ts)
  available.wasm = await prepare('wasm')
  if (available.wasm === null && !(await tf.setBackend('wasm'))) available.wasm = 'wasm backend failed to initialise'
  await tf.setBackend('cpu')
})

after(async () => {
  await tf.setBackend('cpu')
})

/** Skips the test (with the reason) unless `backend` is usable; true when it is. */
function need(t: TestContext, backend: string): boolean {
  const why = available[backend]
  if (why !== null) {
    t.skip(backend === 'native' ? `native addon not built (${why})` : why)
    return false
  }
  return true
}

type Data = { shape: Array<number>; values: Float32Array }

/** Deterministic values in [-1, 1) for a shape (fast-check gives the seed). */
function data(shape: Array<number>, seed: number): Data {
  return {
    shape,
    values: uniformValues(
      shape.reduce((a, b) => a * b, 1),
      seed
    )
  }
}

/** Runs `f` on `backend` with the inputs as tensors there; returns every output's values. */
async function on(
  backend: string,
  inputs: Array<Data>,
  f: (...xs: Array<tf.Tensor>) => Array<tf.Tensor>
): Promise<Array<Float32Array>> {
  assert.ok(await tf.setBackend(backend), `setBackend(${backend})`)
  const out = tf.tidy(() =>
    f(...inputs.map((d) => tf.tensor(d.values, d.shape, 'float32'))).map((t) => t.dataSync() as Float32Array)
  )
  await tf.setBackend('cpu')
  return out.map((a) => Float32Array.from(a))
}

function assertClose(got: Array<Float32Array>, want: Array<Float32Array>, what: string): void {
  assert.equal(got.length, want.length, `${what}: number of outputs`)
  for (let k = 0; k < want.length; k++) {
    assert.equal(got[k].length, want[k].length, `${what}: output ${k} size`)
    let scale = 1
    for (const v of want[k]) scale = Math.max(scale, Math.abs(v))
    for (let i = 0; i < want[k].length; i++) {
      const err = Math.abs(got[k][i] - want[k][i])
      if (!(err <= RTOL * scale)) {
        assert.fail(`${what}: output ${k}[${i}] = ${got[k][i]}, cpu ${want[k][i]} (|err| ${err} > ${RTOL} × ${scale})`)
      }
    }
  }
}

async function agree(
  backend: string,
  what: string,
  inputs: Array<Data>,
  f: (...xs: Array<tf.Tensor>) => Array<tf.Tensor>
): Promise<void> {
  const want = await on('cpu', inputs, f)
  const got = await on(backend, inputs, f)
  assertClose(got, want, `${what} on ${backend}`)
}

// ---------------------------------------------------------------------------------------------
// Problems

const pad = fc.constantFrom<'same' | 'valid'>('same', 'valid')
const stride = fc.integer({ min: 1, max: 2 })

/** conv2d: x [n, h, w, ci], filter [kh, kw, ci, co], kh ≤ h and kw ≤ w. */
const convProblem = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    // up to 6 channels: backward data takes the col2im path at ≤ 4 input channels, oneDNN's above
    ci: fc.integer({ min: 1, max: 6 }),
    co: fc.integer({ min: 1, max: 4 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: stride,
    sw: stride,
    pad,
    seed: fc.integer()
  })
  .filter((p) => p.kh <= p.h && p.kw <= p.w)

type ConvProblem = typeof convProblem extends fc.Arbitrary<infer T> ? T : never

function convInputs(p: ConvProblem): Array<Data> {
  const x = data([p.n, p.h, p.w, p.ci], p.seed)
  const w = data([p.kh, p.kw, p.ci, p.co], p.seed + 1)
  const out = tf.tidy(
    () =>
      tf.conv2d(
        tf.zeros(x.shape).as4D(p.n, p.h, p.w, p.ci),
        tf.zeros(w.shape).as4D(p.kh, p.kw, p.ci, p.co),
        [p.sh, p.sw],
        p.pad
      ).shape
  )
  return [x, w, data(out, p.seed + 2)]
}

/** conv2d, and the gradients of Σ conv2d(x, w)·r with respect to x and w. */
function convAndGrads(x: tf.Tensor, w: tf.Tensor, r: tf.Tensor, p: ConvProblem): Array<tf.Tensor> {
  const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
    tf
      .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [p.sh, p.sw], p.pad)
      .mul(r)
      .sum()
  return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [p.sh, p.sw], p.pad), ...tf.grads(f)([x, w])]
}

/** conv2dTranspose: x [n, h, w, ci] -> [n, H, W, co] with filter [kh, kw, co, ci]. */
const tconvProblem = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 6 }),
  w: fc.integer({ min: 1, max: 6 }),
  ci: fc.integer({ min: 1, max: 4 }),
  // the transposed conv's output channels are its backward-data conv's input: col2im at ≤ 4, oneDNN above
  co: fc.integer({ min: 1, max: 6 }),
  kh: fc.integer({ min: 1, max: 4 }),
  kw: fc.integer({ min: 1, max: 4 }),
  sh: stride,
  sw: stride,
  pad,
  seed: fc.integer()
})

type TconvProblem = typeof tconvProblem extends fc.Arbitrary<infer T> ? T : never

function tconvOutShape(p: TconvProblem): [number, number, number, number] {
  return p.pad === 'same'
    ? [p.n, p.h * p.sh, p.w * p.sw, p.co]
    : [p.n, (p.h - 1) * p.sh + p.kh, (p.w - 1) * p.sw + p.kw, p.co]
}

function tconvInputs(p: TconvProblem): Array<Data> {
  return [
    data([p.n, p.h, p.w, p.ci], p.seed),
    data([p.kh, p.kw, p.co, p.ci], p.seed + 1),
    data(tconvOutShape(p), p.seed + 2)
  ]
}

function tconvAndGrads(x: tf.Tensor, w: tf.Tensor, r: tf.Tensor, p: TconvProblem): Array<tf.Tensor> {
  const op = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
    tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, tconvOutShape(p), [p.sh, p.sw], p.pad)
  return [op(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor): tf.Scalar => op(a, b).mul(r).sum())([x, w])]
}

/** matMul with transposes and batch dims: a [..., m, k] (or k, m), b [..., k, n] (or n, k). */
const matmulProblem = fc.record({
  m: fc.integer({ min: 1, max: 9 }),
  k: fc.integer({ min: 1, max: 9 }),
  n: fc.integer({ min: 1, max: 9 }),
  ta: fc.boolean(),
  tb: fc.boolean(),
  batch: fc.constantFrom<Array<[Array<number>, Array<number>]>>(
    [[], []],
    [[3], [3]],
    [
      [2, 3],
      [2, 3]
    ],
    [[3], []],
    [[], [3]],
    [[1], [3]],
    [[3], [1]]
  ),
  seed: fc.integer()
})

type MatmulProblem = typeof matmulProblem extends fc.Arbitrary<infer T> ? T : never

function matmulInputs(p: MatmulProblem): Array<Data> {
  const [ba, bb] = p.batch
  const a = data([...ba, ...(p.ta ? [p.k, p.m] : [p.m, p.k])], p.seed)
  const b = data([...bb, ...(p.tb ? [p.n, p.k] : [p.k, p.n])], p.seed + 1)
  const outBatch =
    ba.length >= bb.length
      ? ba.map((d, i) => Math.max(d, bb[i - (ba.length - bb.length)] ?? 1))
      : bb.map((d, i) => Math.max(d, ba[i - (bb.length - ba.length)] ?? 1))
  return [a, b, data([...outBatch, p.m, p.n], p.seed + 2), data([p.n], p.seed + 3)]
}

/** matMul, and (tfjs has no gradient for broadcast batch dims) the gradients when batches match. */
function matmulAndGrads(a: tf.Tensor, b: tf.Tensor, r: tf.Tensor, p: MatmulProblem): Array<tf.Tensor> {
  const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.matMul(x, y, p.ta, p.tb).mul(r).sum()
  const y = tf.matMul(a, b, p.ta, p.tb)
  return util.arraysEqual(p.batch[0], p.batch[1]) ? [y, ...tf.grads(f)([a, b])] : [y]
}

const activation = fc.constantFrom<tf.fused.Activation>('linear', 'relu', 'leakyrelu', 'elu', 'relu6', 'sigmoid')

function fusedValues(
  a: tf.Tensor,
  b: tf.Tensor,
  bias: tf.Tensor,
  p: MatmulProblem,
  act: tf.fused.Activation
): Array<tf.Tensor> {
  const a3 = a.rank === 2 ? a : a.reshape([-1, ...a.shape.slice(-2)])
  const b3 = b.rank === 2 ? b : b.reshape([-1, ...b.shape.slice(-2)])
  return [
    tf.fused.matMul({ a: a3, b: b3, transposeA: p.ta, transposeB: p.tb, bias, activation: act, leakyreluAlpha: 0.15 })
  ]
}

/** Gradients through fused matMul (tfjs fuses linear and relu inside grads; others unfuse). */
function fusedGrads(
  a: tf.Tensor,
  b: tf.Tensor,
  r: tf.Tensor,
  bias: tf.Tensor,
  p: MatmulProblem,
  act: 'linear' | 'relu'
): Array<tf.Tensor> {
  const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor): tf.Scalar =>
    tf.fused.matMul({ a: x, b: y, transposeA: p.ta, transposeB: p.tb, bias: z, activation: act }).mul(r).sum()
  return [...tf.grads(f)([a, b, bias])]
}

const property = <T>(arb: fc.Arbitrary<T>, check: (v: T) => Promise<void>, runs = RUNS): Promise<void> =>
  fc.assert(fc.asyncProperty(arb, check), { seed: SEED, numRuns: runs })

function nativeRan(kernel: string): number {
  return nativeKernelStats()[kernel]?.native ?? 0
}

// ---------------------------------------------------------------------------------------------

describe('native backend (oneDNN) matches cpu', () => {
  it('conv2d: values and gradients (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter)', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(convProblem, async (p) =>
      agree('native', `conv2d ${JSON.stringify(p)}`, convInputs(p), (x, w, r) => convAndGrads(x, w, r, p))
    )
    for (const k of [tf.Conv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter])
      assert.ok(nativeRan(k) >= RUNS, `${k} ran on oneDNN`)
  })

  it('conv2dTranspose: values and gradients', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(tconvProblem, async (p) =>
      agree('native', `conv2dTranspose ${JSON.stringify(p)}`, tconvInputs(p), (x, w, r) => tconvAndGrads(x, w, r, p))
    )
    for (const k of [tf.Conv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter])
      assert.ok(nativeRan(k) >= RUNS, `${k} ran on oneDNN`)
  })

  it('matMul with transposes and batch broadcasting: values and gradients', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(matmulProblem, async (p) =>
      agree('native', `matMul ${JSON.stringify(p)}`, matmulInputs(p).slice(0, 3), (a, b, r) =>
        matmulAndGrads(a, b, r, p)
      )
    )
    assert.ok(nativeRan(tf.BatchMatMul) >= 2 * RUNS, 'BatchMatMul ran on oneDNN')
  })

  it('fused matMul with bias and activations: values; gradients with bias + relu/linear', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    const twoD = matmulProblem.map((p) => ({ ...p, batch: [[], []] as [Array<number>, Array<number>] }))
    await property(fc.tuple(twoD, activation), async ([p, act]) => {
      const [a, b, , bias] = matmulInputs(p)
      await agree('native', `fused matMul ${act} ${JSON.stringify(p)}`, [a, b, bias], (x, y, z) =>
        fusedValues(x, y, z, p, act)
      )
    })
    assert.ok(nativeRan(tf._FusedMatMul) >= RUNS, '_FusedMatMul ran on oneDNN')
    await property(fc.tuple(twoD, fc.constantFrom<'linear' | 'relu'>('linear', 'relu')), async ([p, act]) => {
      const [a, b, r, bias] = matmulInputs(p)
      await agree('native', `fused matMul grads ${act} ${JSON.stringify(p)}`, [a, b, r, bias], (x, y, rr, z) =>
        fusedGrads(x, y, rr, z, p, act)
      )
    })
  })

  it('fused conv2d with bias and relu / leakyrelu', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(
      fc.tuple(convProblem, fc.constantFrom<tf.fused.Activation>('linear', 'relu', 'leakyrelu')),
      async ([p, act]) => {
        const [x, w] = convInputs(p)
        const bias = data([p.co], p.seed + 3)
        await agree('native', `fused conv2d ${act} ${JSON.stringify(p)}`, [x, w, bias], (xx, ww, bb) => [
          tf.fused.conv2d({
            x: xx as tf.Tensor4D,
            filter: ww as tf.Tensor4D,
            strides: [p.sh, p.sw],
            pad: p.pad,
            bias: bb,
            activation: act,
            leakyreluAlpha: 0.3
          })
        ])
      }
    )
    assert.ok(nativeRan(tf.FusedConv2D) >= RUNS, 'FusedConv2D ran on oneDNN')
  })

  it('dilations and prelu fall back to cpu (same results); explicit padding runs on oneDNN', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    const x = data([1, 7, 6, 2], 3)
    const w = data([3, 2, 2, 3], 4)
    await agree('native', 'dilated conv2d', [x, w], (xx, ww) => [
      tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same', 'NHWC', 2)
    ])
    assert.equal(nativeKernelStats()[tf.Conv2D]?.fallback, 1, 'dilated conv2d fell back')
    await agree('native', 'explicit-pad conv2d', [x, w], (xx, ww) => [
      tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, [
        [0, 0],
        [2, 1],
        [0, 3],
        [0, 0]
      ])
    ])
    assert.equal(nativeKernelStats()[tf.Conv2D]?.native, 1, 'explicit padding ran on oneDNN')
    const a = data([4, 3], 5)
    const b = data([3, 5], 6)
    const alpha = data([5], 7)
    await agree('native', 'prelu fused matMul', [a, b, alpha], (aa, bb, al) => [
      tf.fused.matMul({ a: aa as tf.Tensor2D, b: bb as tf.Tensor2D, activation: 'prelu', preluActivationWeights: al })
    ])
    assert.equal(nativeKernelStats()[tf._FusedMatMul]?.fallback, 1, 'prelu fell back')
  })

  it('every cpu kernel is registered for native', (t) => {
    if (!need(t, 'native')) return
    const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName)
    assert.deepEqual(missingKernels('native', cpu), [])
    for (const k of [...NATIVE_KERNELS, ...NATIVE_JS_KERNELS])
      assert.notEqual(tf.getKernel(k, 'native')?.kernelFunc, tf.getKernel(k, 'cpu')?.kernelFunc, `${k} is overridden`)
  })
})

// ---------------------------------------------------------------------------------------------
// Element-wise kernels, Select, Sum and Mean of `native` (src/backend/native-elementwise.ts): the
// TypeScript loops (small tensors) and the addon's C++ loops (large ones) both, forced in turn.

/** Values with the edge cases mixed in: ±0, NaN, ±∞, large and tiny magnitudes. */
function special(shape: Array<number>, seed: number, scale = 1): Data {
  const d = data(shape, seed)
  const edge = [0, -0, NaN, Infinity, -Infinity, 30, -30, 1e-30, -1e-30]
  for (let i = 0; i < d.values.length; i++) {
    const u = d.values[i]
    d.values[i] = Math.abs(u) > 0.9 ? edge[Math.floor((Math.abs(u) - 0.9) * 90) % edge.length] : u * scale
  }
  return d
}

/** Exact agreement (NaN = NaN; +0 = −0), or within `rtol` of the cpu value. */
function assertSame(got: Array<Float32Array>, want: Array<Float32Array>, what: string, rtol = 0): void {
  assert.equal(got.length, want.length, `${what}: number of outputs`)
  for (let k = 0; k < want.length; k++) {
    assert.equal(got[k].length, want[k].length, `${what}: output ${k} size`)
    for (let i = 0; i < want[k].length; i++) {
      const g = got[k][i]
      const w = want[k][i]
      if (g === w || (Number.isNaN(g) && Number.isNaN(w))) continue
      if (rtol > 0 && Math.abs(g - w) <= rtol * Math.abs(w)) continue
      assert.fail(`${what}: output ${k}[${i}] = ${g}, cpu ${w}`)
    }
  }
}

/** Agreement with cpu, on both loops; where cpu throws (a tfjs gradient bug), native throws too. */
async function same(
  what: string,
  inputs: Array<Data>,
  f: (...xs: Array<tf.Tensor>) => Array<tf.Tensor>,
  rtol = 0
): Promise<void> {
  let want: Array<Float32Array> | null = null
  try {
    want = await on('cpu', inputs, f)
  } catch {
    await tf.setBackend('cpu')
  }
  for (const min of [Infinity, 0]) {
    setNativeMinElements(min)
    const where = `${what} on native (${min === 0 ? 'addon' : 'TypeScript'} loops)`
    try {
      if (want !== null) assertSame(await on('native', inputs, f), want, where, rtol)
      else await assert.rejects(on('native', inputs, f), `${where}: cpu throws`)
    } finally {
      setNativeMinElements(4096)
      await tf.setBackend('cpu')
    }
  }
}

const dim = fc.integer({ min: 1, max: 5 })
const outShape = fc.array(dim, { minLength: 0, maxLength: 4 })

/** Two broadcast-compatible shapes: equal, a scalar, a trailing or leading broadcast, or general. */
const broadcastPair = fc
  .record({
    out: outShape,
    kind: fc.constantFrom('same', 'scalar', 'one', 'trailing', 'leading', 'general', 'lower-rank'),
    cut: fc.nat(),
    mask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    swap: fc.boolean(),
    seed: fc.integer()
  })
  .map((p) => {
    const r = p.out.length
    const k = r === 0 ? 0 : p.cut % (r + 1)
    const small: Array<number> = (
      {
        same: () => [...p.out],
        scalar: () => [],
        one: () => [1],
        trailing: () => [...new Array<number>(k).fill(1), ...p.out.slice(k)],
        leading: () => [...p.out.slice(0, k), ...new Array<number>(r - k).fill(1)],
        general: () => p.out.map((d, i) => (p.mask[i] ? 1 : d)),
        'lower-rank': () => p.out.slice(k)
      } as Record<string, () => Array<number>>
    )[p.kind]()
    const [a, b] = p.swap ? [small, [...p.out]] : [[...p.out], small]
    return { a, b, kind: p.kind, seed: p.seed }
  })

const BINARY_OPS: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  maximum: tf.maximum,
  minimum: tf.minimum,
  squaredDifference: tf.squaredDifference,
  greater: tf.greater,
  greaterEqual: tf.greaterEqual,
  less: tf.less,
  lessEqual: tf.lessEqual,
  equal: tf.equal,
  notEqual: tf.notEqual
}

const DIFFERENTIABLE_BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference']

const UNARY_OPS: Record<
  string,
  { f: (x: tf.Tensor) => tf.Tensor; grad?: boolean; domain?: (x: tf.Tensor) => tf.Tensor }
> = {
  relu: { f: tf.relu, grad: true },
  relu6: { f: (x) => tf.relu6(x.mul(8)), grad: true },
  leakyRelu: { f: (x) => tf.leakyRelu(x, 0.2), grad: true },
  leakyRelu3: { f: (x) => tf.leakyRelu(x, 3), grad: true },
  elu: { f: tf.elu, grad: true },
  step: { f: (x) => tf.step(x) },
  stepAlpha: { f: (x) => tf.step(x, 0.3) },
  abs: { f: tf.abs, grad: true },
  neg: { f: tf.neg, grad: true },
  square: { f: tf.square, grad: true },
  exp: { f: tf.exp, grad: true },
  log: { f: tf.log, grad: true, domain: (x) => x.abs().add(0.1) },
  softplus: { f: (x) => tf.softplus(x.mul(20)), grad: true },
  sigmoid: { f: tf.sigmoid, grad: true },
  tanh: { f: tf.tanh, grad: true },
  sqrt: { f: tf.sqrt, grad: true, domain: (x) => x.abs().add(0.1) },
  rsqrt: { f: tf.rsqrt, grad: true, domain: (x) => x.abs().add(0.1) },
  reciprocal: { f: tf.reciprocal, grad: true, domain: (x) => x.abs().add(0.1) }
}

/** Exp, log, tanh (sigmoid, softplus, elu) come from the C library in the addon, V8's fdlibm in JS. */
const LIBM = new Set(['elu', 'exp', 'log', 'softplus', 'sigmoid', 'tanh'])

/** A shape and axes to reduce over: contiguous or not, negative, all, keepDims. */
const reduceProblem = fc
  .record({
    shape: fc.array(dim, { minLength: 0, maxLength: 4 }),
    pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    negative: fc.boolean(),
    all: fc.boolean(),
    keepDims: fc.boolean(),
    seed: fc.integer()
  })
  .map((p) => {
    const r = p.shape.length
    const axes = p.shape
      .map((_, i) => i)
      .filter((i) => p.pick[i])
      .map((i) => (p.negative ? i - r : i))
    return { shape: p.shape, axis: p.all || axes.length === 0 ? undefined : axes, keepDims: p.keepDims, seed: p.seed }
  })

function nativeCalls(kernels: Array<string>): number {
  const st = nativeKernelStats()
  return kernels.reduce((n, k) => n + (st[k]?.native ?? 0), 0)
}

describe('native element-wise kernels match cpu', () => {
  it('binary ops with equal shapes, scalars, trailing, leading and general broadcasts: values', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(
      fc.tuple(broadcastPair, fc.constantFrom(...Object.keys(BINARY_OPS))),
      async ([p, op]) => {
        await same(`${op} ${JSON.stringify(p)}`, [special(p.a, p.seed), special(p.b, p.seed + 1)], (a, b) => [
          BINARY_OPS[op](a, b)
        ])
      },
      4 * RUNS
    )
    // The same shapes with a repeated operand, so that equal elements meet (Equal, ≥, Maximum…).
    await property(fc.tuple(broadcastPair, fc.constantFrom(...Object.keys(BINARY_OPS))), async ([p, op]) => {
      await same(`${op}(x, x) ${JSON.stringify(p)}`, [special(p.a, p.seed)], (a) => [BINARY_OPS[op](a, a)])
    })
    assert.ok(nativeCalls([tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.Greater, tf.Equal]) > 0, 'fast paths ran')
  })

  it('binary ops: gradients with broadcasting (Sum over the broadcast axes)', async (t) => {
    if (!need(t, 'native')) return
    await property(fc.tuple(broadcastPair, fc.constantFrom(...DIFFERENTIABLE_BINARY)), async ([p, op]) => {
      const outS = tf.tidy(
        () => tf.broadcastTo(tf.zeros(p.a), tf.broadcast_util.assertAndGetBroadcastShape(p.a, p.b)).shape
      )
      await same(
        `${op} gradient ${JSON.stringify(p)}`,
        [data(p.a, p.seed), data(p.b, p.seed + 1), data(outS, p.seed + 2)],
        (a, b, r) => [
          ...tf.grads((x: tf.Tensor, y: tf.Tensor): tf.Scalar => BINARY_OPS[op](x, y).mul(r).sum())([a, b])
        ],
        1e-6
      )
    })
  })

  it('bias add [B, n] + [n] and per-row scale [B, n] · [B, 1] use the fast paths', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(
      fc.record({ b: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 1, max: 9 }), seed: fc.integer() }),
      async (p) => {
        await same(
          `bias add ${JSON.stringify(p)}`,
          [data([p.b, p.n], p.seed), data([p.n], p.seed + 1), data([p.b, 1], p.seed + 2)],
          (x, bias, s) => [
            tf.add(x, bias),
            tf.mul(x, s),
            tf.sub(s, x),
            ...tf.grads((u: tf.Tensor, v: tf.Tensor): tf.Scalar => tf.add(u, v).relu().sum())([x, bias])
          ]
        )
      }
    )
    const st = nativeKernelStats()
    assert.equal(st[tf.Add]?.fallback ?? 0, 0, 'bias add never fell back')
    assert.equal(st[tf.Multiply]?.fallback ?? 0, 0, 'row scale never fell back')
    assert.equal(st[tf.Sum]?.fallback ?? 0, 0, 'bias gradient never fell back')
  })

  it('general broadcasts fall back to cpu', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await same('[3, 1] + [1, 4]', [data([3, 1], 1), data([1, 4], 2)], (a, b) => [tf.add(a, b)])
    await same('[2, 3, 4] · [2, 1, 4]', [data([2, 3, 4], 1), data([2, 1, 4], 2)], (a, b) => [tf.mul(a, b)])
    await same('int32 add', [data([5], 3)], (a) => [tf.add(a.toInt(), tf.scalar(2, 'int32')).toFloat()])
    const st = nativeKernelStats()
    assert.equal(st[tf.Add]?.fallback, 4, 'Add fell back (twice per backend run)')
    assert.equal(st[tf.Multiply]?.fallback, 2, 'Multiply fell back')
  })

  it('unary ops: values (edge cases included) and gradients', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(
      fc.tuple(outShape, fc.constantFrom(...Object.keys(UNARY_OPS)), fc.integer()),
      async ([shape, op, seed]) => {
        const u = UNARY_OPS[op]
        const rtol = LIBM.has(op) ? 1e-6 : 0
        await same(`${op} ${JSON.stringify(shape)}`, [special(shape, seed, 3)], (x) => [u.f(x)], rtol)
        if (u.grad === true) {
          await same(
            `${op} gradient ${JSON.stringify(shape)}`,
            [data(shape, seed), data(shape, seed + 1)],
            (x, r) => {
              const dom = u.domain ?? ((y: tf.Tensor) => y)
              return [tf.grad((y: tf.Tensor): tf.Scalar => u.f(dom(y)).mul(r).sum())(x)]
            },
            1e-6
          )
        }
      }
    )
    assert.ok(
      nativeCalls([tf.Relu, tf.LeakyRelu, tf.Step, tf.Exp, tf.Tanh, tf.Sigmoid, tf.Softplus, tf.Sqrt]) > 0,
      'fast paths ran'
    )
  })

  it('select (where): values, gradients, and the rank-1 condition falls back', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(fc.tuple(outShape, fc.integer()), async ([shape, seed]) => {
      await same(
        `where ${JSON.stringify(shape)}`,
        [special(shape, seed), data(shape, seed + 1), data(shape, seed + 2), data(shape, seed + 3)],
        (c, a, b, r) => [
          tf.where(tf.greater(c, 0), a, b),
          ...tf.grads((x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.where(tf.greater(c, 0), x, y).mul(r).sum())([a, b])
        ]
      )
    })
    assert.ok(nativeCalls([tf.Select]) > 0, 'Select ran natively')
    resetNativeKernelStats()
    // tf.where broadcasts the condition first; the kernel itself also takes a rank-1 one.
    await same('Select with a rank-1 condition', [data([3], 1), data([3, 4], 2), data([3, 4], 3)], (c, a, b) => [
      tf.engine().runKernel(tf.Select, { condition: tf.greater(c, 0), t: a, e: b }) as tf.Tensor
    ])
    assert.equal(nativeKernelStats()[tf.Select]?.fallback, 2, 'rank-1 condition fell back')
  })

  it('sum and mean over any axes, keepDims: values and gradients', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    await property(reduceProblem, async (p) => {
      await same(`sum/mean ${JSON.stringify(p)}`, [special(p.shape, p.seed)], (x) => [
        tf.sum(x, p.axis, p.keepDims),
        tf.mean(x, p.axis, p.keepDims)
      ])
      await same(
        `sum/mean gradients ${JSON.stringify(p)}`,
        [data(p.shape, p.seed)],
        (x) => [
          tf.grad((y: tf.Tensor): tf.Scalar =>
            tf
              .sum(y, p.axis, p.keepDims)
              .square()
              .sum()
              .add(tf.mean(y, p.axis, p.keepDims).sum())
          )(x)
        ],
        1e-6
      )
    })
    assert.ok(nativeCalls([tf.Sum, tf.Mean]) > 0, 'Sum and Mean ran natively')
    assert.ok((nativeKernelStats()[tf.Sum]?.fallback ?? 0) > 0, 'scattered axes fell back')
  })

  it('slice and split (concat’s gradient): values and gradients, any axis', async (t) => {
    if (!need(t, 'native')) return
    resetNativeKernelStats()
    const sliceProblem = fc
      .record({
        shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        seed: fc.integer({ min: 1, max: 1000 }),
        at: fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 8, maxLength: 8 })
      })
      .map((p) => {
        const begin = p.shape.map((d, i) => Math.floor(p.at[i] * d))
        const size = p.shape.map((d, i) => Math.max(1, Math.floor(p.at[i + 4] * (d - begin[i]))))
        const axis = Math.floor(p.at[7] * p.shape.length) % p.shape.length
        return { shape: p.shape, seed: p.seed, begin, size, axis }
      })
    await property(sliceProblem, async (p) => {
      await same(`slice ${JSON.stringify(p)}`, [data(p.shape, p.seed)], (x) => [tf.slice(x, p.begin, p.size)])
      const parts = p.shape[p.axis] >= 2 ? [1, p.shape[p.axis] - 1] : [p.shape[p.axis]]
      await same(`split ${JSON.stringify(p)}`, [data(p.shape, p.seed)], (x) => tf.split(x, parts, p.axis))
      await same(`concat gradient ${JSON.stringify(p)}`, [data(p.shape, p.seed), data(p.shape, p.seed + 1)], (x, y) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.concat([a, b], p.axis).square().sum())([x, y])
      )
    })
    assert.ok(nativeCalls([tf.Slice, tf.SplitV]) > 0, 'Slice and SplitV ran natively')
  })

  it('an Adam training step of an MLP matches cpu', async (t) => {
    if (!need(t, 'native')) return
    const train = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor): Array<tf.Tensor> => {
      const v1 = tf.variable(w1)
      const v2 = tf.variable(w2)
      const opt = tf.train.adam(0.01, 0.5, 0.999)
      for (let i = 0; i < 3; i++) {
        opt.minimize(
          () =>
            tf
              .leakyRelu(tf.add(tf.matMul(tf.relu(tf.matMul(x, v1)), v2), 0.1), 0.2)
              .square()
              .mean() as tf.Scalar
        )
      }
      const out = [v1.clone(), v2.clone()]
      opt.dispose()
      tf.dispose([v1, v2])
      return out
    }
    await same('adam step', [data([16, 5], 1), data([5, 9], 2), data([9, 3], 3)], train, 1e-6)
  })
})

describe('wasm training kernels match cpu', () => {
  it('registers what wasm lacked, idempotently', (t) => {
    if (!need(t, 'wasm')) return
    const before = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc
    const mm = tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc
    registerWasmTrainingKernels()
    assert.ok(before !== undefined)
    assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc, before)
    assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc, mm)
    assert.deepEqual(missingWasmTrainingKernels(), [])
    assert.deepEqual(missingKernels('wasm', [tf.Conv2DBackpropFilter, tf.FFT]), [tf.FFT])
  })

  it('conv2d: values and gradients (Conv2DBackpropFilter, Conv2DBackpropInput)', async (t) => {
    if (!need(t, 'wasm')) return
    await property(convProblem, async (p) =>
      agree('wasm', `conv2d ${JSON.stringify(p)}`, convInputs(p), (x, w, r) => convAndGrads(x, w, r, p))
    )
  })

  it('conv2d gradients when the im2col buffer is split over the batch', async (t) => {
    if (!need(t, 'wasm')) return
    setWasmIm2colLimit(40)
    try {
      await property(
        convProblem.map((p) => ({ ...p, n: 3 })),
        async (p) =>
          agree('wasm', `split conv2d ${JSON.stringify(p)}`, convInputs(p), (x, w, r) => convAndGrads(x, w, r, p))
      )
    } finally {
      setWasmIm2colLimit(1 << 24)
    }
  })

  it('conv2d and conv2dTranspose gradients with every weight gradient as a dilated convolution', async (t) => {
    if (!need(t, 'wasm')) return
    const old = setWasmFilterByConvMinChannels(1)
    try {
      await property(convProblem, async (p) =>
        agree('wasm', `conv2d, dW by conv ${JSON.stringify(p)}`, convInputs(p), (x, w, r) => convAndGrads(x, w, r, p))
      )
      await property(tconvProblem, async (p) =>
        agree('wasm', `conv2dTranspose, dW by conv ${JSON.stringify(p)}`, tconvInputs(p), (x, w, r) =>
          tconvAndGrads(x, w, r, p)
        )
      )
    } finally {
      setWasmFilterByConvMinChannels(old)
    }
  })

  it('conv2dTranspose: values and gradients', async (t) => {
    if (!need(t, 'wasm')) return
    await property(tconvProblem, async (p) =>
      agree('wasm', `conv2dTranspose ${JSON.stringify(p)}`, tconvInputs(p), (x, w, r) => tconvAndGrads(x, w, r, p))
    )
  })

  it('matMul with transposes: values and gradients', async (t) => {
    if (!need(t, 'wasm')) return
    // wasm's BatchMatMul broadcasts batch dims like cpu only for equal batches or a 1.
    await property(matmulProblem, async (p) =>
      agree('wasm', `matMul ${JSON.stringify(p)}`, matmulInputs(p).slice(0, 3), (a, b, r) => matmulAndGrads(a, b, r, p))
    )
  })

  it('matMul of a few rows by a wide new operand (run as Cᵀ = Bᵀ·Aᵀ): values and gradients', async (t) => {
    if (!need(t, 'wasm')) return
    // k·n ≥ 2¹⁷ floats and m ≤ n / 2 take the swapped form (src/backend/wasm-kernels.ts); tb is a dense
    // layer's input gradient dy·Wᵀ
    for (const [m, k, n] of [
      [3, 16, 8192],
      [5, 32, 4099]
    ])
      for (const tb of [false, true]) {
        const p = { m, k, n, ta: false, tb, batch: [[], []] as [Array<number>, Array<number>], seed: m + n }
        await agree('wasm', `wide matMul ${JSON.stringify(p)}`, matmulInputs(p).slice(0, 3), (a, b, r) =>
          matmulAndGrads(a, b, r, p)
        )
      }
  })

  it('Identity shares its input: a clone holds no copy, outlives the original, and the tape still works', async (t) => {
    if (!need(t, 'wasm')) return
    await tf.setBackend('wasm')
    try {
      const before = tf.memory().numDataBuffers
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])
      const y = tf.clone(x)
      assert.equal(tf.memory().numDataBuffers - before, 1, 'one buffer for x and its clone (a copy makes two)')
      x.dispose()
      assert.deepEqual(Array.from(await y.data()), [1, 2, 3, 4, 5, 6], 'the clone outlives the original')
      y.dispose()
      assert.equal(tf.memory().numDataBuffers, before, 'the shared buffer is freed with its last tensor')
      // a matmul saves its operands for the gradient through Identity (tfjs's engine clones them)
      const w0 = tf.tensor2d([0.5, -1, 2, 0.25, 1, -0.5], [3, 2])
      const w = tf.variable(w0)
      const a = tf.tensor2d([1, 2, 3, -1, 0, 1], [2, 3])
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(a, w))), [w])
      // aW by hand, row by row; Σ (aW)² and d/dW = 2 aᵀ(aW)
      const aw = [0.5 * 1 + 2 * 2 + 1 * 3, -1 * 1 + 0.25 * 2 + -0.5 * 3, 0.5 * -1 + 1 * 1, -1 * -1 + -0.5 * 1]
      const sum = aw.reduce((acc, v) => acc + v * v, 0)
      assert.ok(Math.abs((await value.data())[0] - sum) < 1e-5, `value ${(await value.data())[0]} vs ${sum}`)
      const want = [1, -1, 2, 0, 3, 1].map((_, i) => {
        const [r, c] = [Math.floor(i / 2), i % 2]
        const at = [
          [1, -1],
          [2, 0],
          [3, 1]
        ][r]
        return 2 * (at[0] * aw[c] + at[1] * aw[2 + c])
      })
      const got = Array.from(await grads[w.name].data())
      got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-4, `dW[${i}] ${g} vs ${want[i]}`))
      tf.dispose([w0, w, a, value, grads[w.name]])
      assert.equal(tf.memory().numDataBuffers, before, 'nothing left after the gradient')
    } finally {
      await tf.setBackend('cpu')
    }
  })

  it('fused matMul with transposes, bias and activations', async (t) => {
    if (!need(t, 'wasm')) return
    const twoD = matmulProblem.map((p) => ({ ...p, batch: [[], []] as [Array<number>, Array<number>] }))
    await property(
      fc.tuple(twoD, fc.constantFrom<tf.fused.Activation>('linear', 'relu', 'leakyrelu', 'sigmoid')),
      async ([p, act]) => {
        const [a, b, r, bias] = matmulInputs(p)
        await agree('wasm', `fused matMul ${act} ${JSON.stringify(p)}`, [a, b, bias], (x, y, z) =>
          fusedValues(x, y, z, p, act)
        )
        if (act === 'linear' || act === 'relu') {
          await agree('wasm', `fused matMul grads ${act} ${JSON.stringify(p)}`, [a, b, r, bias], (x, y, rr, z) =>
            fusedGrads(x, y, rr, z, p, act)
          )
        }
      }
    )
  })

  it('activation gradients (relu, leakyRelu, tanh, sigmoid, softplus)', async (t) => {
    if (!need(t, 'wasm')) return
    const acts: Record<string, (x: tf.Tensor) => tf.Tensor> = {
      relu: (x) => tf.relu(x),
      leakyRelu: (x) => tf.leakyRelu(x, 0.2),
      tanh: (x) => tf.tanh(x),
      sigmoid: (x) => tf.sigmoid(x),
      softplus: (x) => tf.softplus(x)
    }
    await property(
      fc.tuple(fc.constantFrom(...Object.keys(acts)), fc.integer({ min: 1, max: 40 }), fc.integer()),
      async ([name, n, seed]) => {
        await agree('wasm', `${name} gradient`, [data([n], seed), data([n], seed + 1)], (x, r) => [
          acts[name](x),
          tf.grad((y: tf.Tensor) => acts[name](y).mul(r).sum())(x)
        ])
      }
    )
  })
})

describe('no leaks', () => {
  for (const backend of ['native', 'wasm']) {
    it(`${backend}: tensors and backend buffers are unchanged across repeated conv / matMul training ops`, async (t) => {
      if (!need(t, backend)) return
      assert.ok(await tf.setBackend(backend))
      try {
        const x = tf.randomUniform([2, 9, 9, 3], -1, 1, 'float32', 1) as tf.Tensor4D
        const w = tf.randomUniform([3, 3, 3, 4], -1, 1, 'float32', 2) as tf.Tensor4D
        const a = tf.randomUniform([5, 7], -1, 1, 'float32', 3) as tf.Tensor2D
        const b = tf.randomUniform([6, 7], -1, 1, 'float32', 4) as tf.Tensor2D
        const step = (): void => {
          const out = tf.tidy(() => {
            const [gx, gw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor): tf.Scalar =>
              tf
                .conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same')
                .square()
                .sum()
            )([x, w])
            const [ga, gb] = tf.grads((aa: tf.Tensor, bb: tf.Tensor): tf.Scalar =>
              tf.matMul(aa, bb, false, true).relu().sum()
            )([a, b])
            const tc = tf.conv2dTranspose(tf.conv2d(x, w, 2, 'same'), w, [2, 9, 9, 3], 2, 'same')
            const mask = tf.greater(b.slice([0, 0], [5, 7]), 0)
            const ew = tf.grads((aa: tf.Tensor, bb: tf.Tensor): tf.Scalar =>
              tf.where(mask, tf.leakyRelu(aa, 0.2), tf.sigmoid(aa)).add(tf.sum(bb, 0)).mul(aa.div(2)).square().mean()
            )([a, b])
            return tf.addN([gx.sum(), gw.sum(), ga.sum(), gb.sum(), tc.sum(), ew[0].sum(), ew[1].sum()])
          })
          out.dataSync()
          out.dispose()
        }
        step()
        const m0 = tf.memory()
        // tf.memory() counts the buffers of tensors; a kernel's own intermediates live only in the backend
        const ids0 = tf.backend().numDataIds()
        for (let i = 0; i < 5; i++) step()
        // wasm: the weight gradients once more as dilated convolutions (at 3 channels they take im2col)
        const old = backend === 'wasm' ? setWasmFilterByConvMinChannels(1) : undefined
        try {
          for (let i = 0; i < 5; i++) step()
        } finally {
          if (old !== undefined) setWasmFilterByConvMinChannels(old)
        }
        const m1 = tf.memory()
        assert.equal(m1.numTensors, m0.numTensors, 'numTensors')
        assert.equal(m1.numDataBuffers, m0.numDataBuffers, 'numDataBuffers')
        assert.equal(tf.backend().numDataIds(), ids0, "the backend's data ids (kernel intermediates)")
        tf.dispose([x, w, a, b])
      } finally {
        await tf.setBackend('cpu')
      }
    })
  }
})
