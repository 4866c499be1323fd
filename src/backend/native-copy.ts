/**
 * Copy kernels of the `native` backend: Slice and SplitV (the gradient of Concat, e.g. BiGAN's
 * joint input) as block copies. The cpu backend copies a strided slice element by element through
 * index arithmetic: 18 ms for one `[64, 816]` split, more than the whole step's matmuls.
 *
 * Float32 only; everything else is the cpu kernel's. Values are copied, never computed: results
 * are identical to the cpu kernels'.
 */
import * as tf from '@tensorflow/tfjs'
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'

import type { Counter, Kernel } from './native-util.ts'
import { allocF32, cpuKernel, f32 } from './native-util.ts'

const { backend_util, util } = tf

/**
 * `x[begin : begin + size]` of a row-major `shape`: one `set` per contiguous block (the trailing
 * axes that are taken whole, times the size along the last axis that is not).
 */
export function sliceValues(
  x: Float32Array,
  shape: ReadonlyArray<number>,
  begin: ReadonlyArray<number>,
  size: ReadonlyArray<number>
): Float32Array {
  const rank = shape.length
  const out = allocF32(util.sizeFromShape([...size]))
  if (out.length === 0) return out
  let k = rank - 1
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--
  const strides = new Array<number>(rank)
  strides[rank - 1] = 1
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1]
  const block = size[k] * strides[k]
  const outer = util.sizeFromShape(size.slice(0, k))
  const index = new Array<number>(k).fill(0)
  for (let o = 0; o < outer; o++) {
    let offset = begin[k] * strides[k]
    for (let d = 0; d < k; d++) offset += (begin[d] + index[d]) * strides[d]
    out.set(x.subarray(offset, offset + block), o * block)
    for (let d = k - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break
      index[d] = 0
    }
  }
  return out
}

function sliceKernel(count: Counter): Kernel {
  const fallback = cpuKernel(tf.Slice)
  return (args) => {
    const { x } = args.inputs
    const xv = f32(args.backend, x)
    if (xv === null) {
      count(tf.Slice, 'fallback')
      return fallback(args)
    }
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      args.attrs.begin as Array<number>,
      args.attrs.size as Array<number>
    )
    count(tf.Slice, 'native')
    return args.backend.makeTensorInfo(size, 'float32', sliceValues(xv, x.shape, begin, size))
  }
}

function splitKernel(count: Counter): Kernel {
  const fallback = cpuKernel(tf.SplitV)
  return (args) => {
    const { x } = args.inputs
    const xv = f32(args.backend, x)
    if (xv === null) {
      count(tf.SplitV, 'fallback')
      return fallback(args)
    }
    const axis = util.parseAxisParam(args.attrs.axis as number, x.shape)[0]
    const sizes = backend_util.prepareSplitSize(
      x as tf.Tensor,
      args.attrs.numOrSizeSplits as number | Array<number>,
      axis
    )
    const begin = new Array<number>(x.shape.length).fill(0)
    const backend: MathBackendCPU = args.backend
    count(tf.SplitV, 'native')
    return sizes.map((s) => {
      const size = [...x.shape]
      size[axis] = s
      const out = backend.makeTensorInfo(size, 'float32', sliceValues(xv, x.shape, begin, size))
      begin[axis] += s
      return out
    })
  }
}

export const COPY_KERNELS: ReadonlyArray<string> = [tf.Slice, tf.SplitV]

export function copyKernels(count: Counter): Array<[string, Kernel]> {
  return [
    [tf.Slice, sliceKernel(count)],
    [tf.SplitV, splitKernel(count)]
  ]
}
