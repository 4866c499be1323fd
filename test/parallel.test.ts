/**
 * Data-parallel steps (src/run/parallel.ts): the law that a step split over a worker thread computes
 * the step on the whole batch (same noise, mean gradients and losses), with no tensor left behind,
 * and that a batch the parts do not divide is refused.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as E from 'fp-ts/Either'

import { decodeExperiment } from '../src/codec/experiment.ts'
import type { CompiledGame } from '../src/compile/step.ts'
import { compileGame, readValues } from '../src/compile/step.ts'
import { buildNets, gameOf } from '../src/experiment/game.ts'
import type { Experiment } from '../src/experiment/index.ts'
import { compileParallel, experimentNets, srcModule } from '../src/run/parallel.ts'
import { batchOf } from '../src/run/session.ts'
import { dataKinds } from '../src/experiment/data.ts'
import { seededRng } from '../src/run/rng.ts'
import { testBackends, useBackend } from './backend.ts'

const netsOf: Readonly<Record<string, ReadonlyArray<string>>> = {
  alphaGan: ['E', 'G', 'D', 'C'],
  vae: ['E', 'G'],
  wganGp: ['G', 'D'],
  bigan: ['E', 'G', 'J'],
  gan: ['G', 'D']
}

const experiment = (model: string, schedule?: string): Experiment => {
  const r = decodeExperiment({
    model,
    ...(schedule === undefined ? {} : { schedule }),
    nets: Object.fromEntries(netsOf[model].map((n) => [n, { arch: 'mlp', hidden: [8] }])),
    train: { steps: 3, batch: 8 },
    seed: 7
  })
  if (E.isLeft(r)) throw new Error(r.left.join('\n'))
  return r.right
}

/** Runs `steps` steps of a compiled game on fixed batches; returns every value and every weight after. */
const run = async (
  e: Experiment,
  compile: (nets: Awaited<ReturnType<typeof buildNets>>) => Promise<CompiledGame>,
  steps: number
): Promise<{ values: Array<Record<string, number>>; weights: Array<Float32Array>; leaked: number }> => {
  const nets = await buildNets(e)
  const source = await dataKinds[e.data.kind].load(e.data)
  const u = seededRng(3)
  const c = await compile(nets)
  const values: Array<Record<string, number>> = []
  let before = 0
  for (let i = 0; i < steps; i++) {
    const x = batchOf(e, source, 8, u)
    values.push(await readValues(c.step(x)))
    x.dispose()
    if (i === 0) before = tf.memory().numTensors
  }
  const leaked = tf.memory().numTensors - before
  const weights = Object.values(nets).flatMap((n) =>
    n.variables.map((v) => v.dataSync() as Float32Array).map((a) => Float32Array.from(a))
  )
  c.dispose()
  for (const n of Object.values(nets)) n.dispose()
  return { values, weights, leaked }
}

const close = (a: number, b: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b), `${what}: ${a} split, ${b} whole`)

/** The law on one backend: `parts` threads compute the step on the whole batch. */
const sameStep = async (model: string, schedule: string | undefined, backend: string, parts: number): Promise<void> => {
  const e = experiment(model, schedule)
  const game = gameOf(e)
  const whole = await run(e, async (nets) => compileGame(game, nets, { seed: e.seed }), 3)
  const split = await run(
    e,
    async (nets) => await compileParallel(game, nets, experimentNets(e), { parts, backend, seed: e.seed }),
    3
  )
  whole.values.forEach((v, i) => {
    assert.deepEqual(Object.keys(split.values[i]).sort(), Object.keys(v).sort())
    for (const [k, x] of Object.entries(v)) close(split.values[i][k], x, `step ${i}, ${k}`)
  })
  assert.equal(split.weights.length, whole.weights.length)
  whole.weights.forEach((w, i) => w.forEach((x, j) => close(split.weights[i][j], x, `weight ${i}[${j}]`)))
  assert.equal(split.leaked, 0, 'tensors left on the main thread after two split steps')
}

describe('data parallel (a step split over worker threads)', () => {
  before(async () => await useBackend('cpu'))
  const cases: ReadonlyArray<[string, string | undefined, number]> = [
    ['alphaGan', undefined, 2],
    ['vae', undefined, 2],
    ['wganGp', undefined, 2],
    ['bigan', 'sharedSamples', 2],
    ['gan', undefined, 4]
  ]
  for (const [model, schedule, parts] of cases) {
    it(`${model}${schedule === undefined ? '' : ` (${schedule})`}: ${parts} parts compute the step on the whole batch`, async () => {
      await sameStep(model, schedule, 'cpu', parts)
    })
  }

  it('a worker that cannot start is an error naming the worker and the cause, and no thread is left', async () => {
    const e = experiment('gan')
    const nets = await buildNets(e)
    try {
      await assert.rejects(
        compileParallel(
          gameOf(e),
          nets,
          { module: srcModule('nets/index'), name: 'noSuchNets', args: [] },
          {
            parts: 2,
            backend: 'cpu',
            seed: 1
          }
        ),
        /data-parallel worker 1 did not start: .*nets\/index\.ts exports no function "noSuchNets"/
      )
    } finally {
      for (const n of Object.values(nets)) n.dispose()
    }
  })

  it('refuses a batch that does not split into equal parts, naming both sizes', async () => {
    const e = experiment('gan')
    const nets = await buildNets(e)
    const c = await compileParallel(gameOf(e), nets, experimentNets(e), { parts: 2, backend: 'cpu', seed: 1 })
    const x = tf.zeros([7, 2])
    try {
      assert.throws(() => c.step(x), /a batch of 7 does not split into 2 equal parts/)
    } finally {
      x.dispose()
      c.dispose()
      for (const n of Object.values(nets)) n.dispose()
    }
  })
})

describe('data parallel on wasm', { skip: !testBackends.includes('wasm') && 'wasm is not available' }, () => {
  before(async () => await useBackend('wasm'))
  it('alphaGan: two parts compute the step on the whole batch', async () => {
    await sameStep('alphaGan', undefined, 'wasm', 2)
  })
})

describe('train --threads (the real CLI)', () => {
  const out = mkdtempSync(join(tmpdir(), 'loss-algebra-threads-'))
  after(() => rmSync(out, { recursive: true, force: true }))
  const cli = (args: ReadonlyArray<string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' })

  it('trains and resumes with each batch split over two threads', () => {
    const common = ['--threads', '2', '--backend', 'cpu', '--no-report', '--json']
    const a = cli(['train', '--model', 'gan', '--steps', '4', '--out', out, '--name', 'two', ...common])
    assert.equal(a.status, 0, a.stderr)
    assert.match(a.stdout, /each batch split over 2 threads/)
    const b = cli(['resume', join(out, 'two'), '--steps', '8', ...common])
    assert.equal(b.status, 0, b.stderr)
    const metrics = JSON.parse(b.stdout.trim().split('\n').at(-1)!) as { step: number; threads: number }
    assert.equal(metrics.step, 8)
    assert.equal(metrics.threads, 2)
  })

  it('refuses a batch the threads do not divide: exit 2, the sizes named, nothing written', () => {
    const r = cli(['train', '--model', 'gan', '--steps', '4', '--threads', '3', '--out', out, '--name', 'three'])
    assert.equal(r.status, 2)
    assert.match(r.stderr, /--threads 3: .*train\.batch 256 does not split into 3 equal parts/)
    assert.ok(!existsSync(join(out, 'three')))
  })
})
