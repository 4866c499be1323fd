/**
 * Fused conv layers on `native` (src/backend/native-conv.ts) agree with the plain ops on `cpu`: values,
 * first-order gradients, and second-order gradients (a penalty on ∇ₓD through a fused conv and a fused
 * dense layer); they really ran fused (kernel counters), and they leak nothing. Skipped, saying why,
 * without the addon.
 */
import { before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as tf from '@tensorflow/tfjs'
import { nativeUnavailableReason, registerNativeBackend } from '../src/backend/native.ts'
import { convForward } from '../src/backend/native-conv.ts'
import { denseForward } from '../src/backend/native-dense.ts'
import type { DenseActivation } from '../src/backend/native-dense.ts'
import { registerSecondOrderGradients } from '../src/compile/gradients.ts'
import { assertClose, on, ran, splitting as splitIn } from './native-compare.ts'
import { uniformValues } from './values.ts'

const SEED = 20261203
const RUNS = 10
const RTOL = 1e-4
let unavailable: string | null = null

before(async () => {
  tf.env().set('PROD', true)
  registerSecondOrderGradients()
  await tf.setBackend('cpu')
  if (!(await registerNativeBackend())) unavailable = nativeUnavailableReason() ?? 'native addon not built'
  else if (!(await tf.setBackend('native'))) unavailable = 'native backend failed to initialise'
  await tf.setBackend('cpu')
})

function need(t: TestContext): boolean {
  if (unavailable !== null) t.skip(`native addon not built (${unavailable})`)
  return unavailable === null
}

const problem = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  side: fc.constantFrom(2, 4, 6),
  // up to 6: backward data takes the col2im path at ≤ 4 input channels, oneDNN's above
  cin: fc.integer({ min: 1, max: 6 }),
  cout: fc.integer({ min: 1, max: 4 }),
  act: fc.constantFrom<DenseActivation>('linear', 'relu', 'leakyRelu', 'tanh'),
  seed: fc.integer({ min: 1, max: 2 ** 30 })
})
type Problem = typeof problem extends fc.Arbitrary<infer T> ? T : never

interface Inputs {
  x: tf.Tensor4D
  w: tf.Tensor4D
  b: tf.Tensor1D
  r: tf.Tensor4D
  w2: tf.Tensor2D
  b2: tf.Tensor1D
}

const inputs = (p: Problem): Inputs => {
  const half = p.side / 2
  const flat = half * half * p.cout
  return {
    x: tf.tensor4d(uniformValues(p.n * p.side * p.side * p.cin, p.seed), [p.n, p.side, p.side, p.cin]),
    w: tf.tensor4d(uniformValues(16 * p.cin * p.cout, p.seed + 1), [4, 4, p.cin, p.cout]),
    b: tf.tensor1d(uniformValues(p.cout, p.seed + 2)),
    r: tf.tensor4d(uniformValues(p.n * flat, p.seed + 3), [p.n, half, half, p.cout]),
    w2: tf.tensor2d(uniformValues(flat, p.seed + 4), [flat, 1]),
    b2: tf.tensor1d(uniformValues(1, p.seed + 5))
  }
}

/** y, and the gradients of Σ y·r with respect to x, W and b. */
function firstOrder(p: Problem, i: Inputs): Array<tf.Tensor> {
  const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(convForward(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, p.act), i.r))
  return [convForward(i.x, i.w, i.b, p.act), ...tf.grads(f)([i.x, i.w, i.b])]
}

/** A critic D(x) = dense(flatten(conv(x))) and the gradients of Σ (∇ₓ Σ D(x))² with respect to its weights. */
function secondOrder(p: Problem, i: Inputs): Array<tf.Tensor> {
  const vars = [i.w, i.b, i.w2, i.b2].map((t) => tf.variable(t))
  const [w, b, w2, b2] = vars as unknown as [tf.Tensor4D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D]
  const critic = (x: tf.Tensor4D): tf.Tensor => {
    const h = convForward(x, w, b, p.act)
    return denseForward(tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D, w2, b2, 'linear')
  }
  const penalty = (): tf.Scalar => {
    const gx = tf.grad((x: tf.Tensor) => tf.sum(critic(x as tf.Tensor4D)))(i.x)
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
  async (p: Problem): Promise<void> =>
    assertClose(await on('native', p, inputs, f), await on('cpu', p, inputs, f), JSON.stringify(p), RTOL)

describe('fused conv layers (native) match the plain ops on cpu', () => {
  it('values and gradients for every activation; one FusedConv2D forward, LaDenseGrad backward', async (t) => {
    if (!need(t)) return
    const [f0, g0] = [ran('FusedConv2D'), ran('LaDenseGrad')]
    await fc.assert(fc.asyncProperty(problem, check(firstOrder)), { seed: SEED, numRuns: RUNS })
    assert.ok(ran('FusedConv2D') > f0, 'the fused forward kernel ran')
    assert.ok(ran('LaDenseGrad') > g0, 'the fused backward kernel ran')
  })

  it('second-order gradients (a penalty on ∇ₓD through a fused conv layer)', async (t) => {
    if (!need(t)) return
    const f0 = ran('FusedConv2D')
    await fc.assert(fc.asyncProperty(problem, check(secondOrder)), { seed: SEED + 1, numRuns: RUNS })
    assert.ok(ran('FusedConv2D') > f0, 'the fused forward kernel ran')
  })

  it('leaks no tensors (forward, gradient, penalty gradient)', async (t) => {
    if (!need(t)) return
    await tf.setBackend('native')
    const p: Problem = { n: 2, side: 4, cin: 2, cout: 3, act: 'leakyRelu', seed: 11 }
    const i = inputs(p)
    const before = tf.memory().numTensors
    for (let k = 0; k < 3; k++) {
      tf.dispose(tf.tidy(() => firstOrder(p, i)))
      tf.dispose(tf.tidy(() => secondOrder(p, i)))
    }
    assert.equal(tf.memory().numTensors, before)
    tf.dispose(Object.values(i))
    await tf.setBackend('cpu')
  })
})

describe('convolutions split in two halves of the batch on two threads (native) match cpu', () => {
  // every convolution of two or more examples splits (threshold 1 multiply-add), odd batches included
  const split = problem.map((p) => ({ ...p, n: p.n + 1 + (p.seed % 3) }))
  const splitting = (t: TestContext, f: () => Promise<void>): Promise<void> =>
    need(t) ? splitIn(t, 'convolutions', f) : Promise.resolve()

  it('values and gradients (forward, backward data, backward weights summed over both halves)', (t) =>
    splitting(t, () => fc.assert(fc.asyncProperty(split, check(firstOrder)), { seed: SEED + 2, numRuns: RUNS })))

  it('second-order gradients through split convolutions', (t) =>
    splitting(t, () => fc.assert(fc.asyncProperty(split, check(secondOrder)), { seed: SEED + 3, numRuns: RUNS })))
})
