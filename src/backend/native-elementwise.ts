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
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'

const { backend_util, util } = tf

type Inputs = Record<string, tf.TensorInfo>
interface KernelArgs { inputs: Inputs; backend: MathBackendCPU; attrs: tf.NamedAttrMap }
export type Kernel = (args: KernelArgs) => tf.TensorInfo | Array<tf.TensorInfo>
export type Counter = (kernel: string, path: 'native' | 'fallback') => void

/** The addon's element-wise entry points (native/src/elementwise.cc). */
export interface ElementwiseAddon {
  binary(op: number, mode: number, a: Float32Array, b: Float32Array, out: Float32Array | Uint8Array, outer: number, inner: number): void
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void
  select(condition: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void
  reduceSum(x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number, divisor: number): void
}

/** Tensors of at least this many elements are computed by the addon, when it has these kernels. */
let NATIVE_MIN_ELEMENTS = 4096

/** For tests and benchmarks: the size from which the addon computes (Infinity: never). */
export function setNativeMinElements (n: number): void {
  NATIVE_MIN_ELEMENTS = n
}

/** A float32 (or bool) output buffer; large ones skip zero-filling, as every element is written. */
export function allocF32 (n: number): Float32Array {
  if (n < 16384) return new Float32Array(n)
  const b = Buffer.allocUnsafeSlow(4 * n)
  return new Float32Array(b.buffer, b.byteOffset, n)
}

function allocU8 (n: number): Uint8Array {
  if (n < 65536) return new Uint8Array(n)
  const b = Buffer.allocUnsafeSlow(n)
  return new Uint8Array(b.buffer, b.byteOffset, n)
}

/** The float32 values of a tensor on the cpu-family backends, or null (other dtypes). */
export function f32 (backend: MathBackendCPU, t: tf.TensorInfo | undefined | null): Float32Array | null {
  if (t == null || t.dtype !== 'float32') return null
  const v = backend.data.get(t.dataId)?.values
  return v instanceof Float32Array ? v : null
}

/** The cpu kernel of the same name (every fast path's fallback). */
export function cpuKernel (name: string): Kernel {
  const k = tf.getKernel(name, 'cpu')
  if (k === undefined) throw new Error(`cpu backend has no kernel ${name}`)
  return k.kernelFunc as unknown as Kernel
}

// ---------------------------------------------------------------------------------------------
// Binary ops

/**
 * `x` is a's element, `y` b's; the value is what the cpu kernel's operation returns (`+(x > y)`
 * is the cpu's `x > y ? 1 : 0` without a branch: random signs make a branch mispredict half the
 * time, ~3× slower).
 */
const BINARY: Record<string, { expr: string; out: 'float32' | 'bool'; addonOp?: number }> = {
  [tf.Add]: { expr: 'x + y', out: 'float32', addonOp: 0 },
  [tf.Sub]: { expr: 'x - y', out: 'float32', addonOp: 1 },
  [tf.Multiply]: { expr: 'x * y', out: 'float32', addonOp: 2 },
  [tf.RealDiv]: { expr: 'x / y', out: 'float32', addonOp: 3 },
  [tf.Maximum]: { expr: 'Math.max(x, y)', out: 'float32' },
  [tf.Minimum]: { expr: 'Math.min(x, y)', out: 'float32' },
  [tf.SquaredDifference]: { expr: '(x - y) * (x - y)', out: 'float32', addonOp: 4 },
  [tf.Greater]: { expr: '+(x > y)', out: 'bool', addonOp: 5 },
  [tf.GreaterEqual]: { expr: '+(x >= y)', out: 'bool', addonOp: 6 },
  [tf.Less]: { expr: '+(x < y)', out: 'bool', addonOp: 7 },
  [tf.LessEqual]: { expr: '+(x <= y)', out: 'bool', addonOp: 8 },
  [tf.Equal]: { expr: '+(x === y)', out: 'bool', addonOp: 9 },
  [tf.NotEqual]: { expr: '+(x !== y)', out: 'bool', addonOp: 10 }
}

/**
 * How a binary op's operands line up with its output, viewed as [outer, inner]:
 * SAME both have the output's size; B_ONE / A_ONE: that side is one value; B_ROW / A_ROW: that
 * side is [inner] (broadcast over leading axes); B_COL / A_COL: that side is [outer] (broadcast
 * over trailing axes).
 */
const enum Mode { SAME, B_ONE, A_ONE, B_ROW, A_ROW, B_COL, A_COL }

type BinaryLoop = (a: Float32Array, b: Float32Array, out: Float32Array | Uint8Array, outer: number, inner: number) => void

const LOOP_BODIES: Record<Mode, (e: string) => string> = {
  [Mode.SAME]: (e) => `const n = outer * inner; for (let i = 0; i < n; i++) { const x = a[i]; const y = b[i]; out[i] = ${e} }`,
  [Mode.B_ONE]: (e) => `const n = outer * inner; const y = b[0]; for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${e} }`,
  [Mode.A_ONE]: (e) => `const n = outer * inner; const x = a[0]; for (let i = 0; i < n; i++) { const y = b[i]; out[i] = ${e} }`,
  [Mode.B_ROW]: (e) => `for (let o = 0, k = 0; o < outer; o++) for (let j = 0; j < inner; j++, k++) { const x = a[k]; const y = b[j]; out[k] = ${e} }`,
  [Mode.A_ROW]: (e) => `for (let o = 0, k = 0; o < outer; o++) for (let j = 0; j < inner; j++, k++) { const x = a[j]; const y = b[k]; out[k] = ${e} }`,
  [Mode.B_COL]: (e) => `for (let o = 0, k = 0; o < outer; o++) { const y = b[o]; for (let j = 0; j < inner; j++, k++) { const x = a[k]; out[k] = ${e} } }`,
  [Mode.A_COL]: (e) => `for (let o = 0, k = 0; o < outer; o++) { const x = a[o]; for (let j = 0; j < inner; j++, k++) { const y = b[k]; out[k] = ${e} } }`
}

function binaryLoops (expr: string): Array<BinaryLoop> {
  return Object.values(LOOP_BODIES).map((body) => new Function('a', 'b', 'out', 'outer', 'inner', `'use strict'; ${body(expr)}`) as BinaryLoop)
}

interface BinaryPlan { mode: Mode; outer: number; inner: number; outShape: Array<number> }

/** `small`'s shape, padded with leading 1s to `rank`. */
function padded (shape: ReadonlyArray<number>, rank: number): Array<number> {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape]
}

/**
 * How `small` broadcasts to `out` (`big` has the output's size): 'row' when its non-1 dims are
 * the output's trailing dims, 'col' when they are its leading dims; null otherwise.
 */
function broadcastKind (small: ReadonlyArray<number>, out: ReadonlyArray<number>): 'row' | 'col' | null {
  const s = padded(small, out.length)
  // row: s = [1, …, 1, out[k], …, out[r-1]]
  let k = 0
  while (k < s.length && s[k] === 1) k++
  let row = true
  for (let i = k; i < s.length; i++) if (s[i] !== out[i]) { row = false; break }
  if (row) return 'row'
  // col: s = [out[0], …, out[k-1], 1, …, 1]
  let m = s.length
  while (m > 0 && s[m - 1] === 1) m--
  for (let i = 0; i < m; i++) if (s[i] !== out[i]) return null
  return 'col'
}

function planBinary (aShape: Array<number>, bShape: Array<number>): BinaryPlan | null {
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
  if (na === n && nb === n) return { mode: Mode.SAME, outer: 1, inner: n, outShape }
  if (na === n && nb === 1) return { mode: Mode.B_ONE, outer: 1, inner: n, outShape }
  if (nb === n && na === 1) return { mode: Mode.A_ONE, outer: 1, inner: n, outShape }
  if (na === n || nb === n) {
    const small = na === n ? bShape : aShape
    const ns = na === n ? nb : na
    const kind = broadcastKind(small, outShape)
    if (kind === null) return null
    const bSmall = na === n
    if (kind === 'row') return { mode: bSmall ? Mode.B_ROW : Mode.A_ROW, outer: n / ns, inner: ns, outShape }
    return { mode: bSmall ? Mode.B_COL : Mode.A_COL, outer: ns, inner: n / ns, outShape }
  }
  return null
}

function binaryKernel (name: string, count: Counter, lib: ElementwiseAddon | null): Kernel {
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
    if (lib !== null && addonOp !== undefined && size >= NATIVE_MIN_ELEMENTS) lib.binary(addonOp, plan.mode, av, bv, values, plan.outer, plan.inner)
    else loops[plan.mode](av, bv, values, plan.outer, plan.inner)
    count(name, 'native')
    return args.backend.makeTensorInfo(plan.outShape, out, values)
  }
}

// ---------------------------------------------------------------------------------------------
// Unary ops

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
  [tf.Relu]: { expr: { fast: '(v + Math.abs(v)) * 0.5', exact: 'Math.max(0, v)' }, addonOp: 0 },
  [tf.Relu6]: { expr: 'Math.min(Math.max(0, v), 6)' },
  [tf.LeakyRelu]: { expr: { fast: '(v + Math.abs(v)) * 0.5 + half * (v - Math.abs(v))', exact: 'v < 0 ? alpha * v : v' }, addonOp: 1 },
  [tf.Elu]: { expr: 'v >= 0 ? v : (Math.exp(v) - 1)', addonOp: 14 },
  [tf.Step]: { expr: 'v !== v ? NaN : (alpha === 0 ? +(v > 0) : (v > 0 ? 1 : alpha))', addonOp: 2 },
  [tf.Abs]: { expr: 'Math.abs(v)', addonOp: 3 },
  [tf.Neg]: { expr: '-1 * v', addonOp: 4 },
  [tf.Square]: { expr: 'v * v', addonOp: 5 },
  [tf.Exp]: { expr: 'Math.exp(v)', addonOp: 7 },
  [tf.Log]: { expr: 'Math.log(v)', addonOp: 8 },
  [tf.Softplus]: { expr: `v < ${SOFTPLUS_T} ? Math.exp(v) : (v > ${-SOFTPLUS_T} ? v : Math.log(1.0 + Math.exp(v)))`, addonOp: 11 },
  [tf.Sigmoid]: { expr: '1 / (1 + Math.exp(-v))', addonOp: 10 },
  [tf.Tanh]: { expr: 'Math.tanh(v)', addonOp: 9 },
  [tf.Sqrt]: { expr: 'Math.sqrt(v)', addonOp: 6 },
  [tf.Rsqrt]: { expr: '1 / Math.sqrt(v)', addonOp: 12 },
  [tf.Reciprocal]: { expr: '1 / v', addonOp: 13 }
}

type UnaryLoop = (x: Float32Array, out: Float32Array, alpha: number) => void

function unaryKernel (name: string, count: Counter, lib: ElementwiseAddon | null): Kernel {
  const { expr: op, addonOp } = UNARY[name]
  const value = typeof op === 'string' ? op : `r === r ? r : (${op.exact})`
  const pre = typeof op === 'string' ? '' : `const r = ${op.fast};`
  const loop = new Function('x', 'out', 'alpha', `'use strict'; const n = x.length; const half = alpha * 0.5; for (let i = 0; i < n; i++) { const v = x[i]; ${pre} out[i] = ${value} }`) as UnaryLoop
  const fallback = cpuKernel(name)
  return (args) => {
    const { x } = args.inputs
    const xv = f32(args.backend, x)
    const alpha = args.attrs?.alpha
    if (xv === null || xv.length !== util.sizeFromShape(x.shape) || (alpha !== undefined && typeof alpha !== 'number')) {
      count(name, 'fallback')
      return fallback(args)
    }
    const values = allocF32(xv.length)
    if (lib !== null && addonOp !== undefined && xv.length >= NATIVE_MIN_ELEMENTS) lib.unary(addonOp, xv, values, (alpha as number | undefined) ?? 0)
    else loop(xv, values, (alpha as number | undefined) ?? 0)
    count(name, 'native')
    return args.backend.makeTensorInfo(x.shape, 'float32', values)
  }
}

function selectKernel (count: Counter, lib: ElementwiseAddon | null): Kernel {
  const fallback = cpuKernel(tf.Select)
  return (args) => {
    const { condition, t, e } = args.inputs
    const tv = f32(args.backend, t)
    const ev = f32(args.backend, e)
    const cv = condition.dtype === 'bool' ? args.backend.data.get(condition.dataId)?.values : null
    const n = util.sizeFromShape(t.shape)
    if (tv === null || ev === null || !(cv instanceof Uint8Array) || cv.length !== n || tv.length !== n || ev.length !== n ||
      !util.arraysEqual(t.shape, e.shape)) {
      count(tf.Select, 'fallback')
      return fallback(args)
    }
    const values = allocF32(n)
    if (lib !== null && n >= NATIVE_MIN_ELEMENTS) {
      lib.select(cv, tv, ev, values)
      count(tf.Select, 'native')
      return args.backend.makeTensorInfo(t.shape, 'float32', values)
    }
    // Bitwise choice (no branch to mispredict): the float32 bits of t where cv[i] === 1, else e's.
    const ti = new Int32Array(tv.buffer, tv.byteOffset, n)
    const ei = new Int32Array(ev.buffer, ev.byteOffset, n)
    const oi = new Int32Array(values.buffer)
    for (let i = 0; i < n; i++) {
      const m = -(+(cv[i] === 1))
      const e = ei[i]
      oi[i] = e ^ ((ti[i] ^ e) & m)
    }
    count(tf.Select, 'native')
    return args.backend.makeTensorInfo(t.shape, 'float32', values)
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions

/** x viewed as [outer, reduce, inner] with the reduced axes in the middle, or null. */
function planReduce (shape: ReadonlyArray<number>, axis: unknown): { outer: number; reduce: number; inner: number; axes: Array<number> } | null {
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
function reduceSum (x: Float32Array, outer: number, reduce: number, inner: number, divisor: number, lib: ElementwiseAddon | null): Float32Array {
  const out = allocF32(outer * inner)
  if (lib !== null && outer * reduce * inner >= NATIVE_MIN_ELEMENTS) {
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

function reduceKernel (name: typeof tf.Sum | typeof tf.Mean, count: Counter, lib: ElementwiseAddon | null): Kernel {
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

// ---------------------------------------------------------------------------------------------

/** The kernels this module provides for `native` (each falls back to cpu outside its fast paths). */
export const ELEMENTWISE_KERNELS: ReadonlyArray<string> = [...Object.keys(BINARY), ...Object.keys(UNARY), tf.Select, tf.Sum, tf.Mean]

/**
 * The kernel functions, by name; `count` records each call's path. `addon`: the native addon,
 * used for large tensors when it has the element-wise entry points (an older build does not).
 */
export function elementwiseKernels (count: Counter, addon: Partial<ElementwiseAddon> | null): Array<[string, Kernel]> {
  const lib = addon !== null && typeof addon.binary === 'function' && typeof addon.unary === 'function' &&
    typeof addon.select === 'function' && typeof addon.reduceSum === 'function'
    ? addon as ElementwiseAddon
    : null
  return [
    ...Object.keys(BINARY).map((k): [string, Kernel] => [k, binaryKernel(k, count, lib)]),
    ...Object.keys(UNARY).map((k): [string, Kernel] => [k, unaryKernel(k, count, lib)]),
    [tf.Select, selectKernel(count, lib)],
    [tf.Sum, reduceKernel(tf.Sum, count, lib)],
    [tf.Mean, reduceKernel(tf.Mean, count, lib)]
  ]
}
