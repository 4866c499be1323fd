/**
 * Element-wise and reduction kernels of the `native` backend, in TypeScript: the cpu backend's
 * generic kernels dominate a training step once the matmuls and convolutions run on oneDNN
 * (their binary ops call the operation through one shared, megamorphic closure, and Sum over
 * leading axes — every bias gradient — transposes first).
 *
 * Covered, for float32 inputs only:
 * - binary ops (Add, Sub, Multiply, RealDiv, Maximum, Minimum, SquaredDifference and the
 *   comparisons) when the shapes are equal, when one side is a single value, or when one side
 *   broadcasts along trailing axes (bias add `[B, n] + [n]`) or leading axes (`[B, n] · [B, 1]`);
 * - unary ops (Relu, Relu6, LeakyRelu, Elu, Step, Abs, Neg, Square, Exp, Log, Softplus, Sigmoid,
 *   Tanh, Sqrt, Rsqrt, Reciprocal) and Select with condition, t and e of one size;
 * - Sum and Mean over one run of consecutive axes (all axes, leading, trailing or middle ones),
 *   read in place instead of transposed.
 *
 * Every other case (other dtypes, general broadcasts, scattered axes) is the cpu kernel's. Results
 * are bit-identical to the cpu kernels': the same expressions evaluated in the same order (sums
 * accumulate in doubles in the cpu's order; Mean divides each element first, as cpu does).
 *
 * Large tensors (≥ NATIVE_MIN_ELEMENTS) go to the addon's C++ loops (native/src/elementwise.cc,
 * vectorised; the same values), small ones stay here, below the N-API call overhead. Outputs are
 * allocated without zero-filling (every element is written).
 *
 * The loops are generated once per operation with `new Function` from the constant expressions
 * below, so that each loop is monomorphic and V8 inlines the operation (a shared loop calling
 * an operation closure runs several times slower).
 */
import * as tf from '@tensorflow/tfjs'

import { BinaryOp, BroadcastMode } from './native-contract.ts'
import { reduceKernels, REDUCE_KERNELS } from './native-reduce.ts'
import { selectKernel, unaryKernels, UNARY_KERNELS } from './native-unary.ts'
import type { Counter, ElementwiseAddon, Kernel } from './native-util.ts'
import { allocF32, allocU8, cpuKernel, f32, useAddon } from './native-util.ts'

export { setNativeMinElements } from './native-util.ts'
export type { Counter, ElementwiseAddon, Kernel } from './native-util.ts'

const { backend_util, util } = tf

// ---------------------------------------------------------------------------------------------
// Binary ops

/**
 * `x` is a's element, `y` b's; the value is what the cpu kernel's operation returns (`+(x > y)`
 * is the cpu's `x > y ? 1 : 0` without a branch: random signs make a branch mispredict half the
 * time, ~3× slower).
 */
const BINARY: Record<string, { expr: string; out: 'float32' | 'bool'; addonOp?: number }> = {
  [tf.Add]: { expr: 'x + y', out: 'float32', addonOp: BinaryOp.add },
  [tf.Sub]: { expr: 'x - y', out: 'float32', addonOp: BinaryOp.sub },
  [tf.Multiply]: { expr: 'x * y', out: 'float32', addonOp: BinaryOp.mul },
  [tf.RealDiv]: { expr: 'x / y', out: 'float32', addonOp: BinaryOp.div },
  [tf.Maximum]: { expr: 'Math.max(x, y)', out: 'float32' },
  [tf.Minimum]: { expr: 'Math.min(x, y)', out: 'float32' },
  [tf.SquaredDifference]: { expr: '(x - y) * (x - y)', out: 'float32', addonOp: BinaryOp.squaredDifference },
  [tf.Greater]: { expr: '+(x > y)', out: 'bool', addonOp: BinaryOp.greater },
  [tf.GreaterEqual]: { expr: '+(x >= y)', out: 'bool', addonOp: BinaryOp.greaterEqual },
  [tf.Less]: { expr: '+(x < y)', out: 'bool', addonOp: BinaryOp.less },
  [tf.LessEqual]: { expr: '+(x <= y)', out: 'bool', addonOp: BinaryOp.lessEqual },
  [tf.Equal]: { expr: '+(x === y)', out: 'bool', addonOp: BinaryOp.equal },
  [tf.NotEqual]: { expr: '+(x !== y)', out: 'bool', addonOp: BinaryOp.notEqual }
}

/**
 * How a binary op's operands line up with its output, viewed as [outer, inner]:
 * SAME both have the output's size; B_ONE / A_ONE: that side is one value; B_ROW / A_ROW: that
 * side is [inner] (broadcast over leading axes); B_COL / A_COL: that side is [outer] (broadcast
 * over trailing axes).
 */
const Mode = BroadcastMode
type Mode = BroadcastMode

type BinaryLoop = (
  a: Float32Array,
  b: Float32Array,
  out: Float32Array | Uint8Array,
  outer: number,
  inner: number
) => void

const LOOP_BODIES: Record<Mode, (e: string) => string> = {
  [Mode.same]: (e) =>
    `const n = outer * inner; for (let i = 0; i < n; i++) { const x = a[i]; const y = b[i]; out[i] = ${e} }`,
  [Mode.bOne]: (e) =>
    `const n = outer * inner; const y = b[0]; for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${e} }`,
  [Mode.aOne]: (e) =>
    `const n = outer * inner; const x = a[0]; for (let i = 0; i < n; i++) { const y = b[i]; out[i] = ${e} }`,
  [Mode.bRow]: (e) =>
    `for (let o = 0, k = 0; o < outer; o++) for (let j = 0; j < inner; j++, k++) { const x = a[k]; const y = b[j]; out[k] = ${e} }`,
  [Mode.aRow]: (e) =>
    `for (let o = 0, k = 0; o < outer; o++) for (let j = 0; j < inner; j++, k++) { const x = a[j]; const y = b[k]; out[k] = ${e} }`,
  [Mode.bCol]: (e) =>
    `for (let o = 0, k = 0; o < outer; o++) { const y = b[o]; for (let j = 0; j < inner; j++, k++) { const x = a[k]; out[k] = ${e} } }`,
  [Mode.aCol]: (e) =>
    `for (let o = 0, k = 0; o < outer; o++) { const x = a[o]; for (let j = 0; j < inner; j++, k++) { const y = b[k]; out[k] = ${e} } }`
}

function binaryLoops(expr: string): Array<BinaryLoop> {
  return Object.values(LOOP_BODIES).map(
    (body) => new Function('a', 'b', 'out', 'outer', 'inner', `'use strict'; ${body(expr)}`) as BinaryLoop
  )
}

interface BinaryPlan {
  mode: Mode
  outer: number
  inner: number
  outShape: Array<number>
}

/** `small`'s shape, padded with leading 1s to `rank`. */
function padded(shape: ReadonlyArray<number>, rank: number): Array<number> {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape]
}

/**
 * How `small` broadcasts to `out` (`big` has the output's size): 'row' when its non-1 dims are
 * the output's trailing dims, 'col' when they are its leading dims; null otherwise.
 */
function broadcastKind(small: ReadonlyArray<number>, out: ReadonlyArray<number>): 'row' | 'col' | null {
  const s = padded(small, out.length)
  // row: s = [1, …, 1, out[k], …, out[r-1]]
  let k = 0
  while (k < s.length && s[k] === 1) k++
  let row = true
  for (let i = k; i < s.length; i++)
    if (s[i] !== out[i]) {
      row = false
      break
    }
  if (row) return 'row'
  // col: s = [out[0], …, out[k-1], 1, …, 1]
  let m = s.length
  while (m > 0 && s[m - 1] === 1) m--
  for (let i = 0; i < m; i++) if (s[i] !== out[i]) return null
  return 'col'
}

function planBinary(aShape: Array<number>, bShape: Array<number>): BinaryPlan | null {
  let outShape: Array<number>
  try {
    outShape = backend_util.assertAndGetBroadcastShape([...aShape], [...bShape])
  } catch {
    return null // the cpu kernel raises tfjs's own error
  }
  const n = util.sizeFromShape(outShape)
  const na = util.sizeFromShape(aShape)
  const nb = util.sizeFromShape(bShape)
  if (n === 0) return null
  if (na === n && nb === n) return { mode: Mode.same, outer: 1, inner: n, outShape }
  if (na === n && nb === 1) return { mode: Mode.bOne, outer: 1, inner: n, outShape }
  if (nb === n && na === 1) return { mode: Mode.aOne, outer: 1, inner: n, outShape }
  if (na === n || nb === n) {
    const small = na === n ? bShape : aShape
    const ns = na === n ? nb : na
    const kind = broadcastKind(small, outShape)
    if (kind === null) return null
    const bSmall = na === n
    if (kind === 'row') return { mode: bSmall ? Mode.bRow : Mode.aRow, outer: n / ns, inner: ns, outShape }
    return { mode: bSmall ? Mode.bCol : Mode.aCol, outer: ns, inner: n / ns, outShape }
  }
  return null
}

function binaryKernel(name: string, count: Counter, lib: ElementwiseAddon | null): Kernel {
  const { expr, out, addonOp } = BINARY[name]
  const loops = binaryLoops(expr)
  const fallback = cpuKernel(name)
  return (args) => {
    const { a, b } = args.inputs
    const av = f32(args.backend, a)
    const bv = f32(args.backend, b)
    const plan = av !== null && bv !== null ? planBinary(a.shape, b.shape) : null
    if (plan === null || av === null || bv === null) {
      count(name, 'fallback')
      return fallback(args)
    }
    const size = plan.outer * plan.inner
    const values = out === 'bool' ? allocU8(size) : allocF32(size)
    if (lib !== null && addonOp !== undefined && useAddon(size))
      lib.binary(addonOp, plan.mode, av, bv, values, plan.outer, plan.inner)
    else loops[plan.mode](av, bv, values, plan.outer, plan.inner)
    count(name, 'native')
    return args.backend.makeTensorInfo(plan.outShape, out, values)
  }
}

// ---------------------------------------------------------------------------------------------

/** The kernels this module provides for `native` (each falls back to cpu outside its fast paths). */
export const ELEMENTWISE_KERNELS: ReadonlyArray<string> = [
  ...Object.keys(BINARY),
  ...UNARY_KERNELS,
  tf.Select,
  ...REDUCE_KERNELS
]

/**
 * The kernel functions, by name; `count` records each call's path. `addon`: the native addon,
 * used for large tensors when it has the element-wise entry points (an older build does not).
 */
export function elementwiseKernels(count: Counter, addon: Partial<ElementwiseAddon> | null): Array<[string, Kernel]> {
  const lib =
    addon !== null &&
    typeof addon.binary === 'function' &&
    typeof addon.unary === 'function' &&
    typeof addon.select === 'function' &&
    typeof addon.reduceSum === 'function'
      ? (addon as ElementwiseAddon)
      : null
  return [
    ...Object.keys(BINARY).map((k): [string, Kernel] => [k, binaryKernel(k, count, lib)]),
    ...unaryKernels(count, lib),
    [tf.Select, selectKernel(count, lib)],
    ...reduceKernels(count, lib)
  ]
}
