/**
 * The reference world and its twin for the compiler: small explicit nets (reference/RefNet) and
 * tfjs `Net`s with the same architecture and the same (float32) parameters, data and prior.
 */
import * as tf from '@tensorflow/tfjs'

import type { Binding, Net } from '../src/compile/Net.ts'
import type { Signature } from '../src/core/Game.ts'
import { rng } from '../src/data/toy.ts'
import type { Activation, Batch, Layer, RefNet } from './reference.ts'
import { LEAKY_SLOPE, paramCount } from './reference.ts'

export const DATA = 3
export const PRIOR = 2
/** Hidden width of the nets that have a hidden layer. */
export const HIDDEN = 3

/** The nets of the world: E (x → z), G (z → x), V (x → mean, log-variance), and critics D (x), C (z), J (x, z). */
export const SIZES: Readonly<Record<string, readonly [number, number]>> = {
  E: [DATA, PRIOR],
  G: [PRIOR, DATA],
  V: [DATA, 2 * PRIOR],
  D: [DATA, 1],
  C: [PRIOR, 1],
  J: [DATA + PRIOR, 1]
}
export const NET_NAMES = Object.keys(SIZES)

/** A net's shape of computation: affine, or one hidden layer of `HIDDEN` units with an activation. */
export type Architecture = 'affine' | 'tanh' | 'leakyRelu'

export interface WorldSpec {
  /** Seeds every parameter, data point and prior draw. */
  readonly seed: number
  readonly batch: number
  readonly step: number
  readonly architectures: Readonly<Record<string, Architecture>>
}

const normal = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())

export const layersOf = (inputs: number, outputs: number, a: Architecture): ReadonlyArray<Layer> =>
  a === 'affine'
    ? [{ inputs, outputs, activation: 'linear' }]
    : [
        { inputs, outputs: HIDDEN, activation: a as Activation },
        { inputs: HIDDEN, outputs, activation: 'linear' }
      ]

/** A net with parameters uniform in [−1, 1], rounded to float32 so that both interpreters see the same. */
export const randomNet = (u: () => number, layers: ReadonlyArray<Layer>): RefNet => ({
  layers,
  params: Array.from({ length: paramCount(layers) }, () => Math.fround(2 * u() - 1))
})

export interface RefWorldParts {
  readonly nets: Readonly<Record<string, RefNet>>
  readonly data: Batch
  readonly prior: Batch
  readonly step: number
}

/** The reference world of a spec (noise aside: that comes from the step being checked). */
export const worldOf = (spec: WorldSpec): RefWorldParts => {
  const u = rng(spec.seed)
  const nets = Object.fromEntries(
    NET_NAMES.map((n) => [n, randomNet(u, layersOf(SIZES[n][0], SIZES[n][1], spec.architectures[n] ?? 'tanh'))])
  )
  const data = Array.from({ length: spec.batch }, () => Array.from({ length: DATA }, () => Math.fround(2 * u() - 1)))
  const prior = Array.from({ length: spec.batch }, () => Array.from({ length: PRIOR }, () => Math.fround(normal(u))))
  return { nets, data, prior, step: spec.step }
}

/** The signatures of the world's nets. */
export const signatures: Readonly<Record<string, Signature>> = Object.fromEntries(
  NET_NAMES.map((n) => [n, { input: [SIZES[n][0]], output: [SIZES[n][1]] }])
)

let counter = 0

/**
 * A tfjs `Net` computing the same function as a reference net: variables `[W₀, b₀, …]` holding its
 * parameters, plain matMul/add and the same activations (no fused ops: penalties differentiate twice).
 */
export const tfNet = (name: string, net: RefNet): Net => {
  let off = 0
  const vars: Array<tf.Variable> = []
  for (const l of net.layers) {
    const w = net.params.slice(off, off + l.inputs * l.outputs)
    const b = net.params.slice(off + l.inputs * l.outputs, off + l.inputs * l.outputs + l.outputs)
    off += l.inputs * l.outputs + l.outputs
    vars.push(tf.tidy(() => tf.variable(tf.tensor2d(w, [l.inputs, l.outputs]), true, `ref-${name}-W-${counter++}`)))
    vars.push(tf.tidy(() => tf.variable(tf.tensor1d(b), true, `ref-${name}-b-${counter++}`)))
  }
  const inputs = net.layers[0].inputs
  const outputs = net.layers[net.layers.length - 1].outputs
  return {
    signature: { input: [inputs], output: [outputs] },
    variables: vars,
    apply: (x) =>
      tf.tidy(() => {
        let h: tf.Tensor = tf.reshape(x, [x.shape[0], inputs])
        net.layers.forEach((l, i) => {
          const u = tf.add(tf.matMul(h as tf.Tensor2D, vars[2 * i] as tf.Tensor2D), vars[2 * i + 1])
          h = l.activation === 'tanh' ? tf.tanh(u) : l.activation === 'leakyRelu' ? tf.leakyRelu(u, LEAKY_SLOPE) : u
        })
        return h
      }),
    dispose: () => tf.dispose(vars)
  }
}

/** The compiler's twin of a reference world: nets, data and prior as tensors. */
export interface TfWorld {
  readonly nets: Binding
  readonly data: tf.Tensor2D
  readonly prior: tf.Tensor2D
  dispose(): void
}

export const tfWorld = (w: RefWorldParts): TfWorld => {
  const nets = Object.fromEntries(Object.entries(w.nets).map(([n, r]) => [n, tfNet(n, r)]))
  const data = tf.tensor2d(w.data.map((r) => [...r]))
  const prior = tf.tensor2d(w.prior.map((r) => [...r]))
  return {
    nets,
    data,
    prior,
    dispose: () => {
      for (const n of Object.values(nets)) n.dispose()
      tf.dispose([data, prior])
    }
  }
}

/** The parameters of a tfjs net, flat, in a reference net's order. */
export const paramsOf = (net: Net): Array<number> => net.variables.flatMap((v) => Array.from(v.dataSync()))
