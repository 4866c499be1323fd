/**
 * Sum and Mean of the `native` backend over one run of consecutive axes, read in place instead of
 * transposed; the cpu kernels' values (double accumulators in the cpu's order).
 */
import * as tf from '@tensorflow/tfjs'

import type { Counter, ElementwiseAddon, Kernel } from './native-util.ts'
import { allocF32, cpuKernel, f32, useAddon } from './native-util.ts'

const { backend_util, util } = tf

/** x viewed as [outer, reduce, inner] with the reduced axes in the middle, or null. */
function planReduce(
  shape: ReadonlyArray<number>,
  axis: unknown
): { outer: number; reduce: number; inner: number; axes: Array<number> } | null {
  let axes: Array<number>
  try {
    axes = util.parseAxisParam(axis as number | Array<number>, [...shape])
  } catch {
    return null
  }
  if (axes.length === 0) return null
  const sorted = [...new Set(axes)].sort((p, q) => p - q)
  if (sorted.length !== axes.length) return null
  const lo = sorted[0]
  const hi = sorted[sorted.length - 1]
  if (hi - lo + 1 !== sorted.length) return null
  const outer = util.sizeFromShape(shape.slice(0, lo))
  const reduce = util.sizeFromShape(shape.slice(lo, hi + 1))
  const inner = util.sizeFromShape(shape.slice(hi + 1))
  if (outer * reduce * inner === 0) return null
  return { outer, reduce, inner, axes }
}

/**
 * out[o, j] = Σ_r f(x[o, r, j]) with f(v) = v, or fround(v / divisor) (Mean), accumulated in a
 * double in r order: the cpu kernel's transposed sum, element for element.
 */
function reduceSum(
  x: Float32Array,
  outer: number,
  reduce: number,
  inner: number,
  divisor: number,
  lib: ElementwiseAddon | null
): Float32Array {
  const out = allocF32(outer * inner)
  if (lib !== null && useAddon(outer * reduce * inner)) {
    lib.reduceSum(x, out, outer, reduce, inner, divisor)
    return out
  }
  const scaled = divisor !== 1
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      let s = 0
      const base = o * reduce
      if (scaled) for (let r = 0; r < reduce; r++) s += Math.fround(x[base + r] / divisor)
      else for (let r = 0; r < reduce; r++) s += x[base + r]
      out[o] = s
    }
    return out
  }
  const acc = new Float64Array(inner)
  for (let o = 0; o < outer; o++) {
    acc.fill(0)
    for (let r = 0, k = o * reduce * inner; r < reduce; r++) {
      if (scaled) for (let j = 0; j < inner; j++, k++) acc[j] += Math.fround(x[k] / divisor)
      else for (let j = 0; j < inner; j++, k++) acc[j] += x[k]
    }
    out.set(acc, o * inner)
  }
  return out
}

function reduceKernel(name: typeof tf.Sum | typeof tf.Mean, count: Counter, lib: ElementwiseAddon | null): Kernel {
  const fallback = cpuKernel(name)
  return (args) => {
    const { x } = args.inputs
    const xv = f32(args.backend, x)
    const plan = xv !== null ? planReduce(x.shape, args.attrs.axis) : null
    if (plan === null || xv === null) {
      count(name, 'fallback')
      return fallback(args)
    }
    const values = reduceSum(xv, plan.outer, plan.reduce, plan.inner, name === tf.Mean ? plan.reduce : 1, lib)
    let [outShape] = backend_util.computeOutAndReduceShapes([...x.shape], plan.axes)
    if (args.attrs.keepDims === true) outShape = backend_util.expandShapeToKeepDim(outShape, plan.axes)
    count(name, 'native')
    return args.backend.makeTensorInfo(outShape, 'float32', values)
  }
}

export const REDUCE_KERNELS: ReadonlyArray<string> = [tf.Sum, tf.Mean]

export const reduceKernels = (count: Counter, lib: ElementwiseAddon | null): Array<[string, Kernel]> => [
  [tf.Sum, reduceKernel(tf.Sum, count, lib)],
  [tf.Mean, reduceKernel(tf.Mean, count, lib)]
]
