import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import * as E from 'fp-ts/Either'

import { decode, GameC, LossC } from '../src/codec/index.ts'
import { check, describe as describeError } from '../src/core/Check.ts'
import { apply, chunk, data, gaussian, prior, stop } from '../src/core/Expr.ts'
import type { Game } from '../src/core/Game.ts'
import { player, sig } from '../src/core/Game.ts'
import * as L from '../src/core/Loss.ts'
import { linear, piecewise } from '../src/core/Schedule.ts'
import { alphaGan } from '../src/models/index.ts'

const nets = { E: sig([4], [2]), G: sig([2], [4]), D: sig([4], [1]), C: sig([2], [1]) }
const world = (players: Game['players']): Game => ({ data: [4], prior: [2], nets, players })
const errors = (g: Game): ReadonlyArray<string> => {
  const r = check(g)
  return E.isLeft(r) ? r.left.map(describeError) : []
}

describe('static checks', () => {
  it('accepts the α-GAN game', () => assert.deepEqual(errors(alphaGan({ data: [4], prior: [2], nets })), []))
  it('names an unbound net with its player and term', () => {
    const es = errors(
      world([
        player('g', ['G'], L.sum(L.nonSaturating('D', apply('G', prior)), L.densityRatio('X', apply('G', prior))))
      ])
    )
    assert.deepEqual(es, ['player "g", loss.terms[1]: net "X" is not bound (term E[log X/(1−X)](G(z)))'])
  })
  it('refuses a player whose loss touches none of its nets', () => {
    const es = errors(world([player('c', ['C'], L.nonSaturating('D', apply('G', prior)))]))
    assert.deepEqual(es, ['player "c": its loss depends on none of its nets (C), so its step would do nothing'])
  })
  it('a net reached only through stop does not count as touched', () => {
    const es = errors(world([player('e', ['E'], L.reconstructionL1(data, stop(apply('G', apply('E', data)))))]))
    assert.match(es[0], /player "e": its loss depends on none of its nets/)
  })
  it('refuses shapes that do not compose', () => {
    const es = errors(world([player('g', ['G', 'E'], L.reconstructionL1(data, apply('G', apply('G', prior))))]))
    assert.deepEqual(es, ['player "g", loss: input of G in G(G(z)): expected [2], got [4] (term mean|x − G(G(z))|)'])
  })
  it('refuses a reconstruction against the wrong space', () => {
    const es = errors(world([player('e', ['E'], L.reconstructionL2(data, apply('E', data)))]))
    assert.deepEqual(es, ['player "e", loss: E(x) against x: expected [4], got [2] (term mean(x − E(x))²)'])
  })
  it('refuses a Gaussian whose mean and log-variance differ in shape', () => {
    const q = gaussian(chunk(apply('E', data), 0, 2), apply('E', data))
    const es = errors(world([player('e', ['E', 'G'], L.reconstructionL1(data, apply('G', q)))]))
    assert.match(es[0], /log-variance of 𝒩\(E\(x\)\[0\/2\], E\(x\)\): expected \[1\], got \[2\]/)
  })
  it('refuses a critic that does not output one logit', () => {
    const es = errors(world([player('e', ['E'], L.densityRatio('E', data))]))
    assert.match(es.join('\n'), /output of critic E \(one logit\): expected \[1\], got \[2\]/)
  })
  it('reports every error at once: duplicate players, bad every, undeclared nets', () => {
    const p = player('p', ['G', 'Z'], L.nonSaturating('D', apply('G', prior)), { every: 0 })
    const es = errors(world([p, p]))
    assert.deepEqual(es, [
      'player "p": every must be a positive integer, got 0',
      'player "p": trains net "Z", which the game does not declare',
      'player "p" appears more than once',
      'player "p": every must be a positive integer, got 0',
      'player "p": trains net "Z", which the game does not declare'
    ])
  })
})

describe('decoding names the path of what is wrong', () => {
  it('in a term', () => {
    const bad = { _tag: 'Sum', terms: [{ _tag: 'Scale', k: 'ten', term: { _tag: 'Zero' } }] }
    const r = decode(LossC, bad)
    assert.ok(E.isLeft(r))
    assert.deepEqual(r.left, ['$.terms[0].k: expected Finite, got "ten"'])
  })
  it('in a game', () => {
    const g = JSON.parse(JSON.stringify(world([player('g', ['G'], L.nonSaturating('D', apply('G', prior)))])))
    g.players[0].loss.sample.net = 7
    g.data = [4, -1]
    const r = decode(GameC, g)
    assert.ok(E.isLeft(r))
    assert.deepEqual(
      [...r.left].sort(),
      ['$.data[1]: expected Dim, got -1', '$.players[0].loss.sample.net: expected string, got 7'].sort()
    )
  })
})

describe('decoding applies the rules of core’s constructors, with their messages', () => {
  const refused = (codec: typeof LossC, input: unknown, constructor: () => unknown): void => {
    let message = ''
    try {
      constructor()
    } catch (e) {
      message = (e as Error).message
    }
    assert.notEqual(message, '', 'the constructor refuses it too')
    const r = decode(codec, input)
    assert.ok(E.isLeft(r))
    assert.deepEqual(
      r.left.map((l) => l.replace(/^\$[^:]*: /, '')),
      [message]
    )
  }
  const x = { _tag: 'Data' }
  it('a chunk that is not a part', () =>
    refused(LossC, { _tag: 'DensityRatio', critic: 'D', sample: { _tag: 'Chunk', expr: x, index: 2, count: 2 } }, () =>
      chunk(data, 2, 2)
    ))
  it('a classifier without a fake set', () =>
    refused(LossC, { _tag: 'Classify', critic: 'D', real: x, fake: [], variant: 'bce' }, () =>
      L.classify('D', { real: data, fake: [] })
    ))
  it('an empty label', () =>
    refused(LossC, { _tag: 'Named', label: '', term: { _tag: 'Zero' } }, () => L.named('', L.zero)))
  it('schedules whose boundaries do not increase, or whose end is not after the start', () => {
    const w = (schedule: unknown) => ({ _tag: 'Weighted', schedule, term: { _tag: 'Zero' } })
    refused(LossC, w({ _tag: 'Piecewise', boundaries: [3, 1], values: [0, 1, 2] }), () => piecewise([3, 1], [0, 1, 2]))
    refused(LossC, w({ _tag: 'Piecewise', boundaries: [3], values: [0] }), () => piecewise([3], [0]))
    refused(LossC, w({ _tag: 'Linear', from: 0, to: 1, start: 5, end: 5 }), () => linear(0, 1, 5, 5))
  })
  it('names the path of the broken rule', () => {
    const bad = {
      _tag: 'Sum',
      terms: [
        { _tag: 'Zero' },
        { _tag: 'Named', label: 'x', term: { _tag: 'Named', label: '', term: { _tag: 'Zero' } } }
      ]
    }
    assert.deepEqual(decode(LossC, bad), E.left(['$.terms[1].term: named: the label must not be empty']))
  })
})
