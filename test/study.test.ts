/**
 * The study's configs (examples/study/) and its tables: the committed JSON is what
 * scripts/study-configs.ts writes; every config decodes and checks; each α-GAN ablation is the
 * model's game with exactly its one term removed or replaced; the table's mean ± sd skips failed runs.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import * as E from 'fp-ts/Either'

import { decodeExperiment } from '../src/codec/experiment.ts'
import { check } from '../src/core/Check.ts'
import { apply, data, prior } from '../src/core/Expr.ts'
import type { Loss } from '../src/core/Loss.ts'
import * as L from '../src/core/Loss.ts'
import { gameOf } from '../src/experiment/index.ts'
import type { Experiment } from '../src/experiment/index.ts'
import { alphaGanObjective } from '../src/models/index.ts'
import { compact, studyConfigs } from '../scripts/study-configs.ts'
import {
  callsOf,
  describeCalls,
  groups,
  modesPlot,
  runsIn,
  runsRecorded,
  seedsPhrase,
  table,
  totalWall
} from '../scripts/study.ts'

const dir = join('examples', 'study')
const files = readdirSync(dir).filter((f) => f.endsWith('.json'))
const load = (name: string): Experiment => {
  const r = decodeExperiment(JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')))
  if (E.isLeft(r)) assert.fail(`${name}: ${r.left.join('\n')}`)
  return r.right
}
const generatorLoss = (name: string): Loss =>
  gameOf(load(name)).players.find((p) => p.name === 'encoder-generator')!.loss
const G = (z: Parameters<typeof apply>[1]) => apply('G', z)
const GE = G(apply('E', data))

describe('study configs', () => {
  it('are exactly what scripts/study-configs.ts writes, and every group names existing files', () => {
    const generated = studyConfigs()
    assert.deepEqual(files.map((f) => f.replace(/\.json$/, '')).sort(), Object.keys(generated).sort())
    for (const [name, cfg] of Object.entries(generated))
      assert.equal(readFileSync(join(dir, `${name}.json`), 'utf8'), compact(cfg) + '\n', name)
    for (const [g, names] of Object.entries(groups))
      for (const n of names) assert.ok(files.includes(`${n}.json`), `${g}: ${n}`)
  })

  it('decode, check, and follow the toy protocol (PacGAN σ, batch 100, Adam 1e-4 β₁ 0.8, G 4×400)', () => {
    for (const f of files) {
      const e = load(f.replace(/\.json$/, ''))
      assert.ok(E.isRight(check(gameOf(e))), f)
      if (e.data.kind === 'ring') assert.deepEqual([e.data.radius, e.data.sd, e.data.modes], [1, 0.01, 8], f)
      if (e.data.kind === 'grid') assert.deepEqual([e.data.side, e.data.spacing, e.data.sd], [5, 2, 0.05], f)
      if (e.data.kind === 'ring' || e.data.kind === 'grid') {
        assert.equal(e.train.batch, 100, f)
        assert.deepEqual(e.nets.G.hidden, [400, 400, 400, 400], f)
        for (const p of gameOf(e).players) {
          const o = p.optimizer!
          if (e.model?.name === 'wganGp')
            assert.deepEqual([o.learningRate, (o as { beta1: number }).beta1], [1e-4, 0], f)
          else assert.deepEqual([o.learningRate, (o as { beta1: number }).beta1], [1e-4, 0.8], `${f} ${p.name}`)
        }
      }
    }
  })

  for (const toy of ['ring', 'grid']) {
    it(`${toy}: each α-GAN ablation removes or replaces exactly its term`, () => {
      const full = alphaGanObjective(1)
      const eq = (a: Loss, b: Loss, what: string) => assert.ok(L.Eq.equals(a, b), what)
      eq(generatorLoss(`alpha-gan-${toy}`), full, 'the baseline is the model')
      eq(
        L.add(
          L.named('reconstruction', L.scale(1, L.reconstructionL1(data, GE))),
          generatorLoss(`alpha-gan-no-reconstruction-${toy}`)
        ),
        full,
        'no reconstruction'
      )
      eq(
        L.add(L.named('latent', L.latentKL('C', apply('E', data))), generatorLoss(`alpha-gan-no-code-critic-${toy}`)),
        full,
        'no code critic'
      )
      eq(
        L.add(
          L.named('ratio(sample)', L.neg(L.densityRatio('D', G(prior)))),
          generatorLoss(`alpha-gan-no-samples-to-d-${toy}`)
        ),
        full,
        'no samples'
      )
      eq(generatorLoss(`alpha-gan-lambda-10-${toy}`), alphaGanObjective(10), 'λ 10')
      eq(generatorLoss(`alpha-gan-lambda-0.1-${toy}`), alphaGanObjective(0.1), 'λ 0.1')
      // −E[log D/(1−D)] replaced by −E[log D] on both adversarial terms, nothing else
      const nonSat = generatorLoss(`alpha-gan-non-saturating-${toy}`)
      const back = L.sum(
        L.named('reconstruction', L.scale(1, L.reconstructionL1(data, GE))),
        L.named('ratio(recon)', L.nonSaturating('D', GE)),
        L.named('ratio(sample)', L.nonSaturating('D', G(prior))),
        L.named('latent', L.latentKL('C', apply('E', data)))
      )
      eq(nonSat, back, 'non-saturating')
      assert.ok(!L.Eq.equals(nonSat, full))

      const players = (n: string) => gameOf(load(n)).players.map((p) => p.name)
      assert.deepEqual(players(`alpha-gan-no-code-critic-${toy}`), ['encoder-generator', 'data-critic'])
      const critic = gameOf(load(`alpha-gan-no-samples-to-d-${toy}`)).players.find(
        (p) => p.name === 'data-critic'
      )!.loss
      eq(critic, L.classify('D', { real: data, fake: [GE] }), 'D sees reconstructions only')
    })
  }
})

describe('study table', () => {
  it('is mean ± sample sd over the seeds that finished', () => {
    const run = (seed: number, modes: number, hq: number, exit = 0) => ({
      label: 'm-grid',
      seed,
      exit,
      metrics: exit === 0 ? { modes, highQuality: hq, klToUniform: 0.1 * seed, msPerStep: 10 } : null
    })
    const md = table('grid', [run(1, 20, 0.5), run(2, 24, 0.7), run(3, 0, 0, 1)])
    assert.match(md, /\| m-grid \| 2\/3 \| 22\.0 ± 2\.8 \| 60\.0 ± 14\.1 \| 0\.15 ± 0\.07 \| 10 \|/)
    assert.match(table('ring', [run(1, 8, 1)]), /modes \/8/)
    assert.equal(seedsPhrase([run(1, 20, 0.5), run(2, 24, 0.7)]), '2 seeds')
    assert.equal(seedsPhrase([run(1, 20, 0.5)]), '1 seed')
    assert.equal(
      seedsPhrase([run(1, 20, 0.5), run(2, 24, 0.7), { ...run(1, 8, 1), label: 'n-grid' }]),
      '1–2 seeds a run'
    )
    // one seed: its values alone, no spread of 0
    assert.match(table('grid', [run(1, 20, 0.5)]), /\| m-grid \| 1\/1 \| 20\.0 \| 50\.0 \| 0\.10 \| 10 \|/)
  })
})

describe('study record of calls', () => {
  const a = 'loss-algebra compare a.json --seeds 2 --resume'
  const b = 'loss-algebra compare b.json --seeds 1 --resume'
  it('keeps every call behind a group: a resumed call adds to its own command, a new one is appended', () => {
    // the record as earlier versions wrote it: one command and its wall time
    const legacy = { command: a, wallS: 600 }
    const once = callsOf({ calls: callsOf(legacy, b, 120, true) }, a, 60, true)
    const twice = callsOf({ calls: once }, b, 30, true)
    assert.deepEqual(
      twice,
      [
        { command: a, wallS: 660 },
        { command: b, wallS: 150 }
      ],
      'a resumed a continues a; b is appended, then continued'
    )
    assert.equal(totalWall(twice), 810, 'the wall time in all is the sum')
    assert.deepEqual(callsOf(legacy, b, 5, false), [{ command: b, wallS: 5 }], 'a fresh call replaces the record')
    assert.deepEqual(callsOf({ calls: twice }, b, undefined, true), twice, 'a collect alone keeps the record')
    assert.deepEqual(callsOf({}, b, undefined, false), [{ command: b, wallS: null }], 'nothing recorded: not measured')
    assert.equal(totalWall([{ command: a, wallS: null }]), null, 'no wall time measured is said as such')
    // a stopped call's runs collected with --resume: named, untimed, and its continuation stays untimed
    const c = 'loss-algebra compare c.json --seeds 1 --resume'
    const stopped = callsOf({ calls: once }, c, undefined, true)
    assert.deepEqual(stopped, [...once, { command: c, wallS: null }], 'a resumed collect names its call')
    assert.deepEqual(callsOf({ calls: stopped }, c, 60, true), stopped, 'a part of an untimed call is not its time')
    assert.deepEqual(callsOf({ calls: once }, c, undefined, false), once, 'a plain collect keeps the record')
  })
  it('says each command with its wall time, and the sum when there are several', () => {
    assert.equal(describeCalls([{ command: a, wallS: 90 }]), `\`${a}\` (wall time here 1.5 min)`)
    assert.equal(
      describeCalls(
        [
          { command: a, wallS: 600 },
          { command: b, wallS: null }
        ],
        'npx loss-algebra'
      ),
      `\`npx ${a}\` (wall time here 10.0 min), then \`npx ${b}\` (wall time here not recorded); 10.0 min in all for the calls timed`
    )
  })
})

describe('study collect', () => {
  it('reads each run as its folder holds it: done runs with their metrics, unfinished ones as failed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'study-'))
    try {
      const run = (name: string, state: string, metrics?: object): void => {
        mkdirSync(join(dir, name))
        writeFileSync(join(dir, name, 'status.json'), JSON.stringify({ state, step: 10 }))
        if (metrics !== undefined) writeFileSync(join(dir, name, 'metrics.json'), JSON.stringify(metrics))
      }
      run('gan-ring-seed2', 'done', { modes: 3 })
      run('gan-ring-seed1', 'done', { modes: 5 })
      run('alpha-gan-ring-seed1', 'running')
      run('other-seed1', 'done', { modes: 1 })
      // the paper's metrics, evaluated after training, join the run's metrics
      writeFileSync(join(dir, 'gan-ring-seed1', 'paper-metrics.json'), JSON.stringify({ inceptionScore: 2 }))
      const runs = runsIn(dir, ['gan-ring', 'alpha-gan-ring'])
      assert.deepEqual(
        runs.map((r) => [r.label, r.seed, r.exit, r.metrics?.modes]),
        [
          ['gan-ring', 1, 0, 5],
          ['gan-ring', 2, 0, 3],
          ['alpha-gan-ring', 1, 1, undefined]
        ]
      )
      assert.match(runs[2].error ?? '', /not finished \(running\)/)
      assert.deepEqual(runs[0].metrics, { modes: 5, inceptionScore: 2 })
    } finally {
      rmSync(dir, { recursive: true })
    }
  })

  it('falls back to the committed record when the run folders are gone, and plots Stacked MNIST modes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'study-'))
    try {
      const file = join(dir, 'stacked-mnist.json')
      writeFileSync(
        file,
        JSON.stringify({
          group: 'stacked-mnist',
          runs: [
            {
              label: 'gan-stacked-mnist',
              seed: 1,
              exit: 0,
              metrics: { modes: 310, kl: 3.1, frechet: 800, inceptionScore: 4.08, msPerStep: 50 }
            },
            { label: 'gan-stacked-mnist', seed: 2, exit: 1, error: 'not finished (running)', metrics: null },
            {
              label: 'vae-stacked-mnist',
              seed: 1,
              exit: 0,
              metrics: { modes: 980, kl: 0.6, frechet: 600, inceptionScore: 28, msSsim: 0.3, msSsimReal: 0.24 }
            },
            {
              label: 'vae-stacked-mnist',
              seed: 2,
              exit: 0,
              metrics: { modes: 978, kl: 0.7, frechet: 610, inceptionScore: 30, msSsim: 0.32, msSsimReal: 0.24 }
            },
            { label: 'vae-stacked-mnist', seed: 3, exit: 0, metrics: { modes: 979, kl: 0.65, frechet: 605 } }
          ]
        })
      )
      const runs = runsRecorded(file)
      assert.deepEqual(
        runs.map((r) => [r.label, r.seed, r.exit]),
        [
          ['gan-stacked-mnist', 1, 0],
          ['gan-stacked-mnist', 2, 1],
          ['vae-stacked-mnist', 1, 0],
          ['vae-stacked-mnist', 2, 0],
          ['vae-stacked-mnist', 3, 0]
        ]
      )
      assert.match(
        table('stacked-mnist', runs),
        /\| gan-stacked-mnist \| 1\/2 \| 310\.0 \| 3\.10 \| 800\.0 \| — \| 4\.08 \| — \| — \| 50 \|/
      )
      // MS-SSIM over seeds, with the test data's value beside it; a metric some seeds lack says on how many it stands
      assert.match(
        table('stacked-mnist', runs),
        /\| vae-stacked-mnist \| 3\/3 \| 979\.0 ± 1\.0 \| .* \| 29\.00 ± 1\.41 \(2 seeds\) \| 0\.310 ± 0\.014 \(2 seeds\), test 0\.240 \| — \| — \|/
      )
      assert.deepEqual(runsRecorded(join(dir, 'missing.json')), [])
      const png = await modesPlot('stacked-mnist', runs)
      assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')])
    } finally {
      rmSync(dir, { recursive: true })
    }
  })
})
