/**
 * Adam on `wasm` as one SIMD pass (src/backend/wasm-adam.ts): the committed binary is what
 * src/backend/wasm-adam.wat assembles to, and on both wasm builds (threaded: shared memory; single
 * thread) the pass runs, gives the tensor-op update's floats exactly over several steps on sizes
 * with every remainder mod 4, a matmul that packed the weights before sees the updated ones, and
 * nothing is left behind.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'

import { runChild } from './child.ts'

const child = (threads: number) => {
  const r = runChild('test/wasm-adam-child.ts', { LOSS_ALGEBRA_WASM_THREADS: String(threads) }, 60_000)
  assert.equal(r.status, 0, `child (${threads} threads) failed: ${r.stderr}`)
  return r.out
}

describe('Adam on wasm in one pass', () => {
  it('is assembled from its .wat as committed', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-wasm-adam.mjs', '--check'], {
      encoding: 'utf8',
      timeout: 60_000
    })
    assert.equal(r.status, 0, `scripts/gen-wasm-adam.mjs --check: ${r.stderr}`)
  })

  for (const threads of [1, 2])
    it(`equals the tensor-op update, float for float, on the ${threads === 1 ? 'single-threaded' : 'threaded'} build`, () => {
      const out = child(threads)
      assert.deepEqual(
        out,
        { ran: 41, shared: threads > 1, floats: 18801, differ: 0, stale: 0, tensorsLeft: 0, buffersLeft: 0 },
        `${threads} thread(s): ${JSON.stringify(out)}`
      )
    })
})
