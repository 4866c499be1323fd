import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as E from 'fp-ts/Either'

import { decodeExperiment } from '../src/codec/experiment.ts'
import type { Experiment } from '../src/experiment/index.ts'
import type { Checkpoint } from '../src/run/checkpoint.ts'
import { configHash, decodeCheckpoint, encodeCheckpoint, loadCheckpoint } from '../src/run/checkpoint.ts'
import { checkpointPath, readRunCheckpoint } from '../src/run/folder.ts'
import { train } from '../src/run/train.ts'
import { testBackends, useBackend } from './backend.ts'

const dir = mkdtempSync(join(tmpdir(), 'loss-algebra-resume-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const experiment = (model: unknown, steps: number): Experiment => {
  const r = decodeExperiment({
    model,
    nets: Object.fromEntries(
      ['E', 'G', 'D', 'C']
        .filter((n) => typeof model === 'string' || n === 'G' || n === 'D')
        .map((n) => [n, { arch: 'mlp', hidden: [16] }])
    ),
    train: { steps, batch: 32, logEvery: 1, evalEvery: 1000, checkpointEvery: 3 },
    evaluation: { samples: 64 }
  })
  if (E.isLeft(r)) throw new Error(r.left.join('\n'))
  return r.right
}

const quiet = { log: () => undefined }

const bytes = (c: Checkpoint): Buffer => Buffer.from(encodeCheckpoint(c))

/** Every array of two checkpoints equal bit for bit, and the first array that differs when not. */
const sameState = (a: Checkpoint, b: Checkpoint): void => {
  assert.equal(a.step, b.step)
  assert.equal(a.iteration, b.iteration)
  assert.equal(a.rng, b.rng)
  for (const [k, ts] of Object.entries(a.nets)) {
    ts.forEach((t, i) =>
      assert.ok(
        Buffer.from(t.values.buffer).equals(Buffer.from(b.nets[k][i].values.buffer)),
        `net ${k}, tensor ${i} differs`
      )
    )
  }
  for (const [k, o] of Object.entries(a.optimizers)) {
    assert.equal(o.steps, b.optimizers[k].steps)
    o.slots.forEach((t, i) =>
      assert.ok(
        Buffer.from(t.values.buffer).equals(Buffer.from(b.optimizers[k].slots[i].values.buffer)),
        `optimiser of ${k}, slot ${i} differs`
      )
    )
  }
  assert.ok(bytes(a).equals(bytes(b)))
}

describe('checkpoints', () => {
  it('read back what they wrote, and refuse a truncated or foreign file', () => {
    const c: Checkpoint = {
      config: 'abc',
      step: 3,
      iteration: 3,
      rng: 123456789,
      nets: { G: [{ shape: [2, 3], values: new Float32Array([1, 2, 3, 4, 5, NaN]) }] },
      optimizers: { g: { steps: 3, slots: [{ shape: [1], values: new Float32Array([-0]) }] } }
    }
    const b = encodeCheckpoint(c)
    assert.ok(Buffer.from(encodeCheckpoint(decodeCheckpoint(b))).equals(Buffer.from(b)))
    assert.throws(() => decodeCheckpoint(b.subarray(0, b.length - 4)), /truncated/)
    assert.throws(() => decodeCheckpoint(new TextEncoder().encode('{"step": 1}')), /not a loss-algebra checkpoint/)
  })

  it("hash a config read back from its run folder as the config it was trained from, for every data kind's nets", () => {
    const decode = (json: unknown): Experiment => {
      const r = decodeExperiment(json)
      if (E.isLeft(r)) throw new Error(r.left.join('\n'))
      return r.right
    }
    for (const kind of ['ring', 'grid', 'mnist', 'stackedMnist', 'colorMnist']) {
      for (const model of ['alphaGan', 'gan', 'bigan']) {
        const trained = decode({ model, data: { kind } })
        // what `train` writes as config.json and `resume` decodes again
        const readBack = decode(JSON.parse(JSON.stringify(trained)))
        assert.equal(configHash(readBack), configHash(trained), `${model} on ${kind}`)
      }
    }
    // what the hash covers still tells runs apart
    const a = decode({ model: 'gan', data: { kind: 'stackedMnist' } })
    assert.notEqual(configHash(decode({ model: 'gan', data: { kind: 'stackedMnist', count: 1000 } })), configHash(a))
    assert.notEqual(configHash({ ...a, seed: a.seed + 1 }), configHash(a))
    assert.equal(configHash({ ...a, train: { ...a.train, steps: 7 } }), configHash(a))
  })
})

describe('the hybrid examples, written only as JSON', () => {
  for (const f of ['alpha-gan-r1-ring.json', 'vae-gan-code-critic-ring.json']) {
    it(`${f} trains (small nets, a few steps) with every term finite`, async () => {
      const input = JSON.parse(readFileSync(join('examples', f), 'utf8'))
      const r = decodeExperiment({
        ...input,
        nets: Object.fromEntries(
          ['E', 'G', 'D', 'C'].map((n) => [n, { ...(input.nets?.[n] ?? { arch: 'mlp' }), hidden: [8] }])
        ),
        train: { steps: 3, batch: 16, logEvery: 1 },
        evaluation: { samples: 32 }
      })
      if (E.isLeft(r)) throw new Error(r.left.join('\n'))
      const out = join(dir, f)
      const o = await train(r.right, { dir: out, backend: 'cpu', ...quiet })
      assert.equal(o._tag, 'Done')
      const last = readFileSync(join(out, 'losses.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .pop()
      assert.ok(Object.keys(last.values).length >= 5)
      assert.ok(Object.values(last.values).every((v) => Number.isFinite(v)))
    })
  }
})

for (const backend of testBackends) {
  describe(`resume on ${backend}`, () => {
    for (const [model, n, m] of [
      ['alphaGan', 4, 5],
      [{ name: 'wganGp', critics: 2 }, 5, 4]
    ] as const) {
      const label = typeof model === 'string' ? model : model.name
      it(`${label}: ${n} steps, stop, resume, ${m} more steps == ${n + m} steps, bit for bit`, async () => {
        await useBackend(backend)
        const tensors = tf.memory().numTensors
        const whole = join(dir, `${backend}-${label}-whole`)
        const parts = join(dir, `${backend}-${label}-parts`)
        const r1 = await train(experiment(model, n + m), { dir: whole, backend, ...quiet })
        assert.equal(r1._tag, 'Done')
        const r2 = await train(experiment(model, n), { dir: parts, backend, ...quiet })
        assert.equal(r2._tag, 'Done')
        const e = experiment(model, n + m)
        const ck = await readRunCheckpoint(parts, e)
        assert.equal(ck.step, n)
        const r3 = await train(e, { dir: parts, backend, checkpoint: ck, ...quiet })
        assert.equal(r3._tag, 'Done')
        sameState(await loadCheckpoint(checkpointPath(whole)), await loadCheckpoint(checkpointPath(parts)))
        assert.equal(tf.memory().numTensors, tensors, 'tensors left after the runs')
      })
    }
  })
}

describe('step times', () => {
  it('leave evaluation out: a run evaluating a costly sample every step reports the step time of one that does not', async () => {
    const timed = async (samples: number, name: string) => {
      const e = experiment('alphaGan', 8)
      const r = await train(
        { ...e, train: { ...e.train, evalEvery: 1 }, evaluation: { ...e.evaluation, samples } },
        { dir: join(dir, name), backend: 'cpu', ...quiet }
      )
      assert.equal(r._tag, 'Done')
      if (r._tag !== 'Done') throw new Error('not done')
      const logged = readFileSync(join(dir, name, 'losses.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { ms: number }).ms)
      // the median: one step's time can carry a collection pause or a checkpoint write
      const sorted = [...logged].sort((a, b) => a - b)
      return { reported: r.metrics.msPerStep as number, logged: sorted[Math.floor(sorted.length / 2)] as number }
    }
    await useBackend('cpu')
    const cheap = await timed(64, 'eval-cheap')
    const t0 = performance.now()
    const costly = await timed(40_000, 'eval-costly')
    const evaluationPerStep = (performance.now() - t0) / 8 - costly.reported
    // each of its 8 evaluations costs many steps, and none of it shows in the step times
    assert.ok(
      evaluationPerStep > 5 * cheap.reported,
      `evaluation ${evaluationPerStep} ms vs a step ${cheap.reported} ms`
    )
    // were the evaluation counted, every step would carry it (one evaluation a step); half of it is the bound
    const bound = (step: number) => step + evaluationPerStep / 2
    assert.ok(costly.reported < bound(cheap.reported), `${costly.reported} vs ${cheap.reported} ms/step`)
    assert.ok(costly.logged < bound(cheap.logged), `logged ${costly.logged} vs ${cheap.logged} ms/step`)
  })
})
