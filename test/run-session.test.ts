import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as E from 'fp-ts/Either'

import { adamInPlace } from '../src/backend/adam.ts'
import { decodeExperiment } from '../src/codec/experiment.ts'
import { compileGame } from '../src/compile/step.ts'
import { buildNets } from '../src/experiment/game.ts'
import { batchOf, disposeNets, openSession } from '../src/run/session.ts'
import { seededRng } from '../src/run/rng.ts'

const experiment = () => {
  const r = decodeExperiment({
    model: 'gan',
    nets: { G: { arch: 'mlp', hidden: [8] }, D: { arch: 'mlp', hidden: [8] } },
    train: { steps: 2, batch: 16 },
    evaluation: { samples: 16 }
  })
  if (E.isLeft(r)) throw new Error(r.left.join('\n'))
  return r.right
}

/** The kernels one step runs (forward, backward, updates). */
const kernelsOfStep = async (step: () => void): Promise<number> => (await tf.profile(step)).kernels.length

describe('a run session', () => {
  it("compiles the game with the chosen backend's in-place kernels (cpu: Adam in place, fewer kernels a step)", async () => {
    const e = experiment()
    const s = await openSession(e, { backend: 'cpu' })
    try {
      assert.equal(s.backend.name, 'cpu')
      assert.equal(s.backend.kernels.adam, adamInPlace)
      const x = batchOf(e, s.source, 16, seededRng(3))
      // the same game compiled without kernels: Adam as tensor ops
      const nets = await buildNets(e)
      const plain = compileGame(s.game, nets, { seed: e.seed })
      try {
        s.compiled.step(x) // first steps: slots allocated, both paths warm
        plain.step(x)
        const inPlace = await kernelsOfStep(() => void s.compiled.step(x))
        const tensorOps = await kernelsOfStep(() => void plain.step(x))
        assert.ok(
          inPlace < tensorOps,
          `a session's step runs ${inPlace} kernels, a step without in-place Adam ${tensorOps}`
        )
      } finally {
        plain.dispose()
        disposeNets(nets)
        x.dispose()
      }
    } finally {
      s.dispose()
    }
  })
})
