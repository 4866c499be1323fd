/**
 * Backend selection (src/backend/select.ts): outcomes are data (typed skips and choices), the
 * order is walked once, a probe's kernels are profiled once per key, and a backend that lacks a
 * kernel the probe ran is skipped for the next in order.
 */
import assert from 'node:assert/strict'
import { describe as suite, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'

import { BackendError, chooseBackend, describeSkip, kernelsOf, stepKernels } from '../src/backend/select.ts'
import { wasmAdam } from '../src/backend/wasm-adam.ts'

// A kernel that only `cpu` has: every other backend lacks it.
const ONLY_CPU = 'LossAlgebraTestOnlyCpu'
const ONLY_WASM = 'LossAlgebraTestOnlyWasm'
tf.registerKernel({
  kernelName: ONLY_CPU,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo
    const cpu = backend as unknown as {
      makeTensorInfo(shape: Array<number>, dtype: string, v: Float32Array): tf.TensorInfo
      data: { get(id: object): { values: Float32Array } }
    }
    return cpu.makeTensorInfo([...x.shape], 'float32', Float32Array.from(cpu.data.get(x.dataId).values))
  }
})

suite('backend selection', () => {
  it('an unknown requested backend is a BackendError with one typed skip, listing the available ones', async () => {
    await assert.rejects(chooseBackend({ requested: 'nonesuch' }), (e: unknown) => {
      assert.ok(e instanceof BackendError)
      assert.equal(e.requested, 'nonesuch')
      assert.deepEqual(
        e.skipped.map((s) => [s._tag, s.backend]),
        [['Unavailable', 'nonesuch']]
      )
      assert.ok(e.available.includes('cpu'))
      assert.match(
        e.message,
        /backend 'nonesuch' cannot be used \(nonesuch: no backend named nonesuch is registered\); available: .*cpu/
      )
      return true
    })
  })

  it('a requested backend reports "requested" and carries its in-place kernels', async () => {
    const c = await chooseBackend({ requested: 'cpu' })
    assert.equal(c.name, 'cpu')
    assert.equal(tf.getBackend(), 'cpu')
    assert.deepEqual(c.chosen, { _tag: 'Requested', backend: 'cpu' })
    assert.equal(c.reason, 'cpu: requested')
    assert.equal(typeof c.kernels.adam, 'function')
    assert.equal(stepKernels('wasm').adam, wasmAdam, 'wasm: Adam as one pass into new buffers (test/wasm-adam.test.ts)')
  })

  it('skips, in order, every backend that lacks a kernel the game needs, and says why', async () => {
    // `native` mirrors every cpu kernel, so the one kernel only `wasm` has is what native lacks
    tf.registerKernel({
      kernelName: ONLY_WASM,
      backendName: 'wasm',
      kernelFunc: () => {
        throw new Error('not run')
      }
    })
    const c = await chooseBackend({ kernels: [ONLY_WASM] })
    assert.equal(c.name, 'wasm')
    assert.deepEqual(
      c.skipped.map((s) => s.backend),
      ['tensorflow', 'native']
    )
    for (const s of c.skipped) {
      if (s._tag === 'LacksKernels') assert.deepEqual(s.kernels, [ONLY_WASM], describeSkip(s))
      else assert.equal(s._tag, 'Unavailable', describeSkip(s))
    }
    assert.match(
      c.reason,
      /^wasm: tfjs-backend-wasm with the added training kernels, has all 1 kernels of the game's step \(skipped tensorflow: .*; native: /
    )
    await tf.setBackend('cpu')
  })

  it('a requested backend that lacks a probed kernel is refused', async () => {
    await assert.rejects(chooseBackend({ requested: 'wasm', kernels: [ONLY_CPU] }), (e: unknown) => {
      assert.ok(e instanceof BackendError)
      assert.deepEqual(e.skipped, [{ _tag: 'LacksKernels', backend: 'wasm', kernels: [ONLY_CPU] }])
      return true
    })
    await tf.setBackend('cpu')
  })

  it('profiles a keyed probe once', async () => {
    let runs = 0
    const probe = {
      key: 'test: one matmul',
      run: () => {
        runs++
        tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])))
      }
    }
    const first = await kernelsOf(probe)
    const second = await kernelsOf(probe)
    assert.equal(runs, 1)
    assert.deepEqual(second, first)
    assert.ok(first.includes(tf.BatchMatMul))
    const only = await kernelsOf(() => {
      const x = tf.ones([2])
      tf.dispose([x, tf.engine().runKernel(ONLY_CPU, { x }) as tf.Tensor])
    })
    assert.ok(only.includes(ONLY_CPU))
  })
})
