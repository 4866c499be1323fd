/**
 * A training session in the page, built as a run builds one (src/run/session.ts): the experiment's
 * game, each net from its spec with the run's seed, batches drawn in the run's order, the same
 * evaluation draws; stepped in slices the page sizes.
 */
import * as tf from '@tensorflow/tfjs'

import { adamInPlace } from '../../src/backend/adam.ts'
import type { Binding } from '../../src/compile/Net.ts'
import type { CompiledGame, StepReport } from '../../src/compile/step.ts'
import { compileGame, readValues } from '../../src/compile/step.ts'
import { dataKinds } from '../../src/experiment/data.ts'
import type { DataSource } from '../../src/experiment/data.ts'
import { buildNets, dataShape, gameOf } from '../../src/experiment/game.ts'
import type { Experiment } from '../../src/experiment/types.ts'
import type { Mixture } from '../../src/data/toy.ts'
import type { ModeReport } from '../../src/metrics/modes.ts'
import { modeReport } from '../../src/metrics/modes.ts'
import { seededRng } from '../../src/run/rng.ts'

const disposeNets = (nets: Binding): void => {
  for (const n of Object.values(nets)) n.dispose()
}

/** What the plots show after a slice. */
export interface Snapshot {
  readonly step: number
  /** G(z) for the evaluation draw of z, flat [n × 2]. */
  readonly samples: Float32Array | undefined
  /** The codes E(x) (means, for a Gaussian encoder) of the evaluation data, flat [n × latent], and each example's mode. */
  readonly codes: Float32Array | undefined
  readonly codeModes: Int32Array | undefined
  readonly modes: ModeReport | undefined
}

export interface Session {
  readonly mixture: Mixture
  readonly step: number
  /** Runs up to `n` steps, stopping early after `budgetMs`; returns how many ran. */
  run(n: number, budgetMs: number): number
  /** The last step's values (one device sync); throws DivergenceError on NaN/Inf. */
  values(): Promise<Record<string, number>>
  snapshot(): Promise<Snapshot>
  dispose(): void
}

const nearest = (m: Mixture, x: number, y: number): number => {
  let best = 0
  let bestD = Infinity
  m.means.forEach(([mx, my], j) => {
    const d = (x - mx) ** 2 + (y - my) ** 2
    if (d < bestD) {
      bestD = d
      best = j
    }
  })
  return best
}

const CODES = 1000

/** Opens a session on the current backend; `backend` picks the in-place kernels a run would use there. */
export const createSession = async (e: Experiment, backend: string): Promise<Session> => {
  const game = gameOf(e)
  const source: DataSource = await dataKinds[e.data.kind].load(e.data)
  const mixture: Mixture = { name: source.description, means: source.modes ?? [], sd: source.sd ?? 1 }
  const nets = await buildNets(e)
  let compiled: CompiledGame
  try {
    // the kernels a run gets on this backend (src/backend/select.ts: in-place Adam on cpu)
    compiled = compileGame(game, nets, { seed: e.seed, kernels: backend === 'cpu' ? { adam: adamInPlace } : {} })
  } catch (err) {
    disposeNets(nets)
    throw err
  }
  const shape = dataShape(e)
  const batchOf = (n: number, u: () => number): tf.Tensor => tf.tensor(source.batch(n, u), [n, ...shape])
  const u = seededRng(e.seed)
  let last: StepReport | undefined
  // a run's evaluation draws (src/run/evaluate.ts): the same z every time, so the plots move only as the nets do
  const evalSeed = e.seed * 7919 + 17
  const G = nets.G
  const E = nets.E
  const z = tf.randomNormal([e.evaluation.samples, e.latent], 0, 1, 'float32', evalSeed)
  const x = batchOf(CODES, seededRng(evalSeed ^ 0x5bd1e995))
  const xs = x.dataSync()
  const codeModes = Int32Array.from({ length: CODES }, (_, i) => nearest(mixture, xs[2 * i], xs[2 * i + 1]))

  return {
    mixture,
    get step() {
      return compiled.iteration
    },
    run: (n, budgetMs) => {
      const t0 = performance.now()
      let done = 0
      while (done < n && (done === 0 || performance.now() - t0 < budgetMs)) {
        const b = batchOf(e.train.batch, u)
        try {
          last = compiled.step(b)
        } finally {
          b.dispose()
        }
        done++
      }
      return done
    },
    values: async () => (last === undefined ? {} : await readValues(last)),
    snapshot: async () => {
      const g = G === undefined ? undefined : tf.tidy(() => G.apply(z))
      const c =
        E === undefined
          ? undefined
          : tf.tidy(() => {
              const out = E.apply(x)
              return out.shape[1] === 2 * e.latent ? tf.slice(out, [0, 0], [CODES, e.latent]) : out
            })
      try {
        const samples = g === undefined ? undefined : ((await g.data()) as Float32Array)
        const codes = c === undefined ? undefined : ((await c.data()) as Float32Array)
        return {
          step: compiled.iteration,
          samples,
          codes,
          codeModes: codes === undefined ? undefined : codeModes,
          modes: samples === undefined ? undefined : modeReport(mixture, samples)
        }
      } finally {
        g?.dispose()
        c?.dispose()
      }
    },
    dispose: () => {
      compiled.dispose()
      disposeNets(nets)
      tf.dispose([z, x])
    }
  }
}

/** One step of the experiment on two examples: what a backend must manage before it is chosen. */
export const probe = async (e: Experiment): Promise<void> => {
  const nets = await buildNets(e)
  const source = await dataKinds[e.data.kind].load(e.data)
  const compiled = compileGame(gameOf(e), nets, { seed: 1 })
  const x = tf.tensor(source.batch(2, seededRng(1)), [2, ...dataShape(e)])
  try {
    compiled.step(x)
  } finally {
    compiled.dispose()
    x.dispose()
    disposeNets(nets)
  }
}
