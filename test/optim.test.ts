import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as fc from 'fast-check'

import { adamInPlace, nativeAdamLoop } from '../src/backend/adam.ts'
import { setNativeSplit } from '../src/backend/native.ts'
import { adamUpdater } from '../src/compile/optim.ts'
import { testBackends, useBackend } from './backend.ts'

/** Three Adam steps on random variables and gradients: ours against tf.train.adam. */
const agreesWithTfjs = (
  shape: ReadonlyArray<number>,
  seed: number,
  lr: number,
  b1: number,
  b2: number,
  cloneFirst: boolean
): boolean => {
  const [ours, theirs] = tf.tidy(() => {
    const init = tf.randomNormal([...shape], 0, 1, 'float32', seed)
    return [tf.variable(init.clone(), true), tf.variable(init.clone(), true)]
  })
  const mine = adamUpdater([ours], lr, b1, b2)
  const reference = tf.train.adam(lr, b1, b2)
  // a live clone shares the variable's memory: the update must not write through it
  const snapshot = cloneFirst ? tf.clone(ours) : null
  const before = snapshot?.dataSync().slice()
  try {
    for (let s = 0; s < 3; s++) {
      const g = tf.randomNormal([...shape], 0, 1, 'float32', seed * 31 + s + 1)
      mine.apply([g])
      reference.applyGradients([{ name: theirs.name, tensor: g }])
      g.dispose()
    }
    const [a, b] = [ours.dataSync(), theirs.dataSync()]
    const close = a.every((x, i) => Math.abs(x - b[i]) <= 1e-6 + 1e-5 * Math.abs(b[i]))
    const untouched = snapshot === null || snapshot.dataSync().every((x, i) => x === before![i])
    return close && untouched
  } finally {
    mine.dispose()
    reference.dispose()
    tf.dispose([ours, theirs, ...(snapshot ? [snapshot] : [])])
  }
}

for (const backend of testBackends) {
  describe(`fused Adam on ${backend}`, () => {
    it('matches tf.train.adam over three steps, and never writes through a clone', async () => {
      await useBackend(backend)
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 1, max: 1000 }),
          fc.constantFrom(1e-3, 2e-4, 0.05),
          fc.constantFrom(0, 0.5, 0.9),
          fc.constantFrom(0.9, 0.999),
          fc.boolean(),
          agreesWithTfjs
        ),
        { seed: 17, numRuns: 25 }
      )
    })
    it('updates in place where the memory is the variable’s own, and only there', async () => {
      await useBackend(backend)
      // made in a tidy, so the initial tensors are freed and the variables own their memory
      const [w, m, v] = tf.tidy(() => [
        tf.variable(tf.ones([3])),
        tf.variable(tf.zeros([3])),
        tf.variable(tf.zeros([3]))
      ])
      const init = tf.ones([3])
      const aliased = tf.variable(init)
      assert.equal(
        adamInPlace(aliased, init, m, v, { beta1: 0.5, beta2: 0.999, rate: 0.1, epsilon: 1e-7 }),
        false,
        'a variable sharing its initial tensor is not updated in place'
      )
      assert.deepEqual(Array.from(init.dataSync()), [1, 1, 1])
      tf.dispose([init, aliased])
      const g = tf.ones([3])
      const c = { beta1: 0.5, beta2: 0.999, rate: 0.1, epsilon: 1e-7 }
      const expected = ['cpu', 'native'].includes(backend)
      assert.equal(adamInPlace(w, g, m, v, c), expected)
      if (expected) assert.ok(Math.abs(w.dataSync()[0] - (1 - (0.1 * 0.5) / (Math.sqrt(0.001) + 1e-7))) < 1e-6)
      // a clone shares its memory (on wasm too: src/backend/wasm-kernels.ts): the update must not show through it
      const shared = tf.clone(w)
      const seen = Array.from(shared.dataSync())
      adamInPlace(w, g, m, v, c)
      assert.deepEqual(Array.from(shared.dataSync()), seen)
      tf.dispose([w, m, v, g, shared])
    })
    it('the next matMul sees the updated weights (wasm caches packed weights per tensor)', async () => {
      await useBackend(backend)
      const w = tf.tidy(() => tf.variable(tf.randomNormal([3, 2], 0, 1, 'float32', 5)))
      const x = tf.randomNormal([4, 3], 0, 1, 'float32', 6)
      let inPlace = false
      const u = adamUpdater([w], 0.1, 0.5, 0.999, (...args) => (inPlace = adamInPlace(...args)))
      tf.matMul(x, w).dispose() // a first product, as a training step's forward pass makes
      const g = tf.ones([3, 2])
      u.apply([g])
      const got = tf.matMul(x, w)
      const fresh = tf.tensor(w.dataSync(), w.shape)
      const want = tf.matMul(x, fresh)
      assert.deepEqual(Array.from(got.dataSync()), Array.from(want.dataSync()))
      assert.equal(inPlace, ['cpu', 'native'].includes(backend), 'in place exactly where supported')
      u.dispose()
      tf.dispose([w, x, g, got, fresh, want])
    })
    it('leaks no tensor', async () => {
      await useBackend(backend)
      const w = tf.variable(tf.ones([4, 3]))
      const u = adamUpdater([w], 1e-3, 0.5, 0.999)
      const g = tf.ones([4, 3])
      u.apply([g])
      const n = tf.memory().numTensors
      for (let i = 0; i < 3; i++) u.apply([g, null].slice(0, 1))
      assert.equal(tf.memory().numTensors, n)
      u.dispose()
      tf.dispose([w, g])
    })
  })
}

if (testBackends.includes('native')) {
  describe('the addon’s Adam loop (native)', () => {
    // one size below the split, one above it with a tail that is not a multiple of 16
    for (const n of [1000, (1 << 16) + 37]) {
      it(`is used, and gives the floats of the JavaScript loop bit for bit (${n} elements)`, async () => {
        await useBackend('native')
        assert.ok(nativeAdamLoop() !== null, 'the addon has an adam entry point')
        const vals = (k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k) * (k + 1))
        const [w, m, v] = tf.tidy(() => [
          tf.variable(tf.tensor(vals(1))),
          tf.variable(tf.tensor(vals(2))),
          tf.variable(tf.tensor(vals(3)).abs())
        ])
        const g = tf.tensor(vals(4))
        const c = { beta1: 0.5, beta2: 0.999, rate: 2e-4, epsilon: 1e-8 }
        // the JavaScript loop's arithmetic, on copies
        const [W, G, M, V] = [w, g, m, v].map((t) => Float32Array.from(t.dataSync()))
        for (let i = 0; i < n; i++) {
          const mi = c.beta1 * M[i] + (1 - c.beta1) * G[i]
          const vi = c.beta2 * V[i] + (1 - c.beta2) * G[i] * G[i]
          M[i] = mi
          V[i] = vi
          W[i] -= (c.rate * mi) / (Math.sqrt(vi) + c.epsilon)
        }
        const before = setNativeSplit()?.calls ?? 0
        assert.ok(adamInPlace(w, g, m, v, c))
        const split = (setNativeSplit()?.calls ?? 0) > before
        assert.equal(split, n >= 1 << 16, 'split over two threads exactly when it is large')
        assert.deepEqual(Array.from(w.dataSync()), Array.from(W))
        assert.deepEqual(Array.from(m.dataSync()), Array.from(M))
        assert.deepEqual(Array.from(v.dataSync()), Array.from(V))
        tf.dispose([w, m, v, g])
      })
    }
  })
}
