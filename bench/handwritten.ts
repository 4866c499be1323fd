/**
 * The baseline: each model's training step written by hand in plain tfjs, on the same `Net`s the
 * compiler gets. Explicit `tf.variableGrads(f, varList)` + the same Adam update as the compiled step, the players in
 * the order of `src/models/index.ts`, each recomputing its forward pass with the current weights
 * (what the compiled step does), and the loss formulas the models compile to:
 *
 * - BCE on logits with constant labels: BCE(a, 1) = softplus(−a), BCE(a, 0) = softplus(a), batch means.
 * - aae and alphaGan's encoder–generator side use the density-ratio form the models are built from
 *   (docs/ARCHITECTURE.md §2): −E[a_D] for `densityRatio`, −E[a_C] for `latentKL`, where ARCHITECTURES.md writes
 *   BCE(·, 1) = softplus(−a). Same nets, same number of net passes; one elementwise op on a [B]-vector
 *   apart, so the step costs the same, and the values match the compiled step's exactly.
 * - Same prior draw as the compiled step (`drawSeed(seed, i, 'prior')`), so the first step's losses
 *   can be compared (`--check`). The reparameterisation noise and the gradient-penalty mix are drawn
 *   with their own seeds (the compiled step keys them by expression), so vae, vaeGan and wganGp agree
 *   in distribution only.
 */
import * as tf from '@tensorflow/tfjs'

import type { Net } from '../src/compile/Net.ts'
import type { Updater } from '../src/compile/optim.ts'
import { adamUpdater } from '../src/compile/optim.ts'
import type { StepKernels } from '../src/compile/optim.ts'
import { drawSeed } from '../src/compile/term.ts'
import type { ModelName } from '../src/models/index.ts'
import { Z_DIM } from '../src/nets/index.ts'

interface Opt {
  step(varList: ReadonlyArray<tf.Variable>, grads: tf.NamedTensorMap): void
  dispose(): void
}

export type Nets = Readonly<Record<'E' | 'G' | 'D' | 'C' | 'J', Net>>

export interface HandwrittenStep {
  /** One training step on `x` `[B, 28, 28, 1]`; returns each player's loss (owned until the next step). */
  step(x: tf.Tensor): ReadonlyMap<string, tf.Scalar>
  dispose(): void
}

export interface HandwrittenOptions {
  readonly seed?: number
  readonly learningRate?: number
  readonly beta1?: number
  readonly beta2?: number
  /** The backend's in-place kernels (as the compiled step gets them). */
  readonly kernels?: StepKernels
  /** WGAN-GP: critic steps per generator step, and the penalty weight. */
  readonly critics?: number
  readonly penalty?: number
  /** α-GAN and AAE: the reconstruction weight λ. */
  readonly lambda?: number
}

const bceReal = (a: tf.Tensor): tf.Scalar => tf.mean(tf.softplus(tf.neg(a)))
const bceFake = (a: tf.Tensor): tf.Scalar => tf.mean(tf.softplus(a))
const l1 = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.mean(tf.abs(tf.sub(x, y)))
const flat = (t: tf.Tensor): tf.Tensor2D => tf.reshape(t, [t.shape[0], -1])

/** Closed-form KL(N(μ, σ²) ‖ N(0, I)), summed over the code, mean over the batch. */
const gaussianKL = (mu: tf.Tensor, logVar: tf.Tensor): tf.Scalar =>
  tf.mul(-0.5, tf.mean(tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar)), 1)))

export const handwritten = (model: ModelName, nets: Nets, o: HandwrittenOptions = {}): HandwrittenStep => {
  const { E, G, D, C, J } = nets
  const seed = o.seed ?? 0
  const lambda = o.lambda ?? 1
  const vars = (...ns: Array<Net>): Array<tf.Variable> => ns.flatMap((n) => n.variables as Array<tf.Variable>)
  const optimizers: Array<Opt> = []
  /** Adam, the same fused update the compiled step uses (src/compile/optim.ts), bound to its var list on first use. */
  const opt = (): Opt => {
    let u: Updater | null = null
    const made: Opt = {
      step: (varList, grads) => {
        u ??= adamUpdater(varList, o.learningRate ?? 2e-4, o.beta1 ?? 0.5, o.beta2 ?? 0.999, o.kernels?.adam)
        u.apply(varList.map((v) => grads[v.name] ?? null))
      },
      dispose: () => u?.dispose()
    }
    optimizers.push(made)
    return made
  }

  let last: Map<string, tf.Scalar> = new Map()
  let iteration = 0

  /** One player's update: its loss differentiated with respect to its own variables only. */
  const update = (
    out: Map<string, tf.Scalar>,
    name: string,
    optimizer: Opt,
    varList: Array<tf.Variable>,
    f: () => tf.Scalar
  ): void => {
    const { value, grads } = tf.variableGrads(f, varList)
    optimizer.step(varList, grads)
    tf.dispose(grads)
    out.set(name, value)
  }

  /** ẑ = μ + σ·ε from an encoder with 2·|z| outputs; ε is drawn once per step and shared by the players. */
  const posterior = (x: tf.Tensor, eps: tf.Tensor): { z: tf.Tensor; kl: tf.Scalar } => {
    const [mu, logVar] = tf.split(E.apply(x), 2, 1)
    return { z: tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)), kl: gaussianKL(mu, logVar) }
  }

  type Body = (x: tf.Tensor, z: tf.Tensor, i: number, out: Map<string, tf.Scalar>) => void
  let body: Body
  switch (model) {
    case 'gan': {
      const oD = opt()
      const oG = opt()
      const vD = vars(D)
      const vG = vars(G)
      body = (x, z, _i, out) => {
        update(out, 'critic', oD, vD, () => tf.add(bceReal(D.apply(x)), bceFake(D.apply(G.apply(z)))))
        update(out, 'generator', oG, vG, () => bceReal(D.apply(G.apply(z))))
      }
      break
    }
    case 'vae': {
      const oEG = opt()
      const vEG = vars(E, G)
      body = (x, _z, i, out) => {
        const eps = tf.randomNormal([x.shape[0], Z_DIM], 0, 1, 'float32', drawSeed(seed, i, 'noise'))
        update(out, 'encoder-generator', oEG, vEG, () => {
          const { z, kl } = posterior(x, eps)
          return tf.add(tf.div(tf.sum(tf.square(tf.sub(x, G.apply(z)))), x.shape[0]), kl)
        })
        eps.dispose()
      }
      break
    }
    case 'aae': {
      const oEG = opt()
      const oC = opt()
      const vEG = vars(E, G)
      const vC = vars(C)
      body = (x, z, _i, out) => {
        update(out, 'encoder-generator', oEG, vEG, () => {
          const code = E.apply(x)
          return tf.add(tf.mul(lambda, l1(x, G.apply(code))), tf.neg(tf.mean(C.apply(code))))
        })
        update(out, 'code-critic', oC, vC, () => tf.add(bceReal(C.apply(z)), bceFake(C.apply(E.apply(x)))))
      }
      break
    }
    case 'vaeGan': {
      const oD = opt()
      const oEG = opt()
      const vD = vars(D)
      const vEG = vars(E, G)
      body = (x, z, i, out) => {
        const eps = tf.randomNormal([x.shape[0], Z_DIM], 0, 1, 'float32', drawSeed(seed, i, 'noise'))
        update(out, 'data-critic', oD, vD, () => {
          const { z: zq } = posterior(x, eps)
          return tf.add(tf.add(bceReal(D.apply(x)), bceFake(D.apply(G.apply(zq)))), bceFake(D.apply(G.apply(z))))
        })
        update(out, 'encoder-generator', oEG, vEG, () => {
          const { z: zq, kl } = posterior(x, eps)
          const xr = G.apply(zq)
          return tf.addN([kl, l1(x, xr), bceReal(D.apply(xr)), bceReal(D.apply(G.apply(z)))]) as tf.Scalar
        })
        eps.dispose()
      }
      break
    }
    case 'bigan': {
      const oJ = opt()
      const oEG = opt()
      const vJ = vars(J)
      const vEG = vars(E, G)
      const pairs = (x: tf.Tensor, z: tf.Tensor): { real: tf.Tensor; fake: tf.Tensor } => ({
        real: tf.concat([flat(x), E.apply(x)], 1),
        fake: tf.concat([flat(G.apply(z)), z], 1)
      })
      body = (x, z, _i, out) => {
        update(out, 'joint-critic', oJ, vJ, () => {
          const { real, fake } = pairs(x, z)
          return tf.add(bceReal(J.apply(real)), bceFake(J.apply(fake)))
        })
        update(out, 'encoder-generator', oEG, vEG, () => {
          const { real, fake } = pairs(x, z)
          return tf.add(bceReal(J.apply(fake)), bceFake(J.apply(real)))
        })
      }
      break
    }
    case 'alphaGan': {
      const oEG = opt()
      const oD = opt()
      const oC = opt()
      const vEG = vars(E, G)
      const vD = vars(D)
      const vC = vars(C)
      body = (x, z, _i, out) => {
        update(out, 'encoder-generator', oEG, vEG, () => {
          const code = E.apply(x)
          const xr = G.apply(code)
          return tf.addN([
            tf.mul(lambda, l1(x, xr)),
            tf.neg(tf.mean(D.apply(xr))),
            tf.neg(tf.mean(D.apply(G.apply(z)))),
            tf.neg(tf.mean(C.apply(code)))
          ]) as tf.Scalar
        })
        update(
          out,
          'data-critic',
          oD,
          vD,
          () =>
            tf.addN([
              bceReal(D.apply(x)),
              bceFake(D.apply(G.apply(E.apply(x)))),
              bceFake(D.apply(G.apply(z)))
            ]) as tf.Scalar
        )
        update(out, 'code-critic', oC, vC, () => tf.add(bceReal(C.apply(z)), bceFake(C.apply(E.apply(x)))))
      }
      break
    }
    case 'wganGp': {
      const oD = opt()
      const oG = opt()
      const vD = vars(D)
      const vG = vars(G)
      const critics = o.critics ?? 5
      const penalty = o.penalty ?? 10
      body = (x, z, i, out) => {
        const eps = tf.randomUniform([x.shape[0], 1, 1, 1], 0, 1, 'float32', drawSeed(seed, i, 'noise'))
        update(out, 'critic', oD, vD, () => {
          const xg = G.apply(z)
          const mixed = tf.add(tf.mul(eps, x), tf.mul(tf.sub(1, eps), xg))
          const g = tf.grad((u: tf.Tensor) => tf.sum(D.apply(u)))(mixed)
          const norms = tf.sqrt(tf.add(tf.sum(tf.square(flat(g)), 1), 1e-12))
          const gp = tf.mean(tf.square(tf.sub(norms, 1)))
          return tf.addN([tf.neg(tf.mean(D.apply(x))), tf.mean(D.apply(xg)), tf.mul(penalty, gp)]) as tf.Scalar
        })
        eps.dispose()
        if ((i + 1) % critics === 0)
          update(out, 'generator', oG, vG, () => tf.neg(tf.mean(D.apply(G.apply(z)))) as tf.Scalar)
      }
      break
    }
  }

  return {
    step: (x) => {
      tf.dispose([...last.values()])
      const i = iteration
      const z = tf.randomNormal([x.shape[0], Z_DIM], 0, 1, 'float32', drawSeed(seed, i, 'prior'))
      const out = new Map<string, tf.Scalar>()
      try {
        body(x, z, i, out)
      } finally {
        z.dispose()
      }
      iteration++
      last = out
      return out
    },
    dispose: () => {
      tf.dispose([...last.values()])
      last = new Map()
      for (const p of optimizers) p.dispose()
    }
  }
}
