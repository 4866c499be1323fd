/**
 * The `wasm` backend on more than one thread under Node (src/backend/wasm-threads.ts): the threaded
 * build starts with the threads asked for, computes what `cpu` computes through the project's wasm
 * kernels, lets Node exit when the program ends (also when it fails after starting, and the
 * single-threaded build takes over), and a bad LOSS_ALGEBRA_WASM_THREADS is named.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { runChild } from './child.ts'

/** What the children print (test/wasm-threads-child.ts, test/wasm-threads-fail-child.ts). */
interface Out {
  readonly status: { threads: number; note?: string }
  readonly pool: number
  readonly worst: number
  readonly sum: number
  readonly error: string
}

const child = (env: Record<string, string>, script = 'test/wasm-threads-child.ts') => {
  const r = runChild<Out>(script, env, 45_000)
  if (r.out === null) assert.fail(`no JSON from ${script} (exit ${r.status}, ${r.signal}): ${r.stderr}`)
  return { ...r, out: r.out }
}

describe('wasm on several threads', () => {
  it('starts the threaded build with the threads asked for, agrees with cpu, and lets Node exit', () => {
    const r = child({ LOSS_ALGEBRA_WASM_THREADS: '2' })
    assert.equal(
      r.signal,
      null,
      `the child did not exit by itself (killed by ${r.signal}): a pool thread keeps Node alive`
    )
    assert.equal(r.status, 0, `child failed: ${r.stderr}`)
    assert.deepEqual(r.out.status, { threads: 2 }, `threads: ${JSON.stringify(r.out)}`)
    assert.equal(r.out.pool, 2, 'XNNPACK pool size')
    assert.ok(
      r.out.worst < 1e-3,
      `conv + dense values and gradients on wasm (2 threads) vs cpu: worst relative error ${r.out.worst}`
    )
  })

  it('runs the single-threaded build when one thread is asked for', () => {
    const r = child({ LOSS_ALGEBRA_WASM_THREADS: '1' })
    assert.equal(r.status, 0, `child failed: ${r.stderr}`)
    assert.deepEqual(r.out.status, { threads: 1 }, `threads: ${JSON.stringify(r.out)}`)
    assert.ok(r.out.worst < 1e-3, `wasm (1 thread) vs cpu: worst relative error ${r.out.worst}`)
  })

  it('falls back to one thread when the threaded backend fails after its pool started, and stops its workers', () => {
    const r = child({}, 'test/wasm-threads-fail-child.ts')
    assert.equal(
      r.signal,
      null,
      `the child did not exit by itself (killed by ${r.signal}): the failed build's workers live on`
    )
    assert.equal(r.status, 0, `child failed: ${r.stderr}`)
    assert.deepEqual(
      r.out,
      {
        status: { threads: 1, note: 'threaded build did not start (injected after the pool started)' },
        pool: 1,
        sum: 6
      },
      `fallback: ${JSON.stringify(r.out)}`
    )
  })

  it('names a LOSS_ALGEBRA_WASM_THREADS that is not a whole number ≥ 1', () => {
    const r = child({ LOSS_ALGEBRA_WASM_THREADS: 'two' })
    assert.equal(r.status, 3, `exit ${r.status}: ${r.stderr}`)
    assert.match(r.out.error, /LOSS_ALGEBRA_WASM_THREADS: expected a whole number ≥ 1, got 'two'/)
  })
})
