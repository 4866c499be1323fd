import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import * as E from 'fp-ts/Either'

import { decodeExperiment, defaultExperiment, modelNames } from '../src/codec/experiment.ts'
import { check } from '../src/core/Check.ts'
import type { Loss } from '../src/core/Loss.ts'
import { adam } from '../src/core/Game.ts'
import { estimateMemory, gameOf } from '../src/experiment/index.ts'
import { alphaGan, bigan, wganGp } from '../src/models/index.ts'
import { configHash } from '../src/run/checkpoint.ts'
import type { Experiment } from '../src/experiment/index.ts'

const ok = (input: unknown): Experiment => {
  const r = decodeExperiment(input)
  if (E.isLeft(r)) assert.fail(r.left.join('\n'))
  return r.right
}
const errors = (input: unknown): ReadonlyArray<string> => {
  const r = decodeExperiment(input)
  assert.ok(E.isLeft(r), `expected errors for ${JSON.stringify(input)}`)
  return r.left
}

const hybrid = {
  name: 'r1-game',
  game: {
    players: [
      {
        name: 'generator',
        nets: ['G'],
        loss: { _tag: 'NonSaturating', critic: 'D', sample: { _tag: 'Apply', net: 'G', input: { _tag: 'Prior' } } }
      },
      {
        name: 'critic',
        nets: ['D'],
        every: 2,
        loss: {
          _tag: 'Sum',
          terms: [
            {
              _tag: 'Classify',
              critic: 'D',
              real: { _tag: 'Data' },
              fake: [{ _tag: 'Apply', net: 'G', input: { _tag: 'Prior' } }],
              variant: 'bce'
            },
            { _tag: 'Scale', k: 5, term: { _tag: 'R1', critic: 'D', real: { _tag: 'Data' } } }
          ]
        }
      }
    ]
  },
  nets: { D: { arch: 'mlp', hidden: [32] } }
}

describe('experiment configs', () => {
  it('normalise to a fixed point: the normalised config decodes to itself, for every model and a game', () => {
    for (const input of [defaultExperiment, ...modelNames.map((model) => ({ model })), hybrid]) {
      const e = ok(input)
      assert.deepEqual(ok(JSON.parse(JSON.stringify(e))), e)
      assert.ok(E.isRight(check(gameOf(e))), JSON.stringify(input))
    }
  })
  it('name an unknown field by its path, at any depth', () => {
    assert.match(
      errors({ model: { name: 'alphaGan', lamda: 10 } }).join('\n'),
      /^\$\.model\.lamda: unknown field "lamda" \(known here: name, lambda, optimizer\)$/
    )
    assert.match(
      errors({ ...hybrid, nets: { D: { arch: 'mlp', hiden: [3] } } }).join('\n'),
      /\$\.nets\.D\.hiden: unknown field/
    )
    const deep = structuredClone(hybrid) as {
      game: { players: Array<{ loss: { terms: Array<Record<string, unknown>> } }> }
    }
    deep.game.players[1].loss.terms[1].scale = 2
    assert.match(errors(deep).join('\n'), /\$\.game\.players\[1\]\.loss\.terms\[1\]\.scale: unknown field/)
    assert.match(errors({ model: 'gan', train: { step: 3 } }).join('\n'), /\$\.train\.step: unknown field/)
  })
  it('take the step schedule from the top level: exact, written out (default alternating), in the game and the checkpoint hash', () => {
    const shared = ok({ model: 'wganGp', schedule: 'sharedSamples' })
    assert.equal(shared.schedule, 'sharedSamples')
    assert.equal(gameOf(shared).schedule, 'sharedSamples')
    assert.equal(ok(hybrid).schedule, 'alternating')
    assert.equal(gameOf(ok({ ...hybrid, schedule: 'sharedSamples' })).schedule, 'sharedSamples')
    const plain = ok({ model: 'wganGp' })
    assert.equal(plain.schedule, 'alternating')
    assert.equal(gameOf(plain).schedule, 'alternating')
    assert.deepEqual(ok(JSON.parse(JSON.stringify(shared))), shared)
    assert.match(
      errors({ model: 'gan', schedule: 'shared' }).join('\n'),
      /^\$\.schedule: expected alternating \| sharedSamples, got "shared"/
    )
    assert.match(
      errors({ model: 'gan', train: { schedule: 'sharedSamples' } }).join('\n'),
      /\$\.train\.schedule: unknown field/
    )
    // a checkpoint written before the field existed still matches an alternating run; sharedSamples is another run
    const { schedule: _, ...before } = plain
    assert.equal(configHash(plain), configHash(before as unknown as Experiment))
    assert.notEqual(configHash({ ...plain, schedule: 'sharedSamples' }), configHash(plain))
  })
  it("give every model its own hyper-parameters: WGAN-GP's penalty, critic count and optimiser", () => {
    const e = ok({ model: { name: 'wganGp', penalty: 3, critics: 4 } })
    const g = gameOf(e)
    const generator = g.players.find((p) => p.name === 'generator')!
    assert.equal(generator.every, 4)
    assert.deepEqual(generator.optimizer, { _tag: 'Adam', learningRate: 1e-4, beta1: 0, beta2: 0.9 })
    const critic = g.players.find((p) => p.name === 'critic')!.loss as Extract<Loss, { _tag: 'Sum' }>
    assert.match(JSON.stringify(critic.terms[1]), /"k":3/)
    const lambda = gameOf(ok({ model: { name: 'alphaGan', lambda: 7 } })).players[0].loss
    assert.match(JSON.stringify(lambda), /"k":7/)
    assert.equal(
      (ok({ model: 'gan', train: { learningRate: 0.01 } }).model!.optimizer as { learningRate: number }).learningRate,
      0.01
    )
  })
  it('refuse a model and a game together, neither, unknown metrics and nets the model lacks', () => {
    assert.match(errors({ model: 'gan', game: hybrid.game }).join('\n'), /give "model" or "game", not both/)
    assert.match(errors({}).join('\n'), /give "model"/)
    assert.match(
      errors({ model: 'gan', evaluation: { metrics: ['fid'] } }).join('\n'),
      /\$\.evaluation\.metrics\[0\]: unknown metric "fid"/
    )
    assert.match(
      errors({ model: 'gan', nets: { E: { arch: 'mlp' } } }).join('\n'),
      /\$\.nets\.E: model gan has no net "E"/
    )
  })
  it('decode and check every example config', () => {
    const files = readdirSync('examples').filter((f) => f.endsWith('.json'))
    assert.ok(files.includes('alpha-gan-r1-ring.json') && files.includes('vae-gan-code-critic-ring.json'))
    for (const f of files) {
      const r = decodeExperiment(JSON.parse(readFileSync(join('examples', f), 'utf8')), `${f}: $`)
      if (E.isLeft(r)) assert.fail(r.left.join('\n'))
      const c = check(gameOf(r.right))
      assert.ok(E.isRight(c), `${f}: ${JSON.stringify(c)}`)
    }
    const r1 = ok(JSON.parse(readFileSync(join('examples', 'alpha-gan-r1-ring.json'), 'utf8')))
    assert.match(JSON.stringify(r1.game!.players[1].loss), /"_tag":"R1","critic":"D"/)
    const vg = ok(JSON.parse(readFileSync(join('examples', 'vae-gan-code-critic-ring.json'), 'utf8')))
    assert.doesNotMatch(JSON.stringify(vg.game), /GaussianKL/)
    assert.match(JSON.stringify(vg.game!.players[1].loss), /"_tag":"LatentKL","critic":"C"/)
  })
  it("build each named model as its function does, with the model's own defaults", () => {
    const spec = { data: [2], prior: [2], nets: gameOf(ok({ model: 'bigan' })).nets }
    assert.deepEqual(
      gameOf(ok({ model: 'wganGp' })).players,
      wganGp({ ...spec, nets: gameOf(ok({ model: 'wganGp' })).nets }).players
    )
    const a = ok({ model: { name: 'alphaGan', lambda: 2 } })
    // the model's game, under the config's step schedule
    assert.deepEqual(gameOf(a), {
      ...alphaGan({ data: [2], prior: [2], nets: gameOf(a).nets, optimizer: adam(1e-3, 0.5, 0.999) }, { lambda: 2 }),
      schedule: 'alternating'
    })
    assert.deepEqual(gameOf(ok({ model: 'bigan' })), {
      ...bigan({ ...spec, optimizer: adam(1e-3, 0.5, 0.999) }),
      schedule: 'alternating'
    })
  })
  it('estimate memory that grows with the batch', () => {
    const small = estimateMemory(ok({ model: 'alphaGan' })).bytes
    const big = estimateMemory(ok({ model: 'alphaGan', train: { batch: 1e9 } })).bytes
    assert.ok(small < 1e9 && big > 1e12, `${small} ${big}`)
  })
  it('loads no tfjs for show and check', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/experiment-hooks.mjs',
        '-e',
        "await import('./src/experiment/index.ts'); await import('./src/codec/experiment.ts'); await import('@tensorflow/tfjs').then(() => console.log('loaded'), (e) => console.log(e.message))"
      ],
      { encoding: 'utf8' }
    )
    assert.match(r.stdout, /tfjs was loaded: @tensorflow\/tfjs/, r.stderr)
  })
})
