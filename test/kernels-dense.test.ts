/**
 * Fused dense layers on `native` (src/backend/native-dense.ts) agree with the plain ops on `cpu`:
 * values, first-order gradients, and second-order gradients (a gradient penalty on ∇ₓD, which
 * differentiates through the fused kernel's own gradient); they really ran fused (kernel counters),
 * switching them off runs the plain ops, and they leak nothing. Skipped, saying why, without the addon.
 */
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as tf from '@tensorflow/tfjs'
import { loadNativeAddon, nativeUnavailableReason, registerNativeBackend } from '../src/backend/native.ts'
import { denseForward, denseFused, setNativeFusedDense } from '../src/backend/native-dense.ts'
import type { DenseActivation } from '../src/backend/native-dense.ts'
import { registerSecondOrderGradients } from '../src/compile/gradients.ts'
import { setNativeMinElements } from '../src/backend/native-util.ts'
import { assertClose, on, ran, splitting as splitIn } from './native-compare.ts'
import { uniformValues } from './values.ts'

const SEED = 20261202
const RUNS = 12
const RTOL = 1e-4
let unavailable: string | null = null

before(async () => {
  tf.env().set('PROD', true)
  registerSecondOrderGradients() // as compiled games do: the plain ops' second-order gradients on cpu
  await tf.setBackend('cpu')
  if (!(await registerNativeBackend())) unavailable = nativeUnavailableReason() ?? 'native addon not built'
  else if (!(await tf.setBackend('native'))) unavailable = 'native backend failed to initialise'
  await tf.setBackend('cpu')
})

after(async () => {
  setNativeFusedDense(true)
  await tf.setBackend('cpu')
})

function need(t: TestContext): boolean {
  if (unavailable !== null) t.skip(`native addon not built (${unavailable})`)
  return unavailable === null
}

const activation = fc.constantFrom<DenseActivation>('linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid')
const problem = fc.record({
  rows: fc.integer({ min: 1, max: 7 }),
  n: fc.integer({ min: 1, max: 9 }),
  m: fc.integer({ min: 1, max: 9 }),
  act: activation,
  act2: activation,
  seed: fc.integer({ min: 1, max: 2 ** 30 })
})
type Problem = typeof problem extends fc.Arbitrary<infer T> ? T : never

interface Inputs {
  x: tf.Tensor2D
  w: tf.Tensor2D
  b: tf.Tensor1D
  r: tf.Tensor2D
  w2: tf.Tensor2D
  b2: tf.Tensor1D
}

const inputs = (p: Problem): Inputs => ({
  x: tf.tensor2d(uniformValues(p.rows * p.n, p.seed), [p.rows, p.n]),
  w: tf.tensor2d(uniformValues(p.n * p.m, p.seed + 1), [p.n, p.m]),
  b: tf.tensor1d(uniformValues(p.m, p.seed + 2)),
  r: tf.tensor2d(uniformValues(p.rows * p.m, p.seed + 3), [p.rows, p.m]),
  w2: tf.tensor2d(uniformValues(p.m * 3, p.seed + 4), [p.m, 3]),
  b2: tf.tensor1d(uniformValues(3, p.seed + 5))
})

/** y, and the gradients of Σ y·r with respect to x, W and b. */
function firstOrder(p: Problem, i: Inputs): Array<tf.Tensor> {
  const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(denseForward(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, p.act), i.r))
  return [denseForward(i.x, i.w, i.b, p.act), ...tf.grads(f)([i.x, i.w, i.b])]
}

/**
 * A two-layer critic D(x) = dense₂(dense₁(x)) and the gradients of the penalty Σ (∇ₓ Σ D(x))² with
 * respect to both layers' weights and biases: the outer gradient runs through the inner one.
 */
function secondOrder(p: Problem, i: Inputs): Array<tf.Tensor> {
  const critic = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D): tf.Tensor =>
    denseForward(denseForward(x, w, b, p.act), w2, b2, p.act2)
  // every weight and bias as a variable (a bias ∇ₓD does not depend on gets no gradient: left out)
  const vars = [i.w, i.b, i.w2, i.b2].map((t) => tf.variable(t))
  const [w, b, w2, b2] = vars as unknown as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D]
  const penalty = (): tf.Scalar => {
    const gx = tf.grad((x: tf.Tensor) => tf.sum(critic(x as tf.Tensor2D, w, b, w2, b2)))(i.x)
    return tf.sum(tf.square(gx))
  }
  try {
    const { value, grads } = tf.variableGrads(penalty, vars)
    return [value, ...vars.filter((v) => v.name in grads).map((v) => grads[v.name])]
  } finally {
    tf.dispose(vars)
  }
}

const check =
  (f: (p: Problem, i: Inputs) => Array<tf.Tensor>) =>
  async (p: Problem): Promise<void> => {
    const want = await on('cpu', p, inputs, f)
    const got = await on('native', p, inputs, f)
    assertClose(got, want, JSON.stringify(p), RTOL)
  }

describe('dense products split in two halves on two threads (native) match cpu', () => {
  // every product whose longer side (rows of x, or outputs of W for its gradient) is ≥ 32 splits
  const split = problem.chain((p) =>
    fc
      .record({ rows: fc.integer({ min: 32, max: 70 }), m: fc.integer({ min: 32, max: 45 }) })
      .map((s) => ({ ...p, ...s }))
  )
  const splitting = (t: TestContext, f: () => Promise<void>): Promise<void> =>
    need(t) ? splitIn(t, 'products', f) : Promise.resolve()
  it('values and gradients', (t) =>
    splitting(t, () => fc.assert(fc.asyncProperty(split, check(firstOrder)), { seed: SEED + 7, numRuns: RUNS })))
  it("a split call at the primitive cache's cap keeps both halves' primitives (none dropped mid-call)", (t) =>
    splitting(t, async () => {
      const lib = loadNativeAddon()!
      const product = (m: number, k: number, n: number): Float32Array => {
        const out = new Float32Array(m * n)
        const params = Int32Array.of(1, 1, m, k, n, 0, 0, 0, 0)
        lib.matmul(params, new Float32Array(m * k).fill(1), new Float32Array(k * n).fill(2), null, out, 0)
        return out
      }
      // one whole product and one split product of new shapes per round: three new primitives a round,
      // past the cache's cap of 512 once, at every fill level of the cache modulo 3
      for (let k = 1; k <= 200; k++) {
        product(1, k, 1)
        const out = product(40, k, 36)
        assert.ok(lib.info().cachedPrimitives >= 2, `round ${k}: both halves still cached after the call`)
        assert.ok(
          out.every((v) => v === 2 * k),
          `round ${k}: every element of the split product is right`
        )
      }
    }))
  it('second-order gradients', (t) =>
    splitting(t, () => fc.assert(fc.asyncProperty(split, check(secondOrder)), { seed: SEED + 8, numRuns: RUNS })))
})

describe('fused dense layers (native) match the plain ops on cpu', () => {
  it('values and gradients for every activation, odd shapes; one kernel forward, LaDenseGrad backward', async (t) => {
    if (!need(t)) return
    const [f0, g0] = [ran('LaDense') + ran('LaDenseLinear'), ran('LaDenseGrad')]
    await fc.assert(fc.asyncProperty(problem, check(firstOrder)), { seed: SEED, numRuns: RUNS })
    assert.ok(ran('LaDense') + ran('LaDenseLinear') > f0, 'the fused forward kernel ran')
    assert.ok(ran('LaDenseGrad') > g0, 'the fused backward kernel ran')
  })

  it('second-order gradients (a penalty on ∇ₓD through two fused layers)', async (t) => {
    if (!need(t)) return
    const f0 = ran('LaDense') + ran('LaDenseLinear')
    await fc.assert(fc.asyncProperty(problem, check(secondOrder)), { seed: SEED + 1, numRuns: RUNS })
    assert.ok(ran('LaDense') + ran('LaDenseLinear') > f0, 'the fused forward kernel ran')
  })

  it('switched off, dense layers run the plain ops (and still agree)', async (t) => {
    if (!need(t)) return
    const was = setNativeFusedDense(false)
    try {
      await tf.setBackend('native')
      assert.equal(denseFused(), false)
      await tf.setBackend('cpu')
      const f0 = ran('LaDense') + ran('LaDenseLinear')
      const p: Problem = { rows: 3, n: 4, m: 5, act: 'tanh', act2: 'leakyRelu', seed: 7 }
      await check(secondOrder)(p)
      assert.equal(ran('LaDense') + ran('LaDenseLinear'), f0)
    } finally {
      setNativeFusedDense(was)
    }
    await tf.setBackend('native')
    assert.equal(denseFused(), true)
    await tf.setBackend('cpu')
  })

  it('the backward loop gives the same floats in the addon as in TypeScript', async (t) => {
    if (!need(t)) return
    const g0 = ran('LaDenseGrad')
    for (const act of ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'] as const) {
      const p: Problem = { rows: 7, n: 9, m: 8, act, act2: 'linear', seed: 23 }
      setNativeMinElements(0)
      const addon = await on('native', p, inputs, firstOrder)
      setNativeMinElements(Infinity)
      const typescript = await on('native', p, inputs, firstOrder)
      setNativeMinElements(4096)
      assert.deepEqual(addon, typescript, act)
    }
    assert.ok(ran('LaDenseGrad') > g0)
  })

  it('leaks no tensors (forward, gradient, penalty gradient)', async (t) => {
    if (!need(t)) return
    await tf.setBackend('native')
    const p: Problem = { rows: 5, n: 6, m: 4, act: 'relu', act2: 'sigmoid', seed: 11 }
    const i = inputs(p)
    const before = tf.memory().numTensors
    for (let k = 0; k < 3; k++) {
      tf.dispose(tf.tidy(() => firstOrder(p, i)))
      tf.dispose(tf.tidy(() => secondOrder(p, i)))
      const v = tf.variable(i.w)
      const { value, grads } = tf.variableGrads(
        () => tf.sum(denseForward(i.x, v as tf.Tensor2D, i.b, 'leakyRelu')),
        [v]
      )
      tf.dispose([v, value, grads[v.name]])
    }
    assert.equal(tf.memory().numTensors, before)
    tf.dispose(Object.values(i))
    await tf.setBackend('cpu')
  })
})
