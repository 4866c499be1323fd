/**
 * Where a compiled step's extra time goes: `tf.profile` of one compiled and one hand-written step
 * (after warm-up): kernels launched, their summed time, tensors created, and the kernels whose
 * counts differ. The rest of a gap is JavaScript outside kernels (the interpreter's bookkeeping).
 */
import { performance } from 'node:perf_hooks'

import * as tf from '@tensorflow/tfjs'

import type { Stepper } from './setup.ts'

export interface StepProfile {
  readonly kernels: number
  readonly kernelMs: number
  /** Wall time of the profiled step (profiling itself adds to it). */
  readonly wallMs: number
  readonly newTensors: number
  readonly byKernel: ReadonlyMap<string, { count: number; ms: number }>
}

export const profileStep = async (s: Stepper): Promise<StepProfile> => {
  const t0 = performance.now()
  const info = await tf.profile(async () => {
    s.step()
    await s.read()
    return []
  })
  const wallMs = performance.now() - t0
  const byKernel = new Map<string, { count: number; ms: number }>()
  let kernelMs = 0
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0
    kernelMs += ms
    const e = byKernel.get(k.name) ?? { count: 0, ms: 0 }
    e.count++
    e.ms += ms
    byKernel.set(k.name, e)
  }
  return { kernels: info.kernels.length, kernelMs, wallMs, newTensors: info.newTensors, byKernel }
}

export interface KernelDiff {
  readonly name: string
  readonly compiled: number
  readonly handwritten: number
  readonly compiledMs: number
  readonly handwrittenMs: number
}

/** The kernels that take the most time in a step, with their share of the summed kernel time. */
export const topKernels = (p: StepProfile, n = 6): Array<{ name: string; count: number; ms: number; share: number }> =>
  [...p.byKernel.entries()]
    .map(([name, e]) => ({ name, count: e.count, ms: e.ms, share: p.kernelMs > 0 ? e.ms / p.kernelMs : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)

/** Kernels whose launch counts differ between the two steps, most launches first. */
export const kernelDiff = (a: StepProfile, b: StepProfile): Array<KernelDiff> => {
  const names = new Set([...a.byKernel.keys(), ...b.byKernel.keys()])
  return [...names]
    .map((name) => {
      const x = a.byKernel.get(name) ?? { count: 0, ms: 0 }
      const y = b.byKernel.get(name) ?? { count: 0, ms: 0 }
      return { name, compiled: x.count, handwritten: y.count, compiledMs: x.ms, handwrittenMs: y.ms }
    })
    .filter((d) => d.compiled !== d.handwritten)
    .sort((p, q) => Math.abs(q.compiled - q.handwritten) - Math.abs(p.compiled - p.handwritten))
}
