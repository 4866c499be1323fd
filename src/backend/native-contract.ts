// Generated from native/contract.json by scripts/gen-native-contract.mjs: do not edit.

export const Activation = {
  linear: 0,
  relu: 1,
  leakyrelu: 2,
  sigmoid: 3,
  elu: 4,
  relu6: 5,
} as const
export type Activation = (typeof Activation)[keyof typeof Activation]

export const BinaryOp = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  squaredDifference: 4,
  greater: 5,
  greaterEqual: 6,
  less: 7,
  lessEqual: 8,
  equal: 9,
  notEqual: 10,
} as const
export type BinaryOp = (typeof BinaryOp)[keyof typeof BinaryOp]

export const UnaryOp = {
  relu: 0,
  leakyRelu: 1,
  step: 2,
  abs: 3,
  neg: 4,
  square: 5,
  sqrt: 6,
  exp: 7,
  log: 8,
  tanh: 9,
  sigmoid: 10,
  softplus: 11,
  rsqrt: 12,
  reciprocal: 13,
  elu: 14,
} as const
export type UnaryOp = (typeof UnaryOp)[keyof typeof UnaryOp]

export const BroadcastMode = {
  same: 0,
  bOne: 1,
  aOne: 2,
  bRow: 3,
  aRow: 4,
  bCol: 5,
  aCol: 6,
} as const
export type BroadcastMode = (typeof BroadcastMode)[keyof typeof BroadcastMode]

/** Binary ops from this code on write a Uint8Array (bool). */
export const FIRST_BOOL_BINARY_OP = BinaryOp.greater

export type MatmulParams = Readonly<Record<'batchA' | 'batchB' | 'm' | 'k' | 'n' | 'transposeA' | 'transposeB' | 'hasBias' | 'activation', number>>
export const MATMUL_PARAM_COUNT = 9
/** The addon's MatmulParam array, in the contract's order. */
export const packMatmulParams = (p: MatmulParams): Int32Array => Int32Array.of(p.batchA, p.batchB, p.m, p.k, p.n, p.transposeA, p.transposeB, p.hasBias, p.activation)

export type ConvParams = Readonly<Record<'n' | 'h' | 'w' | 'ci' | 'oh' | 'ow' | 'co' | 'kh' | 'kw' | 'sh' | 'sw' | 'padTop' | 'padLeft' | 'padBottom' | 'padRight' | 'activation' | 'hasBias' | 'layout', number>>
export const CONV_PARAM_COUNT = 18
/** The addon's ConvParam array, in the contract's order. */
export const packConvParams = (p: ConvParams): Int32Array => Int32Array.of(p.n, p.h, p.w, p.ci, p.oh, p.ow, p.co, p.kh, p.kw, p.sh, p.sw, p.padTop, p.padLeft, p.padBottom, p.padRight, p.activation, p.hasBias, p.layout)
