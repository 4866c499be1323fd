/**
 * Comparing a `native` kernel with the plain ops on `cpu` (test/kernels-dense.test.ts,
 * test/kernels-conv.test.ts): outputs read back on either backend, compared to a relative tolerance,
 * how often a kernel ran natively, and runs with every kernel split on two threads.
 */
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'

import * as tf from '@tensorflow/tfjs'

import { nativeKernelStats, setNativeSplit } from '../src/backend/native.ts'

/** `f`'s outputs on `backend` for problem `p` (inputs built there by `inputs`), read back as Float32Arrays; ends on cpu. */
export async function on<P, I>(
  backend: string,
  p: P,
  inputs: (p: P) => I,
  f: (p: P, i: I) => Array<tf.Tensor>
): Promise<Array<Float32Array>> {
  assert.ok(await tf.setBackend(backend))
  const out = tf.tidy(() => f(p, inputs(p)).map((t) => Float32Array.from(t.dataSync() as Float32Array)))
  await tf.setBackend('cpu')
  return out
}

/** Every output within `rtol` of cpu's, relative to the output's largest magnitude (at least 1). */
export function assertClose(got: Array<Float32Array>, want: Array<Float32Array>, what: string, rtol: number): void {
  assert.equal(got.length, want.length, `${what}: number of outputs`)
  want.forEach((w, k) => {
    assert.equal(got[k].length, w.length, `${what}: output ${k} size`)
    const scale = w.reduce((s, v) => Math.max(s, Math.abs(v)), 1)
    w.forEach((v, j) => {
      const err = Math.abs(got[k][j] - v)
      if (!(err <= rtol * scale))
        assert.fail(`${what}: output ${k}[${j}] = ${got[k][j]}, cpu ${v} (|err| ${err} > ${rtol} × ${scale})`)
    })
  })
}

/** How many calls of `kernel` ran natively so far. */
export const ran = (kernel: string): number => nativeKernelStats()[kernel]?.native ?? 0

/**
 * Runs `f` with every kernel that can split doing so (threshold 1 multiply-add), then restores the
 * setting; skips the test where the addon cannot split, and fails it when nothing split.
 */
export async function splitting(t: TestContext, what: string, f: () => Promise<void>): Promise<void> {
  const before = setNativeSplit()
  if (before === null) return void t.skip('this addon build cannot split')
  setNativeSplit(true, 1)
  try {
    await f()
    assert.ok(setNativeSplit()!.calls > before.calls, `${what} were split`)
  } finally {
    setNativeSplit(before.on, before.minMacs)
  }
}
