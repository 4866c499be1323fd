/**
 * Unary element-wise kernels and Select of the `native` backend (see ./native-elementwise.ts for
 * the rules they follow: the cpu kernels' exact values, TypeScript loops for small tensors, the
 * addon's for large ones).
 */
import * as tf from '@tensorflow/tfjs'

import { UnaryOp } from './native-contract.ts'
import type { Counter, ElementwiseAddon, Kernel } from './native-util.ts'
import { allocF32, cpuKernel, f32, useAddon } from './native-util.ts'

const { util } = tf

// tfjs cpu's Softplus thresholds (float32 epsilon).
const SOFTPLUS_T = Math.log(1.1920928955078125e-7) + 2.0

/**
 * `v` is the element, `alpha` the kernel's alpha attribute; the value is the cpu kernel's.
 * Relu and LeakyRelu are computed without a branch, then, where that gives NaN (v NaN or
 * infinite), with the cpu's own expression. Branch-free: relu(v) = (v + |v|) / 2 exactly, and
 * leakyRelu(v) = (v + |v|) / 2 + (α/2)·(v − |v|), which is exactly α·v for v < 0 ((α/2)·(2v)
 * rounds the same real number) and v + 0 for v ≥ 0.
 */
const UNARY: Record<string, { expr: string | { fast: string; exact: string }; addonOp?: number }> = {
  [tf.Relu]: { expr: { fast: '(v + Math.abs(v)) * 0.5', exact: 'Math.max(0, v)' }, addonOp: UnaryOp.relu },
  [tf.Relu6]: { expr: 'Math.min(Math.max(0, v), 6)' },
  [tf.LeakyRelu]: {
    expr: { fast: '(v + Math.abs(v)) * 0.5 + half * (v - Math.abs(v))', exact: 'v < 0 ? alpha * v : v' },
    addonOp: UnaryOp.leakyRelu
  },
  [tf.Elu]: { expr: 'v >= 0 ? v : (Math.exp(v) - 1)', addonOp: UnaryOp.elu },
  [tf.Step]: { expr: 'v !== v ? NaN : (alpha === 0 ? +(v > 0) : (v > 0 ? 1 : alpha))', addonOp: UnaryOp.step },
  [tf.Abs]: { expr: 'Math.abs(v)', addonOp: UnaryOp.abs },
  [tf.Neg]: { expr: '-1 * v', addonOp: UnaryOp.neg },
  [tf.Square]: { expr: 'v * v', addonOp: UnaryOp.square },
  [tf.Exp]: { expr: 'Math.exp(v)', addonOp: UnaryOp.exp },
  [tf.Log]: { expr: 'Math.log(v)', addonOp: UnaryOp.log },
  [tf.Softplus]: {
    expr: `v < ${SOFTPLUS_T} ? Math.exp(v) : (v > ${-SOFTPLUS_T} ? v : Math.log(1.0 + Math.exp(v)))`,
    addonOp: UnaryOp.softplus
  },
  [tf.Sigmoid]: { expr: '1 / (1 + Math.exp(-v))', addonOp: UnaryOp.sigmoid },
  [tf.Tanh]: { expr: 'Math.tanh(v)', addonOp: UnaryOp.tanh },
  [tf.Sqrt]: { expr: 'Math.sqrt(v)', addonOp: UnaryOp.sqrt },
  [tf.Rsqrt]: { expr: '1 / Math.sqrt(v)', addonOp: UnaryOp.rsqrt },
  [tf.Reciprocal]: { expr: '1 / v', addonOp: UnaryOp.reciprocal }
}

type UnaryLoop = (x: Float32Array, out: Float32Array, alpha: number) => void

function unaryKernel(name: string, count: Counter, lib: ElementwiseAddon | null): Kernel {
  const { expr: op, addonOp } = UNARY[name]
  const value = typeof op === 'string' ? op : `r === r ? r : (${op.exact})`
  const pre = typeof op === 'string' ? '' : `const r = ${op.fast};`
  const loop = new Function(
    'x',
    'out',
    'alpha',
    `'use strict'; const n = x.length; const half = alpha * 0.5; for (let i = 0; i < n; i++) { const v = x[i]; ${pre} out[i] = ${value} }`
  ) as UnaryLoop
  const fallback = cpuKernel(name)
  return (args) => {
    const { x } = args.inputs
    const xv = f32(args.backend, x)
    const alpha = args.attrs?.alpha
    if (
      xv === null ||
      xv.length !== util.sizeFromShape(x.shape) ||
      (alpha !== undefined && typeof alpha !== 'number')
    ) {
      count(name, 'fallback')
      return fallback(args)
    }
    const values = allocF32(xv.length)
    if (lib !== null && addonOp !== undefined && useAddon(xv.length))
      lib.unary(addonOp, xv, values, (alpha as number | undefined) ?? 0)
    else loop(xv, values, (alpha as number | undefined) ?? 0)
    count(name, 'native')
    return args.backend.makeTensorInfo(x.shape, 'float32', values)
  }
}

export function selectKernel(count: Counter, lib: ElementwiseAddon | null): Kernel {
  const fallback = cpuKernel(tf.Select)
  return (args) => {
    const { condition, t, e } = args.inputs
    const tv = f32(args.backend, t)
    const ev = f32(args.backend, e)
    const cv = condition.dtype === 'bool' ? args.backend.data.get(condition.dataId)?.values : null
    const n = util.sizeFromShape(t.shape)
    if (
      tv === null ||
      ev === null ||
      !(cv instanceof Uint8Array) ||
      cv.length !== n ||
      tv.length !== n ||
      ev.length !== n ||
      !util.arraysEqual(t.shape, e.shape)
    ) {
      count(tf.Select, 'fallback')
      return fallback(args)
    }
    const values = allocF32(n)
    if (lib !== null && useAddon(n)) {
      lib.select(cv, tv, ev, values)
      count(tf.Select, 'native')
      return args.backend.makeTensorInfo(t.shape, 'float32', values)
    }
    // Bitwise choice (no branch to mispredict): the float32 bits of t where cv[i] === 1, else e's.
    const ti = new Int32Array(tv.buffer, tv.byteOffset, n)
    const ei = new Int32Array(ev.buffer, ev.byteOffset, n)
    const oi = new Int32Array(values.buffer)
    for (let i = 0; i < n; i++) {
      const m = -+(cv[i] === 1)
      const e = ei[i]
      oi[i] = e ^ ((ti[i] ^ e) & m)
    }
    count(tf.Select, 'native')
    return args.backend.makeTensorInfo(t.shape, 'float32', values)
  }
}

export const UNARY_KERNELS: ReadonlyArray<string> = Object.keys(UNARY)

export const unaryKernels = (count: Counter, lib: ElementwiseAddon | null): Array<[string, Kernel]> =>
  UNARY_KERNELS.map((k): [string, Kernel] => [k, unaryKernel(k, count, lib)])
