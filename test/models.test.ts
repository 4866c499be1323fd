import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import * as tf from '@tensorflow/tfjs'
import * as fc from 'fast-check'

import { getDataExpr } from '../laws/arbitraries.ts'
import { agree, float32, noLeak } from '../laws/compile.ts'
import type { Fixture } from '../laws/fixture.ts'
import { fixture, worldGame } from '../laws/fixture.ts'
import { withInputs } from '../src/compile/loss.ts'
import type { Binding } from '../src/compile/Net.ts'
import { compileGame, readValues } from '../src/compile/step.ts'
import { apply, data, prior } from '../src/core/Expr.ts'
import type { Game } from '../src/core/Game.ts'
import { adam, player } from '../src/core/Game.ts'
import * as L from '../src/core/Loss.ts'
import { alphaGanObjective, models } from '../src/models/index.ts'
import type { ModelName } from '../src/models/index.ts'
import type { Arch } from '../src/nets/index.ts'
import { disposeAll, referenceNets, Z_DIM } from '../src/nets/index.ts'
import { testBackends, useBackend } from './backend.ts'

let f: Fixture
before(async () => {
  await useBackend('cpu')
  f = fixture(3)
})
after(() => f.dispose())

const E = (x: Parameters<typeof apply>[1]) => apply('E', x)
const G = (z: Parameters<typeof apply>[1]) => apply('G', z)

const build = (name: ModelName, arch: Arch): { game: Game; nets: Binding } => {
  const nets = referenceNets(arch, { encOut: name === 'vae' || name === 'vaeGan' ? 2 * Z_DIM : Z_DIM, seed: 1 })
  const sigs = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, n.signature]))
  return { game: models[name]({ data: [28, 28, 1], prior: [Z_DIM], nets: sigs }), nets }
}

for (const backend of testBackends) {
  describe(`every model compiles, trains and leaks nothing, on ${backend}`, () => {
    before(() => useBackend(backend))
    after(() => useBackend('cpu'))
    const cases: Array<[ModelName, Arch]> = [
      ...(Object.keys(models) as Array<ModelName>).map((m): [ModelName, Arch] => [m, 'mlp']),
      ['alphaGan', 'conv'],
      ['wganGp', 'conv']
    ]
    for (const [name, arch] of cases) {
      it(`${name} (${arch})`, async () => {
        const { game, nets } = build(name, arch)
        const x = tf.randomUniform([2, 28, 28, 1], -1, 1, 'float32', 1)
        const compiled = compileGame(game, nets, { seed: 1 })
        const period = Math.max(...game.players.map((p) => p.every))
        let report = compiled.step(x)
        for (let i = 1; i < period; i++) report = compiled.step(x)
        const n = tf.memory().numTensors
        for (let i = 0; i < period; i++) report = compiled.step(x)
        assert.equal(tf.memory().numTensors, n, 'tensors after warm-up')
        const values = await readValues(report)
        for (const p of game.players) assert.ok(p.name in values, `player ${p.name} reported`)
        for (const label of game.players.flatMap((p) => L.labelsOf(p.loss).map((l) => `${p.name}/${l}`))) {
          assert.ok(label in values, `named term ${label} reported`)
        }
        compiled.dispose()
        disposeAll(nets)
        x.dispose()
      })
    }
  })
}

describe('model reductions (docs/ARCHITECTURE.md §6)', () => {
  it('α-GAN with the density-ratio terms weighted 0 is AAE, symbolically and in gradients', () => {
    const drop = (t: L.Loss): L.Loss =>
      t._tag === 'Sum'
        ? L.sum(...t.terms.map(drop))
        : t._tag === 'Named' && t.label.startsWith('ratio')
          ? L.scale(0, t)
          : t
    const alpha0 = drop(alphaGanObjective(2))
    const aae = models.aae({ data: [3], prior: [2], nets: f.signatures }, { lambda: 2 }).players[0].loss
    assert.ok(L.Eq.equals(alpha0, aae))
    withInputs(f.nets, f, (run) => {
      const vars = [...f.nets.E.variables, ...f.nets.G.variables]
      assert.ok(agree(run(alpha0, vars), run(aae, vars)))
    })
  })
  it('the density-ratio loss is non-saturating plus minimax: −a = −log D + log(1 − D)', () =>
    fc.assert(
      fc.property(getDataExpr(2), (s) =>
        withInputs(f.nets, f, (run) =>
          agree(
            run(L.neg(L.densityRatio('D', s)), f.vars),
            run(L.add(L.nonSaturating('D', s), L.minimax('D', s)), f.vars),
            float32
          )
        )
      ),
      { seed: 11, numRuns: 25 }
    ))
  it('swapping latentKL(C) for gaussianKL on a Gaussian encoder gives VAE-GAN’s encoder objective', () => {
    const q = L.gaussianKL(apply('V', data), apply('V', data))
    const x̂ = G(E(data))
    const alpha = L.sum(L.reconstructionL1(data, x̂), L.nonSaturating('D', x̂), L.latentKL('C', E(data)))
    const swapped = L.sum(L.reconstructionL1(data, x̂), L.nonSaturating('D', x̂), q)
    const vaeGanEncoder = L.sum(q, L.reconstructionL1(data, x̂), L.nonSaturating('D', x̂))
    assert.ok(L.Eq.equals(swapped, vaeGanEncoder))
    assert.ok(!L.Eq.equals(alpha, vaeGanEncoder))
  })
})

describe('the α-GAN code critic (the paper’s v1 erratum)', () => {
  /**
   * How a one-player game moves C's verdict: the change over 20 steps of the gap between C's mean
   * logit on prior draws and on encoded data (positive: C tells codes from the prior better).
   */
  const gapChange = (nets: ReadonlyArray<string>, loss: L.Loss): number => {
    const own = fixture(5)
    const z = tf.randomNormal([1000, 2], 0, 1, 'float32', 3)
    const gap = (): number =>
      tf.tidy(
        () => tf.sub(tf.mean(own.nets.C.apply(z)), tf.mean(own.nets.C.apply(own.nets.E.apply(own.data)))).dataSync()[0]
      )
    const before = gap()
    const compiled = compileGame(worldGame(own, [player('p', nets, loss, { optimizer: adam(0.01) })]), own.nets, {
      seed: 2
    })
    for (let i = 0; i < 20; i++) compiled.step(own.data)
    compiled.dispose()
    const after = gap()
    z.dispose()
    own.dispose()
    return after - before
  }
  it('E and C pull C’s verdict on E(x) in opposite directions', () => {
    const byEncoder = gapChange(['E'], L.latentKL('C', E(data)))
    const byCritic = gapChange(['C'], L.classify('C', { real: prior, fake: E(data) }))
    assert.ok(byEncoder < 0, `the encoder moves its codes to where C says "prior" (${byEncoder})`)
    assert.ok(byCritic > 0, `the critic tells codes from prior draws better (${byCritic})`)
    // the v1 labelling (posterior called real) makes the game cooperative: C helps E
    const v1Critic = gapChange(['C'], L.classify('C', { real: E(data), fake: prior }))
    assert.ok(v1Critic < 0, `v1's critic closes the gap too (${v1Critic})`)
  })
})

describe('reports', () => {
  it('a named term’s value is reported without reading it back until asked', async () => {
    const g = worldGame(f, [player('p', ['G'], L.named('rec', L.reconstructionL1(data, G(prior))))])
    const compiled = compileGame(g, f.nets)
    const r = compiled.step(f.data)
    assert.ok(r.values.get('p/rec') instanceof tf.Tensor)
    const v = await readValues(r)
    assert.ok(Math.abs(v['p/rec'] - v.p) < 1e-6)
    compiled.dispose()
  })
  it('steps of a whole α-GAN game leak nothing in the small world', () => {
    const spec = { data: [3], prior: [2], nets: f.signatures }
    assert.ok(noLeak(f, 3)(models.alphaGan(spec)))
  })
})
