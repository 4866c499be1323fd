import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import * as E from 'fp-ts/Either'

import { trimLogs } from '../src/run/folder.ts'
import { failureReason } from '../src/sweep/child.ts'
import { connectionOf } from '../src/sweep/redis.ts'
import type { Sweep } from '../src/sweep/spec.ts'
import { expandSweep, merge, runId } from '../src/sweep/spec.ts'

const ok = (input: unknown): Sweep => {
  const r = expandSweep(input, 'sweep.json')
  if (E.isLeft(r)) assert.fail(r.left.join('\n'))
  return r.right
}
const problems = (input: unknown): ReadonlyArray<string> => {
  const r = expandSweep(input, 'sweep.json')
  assert.ok(E.isLeft(r), 'expected the sweep to be refused')
  return r.left
}
const get = (o: unknown, ...path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], o)

describe('sweep files', () => {
  it('expand base ⊕ runs[i] ⊕ one choice per grid array, the last array varying fastest', () => {
    const s = ok({
      base: { model: { name: 'alphaGan', lambda: 1 }, train: { steps: 50, batch: 16 } },
      runs: [
        { data: { kind: 'ring', modes: 8, radius: 2, sd: 0.05 } },
        { data: { kind: 'grid', side: 3, spacing: 2, sd: 0.05 } }
      ],
      grid: { train: { batch: [8, 32] }, seed: [1, 2, 3] }
    })
    assert.equal(s.runs.length, 2 * 2 * 3)
    assert.deepEqual(
      s.runs.slice(0, 4).map((r) => [get(r.config, 'data', 'kind'), get(r.config, 'train', 'batch'), r.config.seed]),
      [
        ['ring', 8, 1],
        ['ring', 8, 2],
        ['ring', 8, 3],
        ['ring', 32, 1]
      ]
    )
    assert.equal(get(s.runs[11].config, 'data', 'kind'), 'grid')
    // merged, not replaced: the grid's train.batch keeps the base's train.steps
    assert.ok(s.runs.every((r) => get(r.config, 'train', 'steps') === 50))
    assert.equal(s.runs[5].label, 'runs[0] batch=32 seed=3')
    assert.equal(s.runs[5].group, 'runs[0] batch=32')
    assert.equal(new Set(s.runs.map((r) => r.id)).size, s.runs.length)
  })

  it('normalise before hashing: a default spelled out, a name, or key order do not change a run id', () => {
    const [a] = ok({ base: { model: 'alphaGan', train: { steps: 20 } } }).runs
    const [b] = ok({ base: { name: 'other', train: { steps: 20 }, seed: 1, model: { name: 'alphaGan' } } }).runs
    assert.equal(a.id, b.id)
    const [c] = ok({ base: { model: 'alphaGan', train: { steps: 21 } } }).runs
    assert.notEqual(a.id, c.id)
    assert.equal(runId({ x: 1, y: [1, { b: 2, a: 1 }] }), runId({ y: [1, { a: 1, b: 2 }], x: 1, name: 'n' }))
  })

  it('seeds n replicates every run with seeds 1..n', () => {
    const s = ok({ base: { model: 'gan' }, grid: { model: ['gan', 'wganGp'] }, seeds: 2 })
    assert.deepEqual(
      s.runs.map((r) => [get(r.config, 'model', 'name'), r.config.seed]),
      [
        ['gan', 1],
        ['gan', 2],
        ['wganGp', 1],
        ['wganGp', 2]
      ]
    )
  })

  it('charge each problem to the place in the sweep file its value came from', () => {
    const p = problems({
      base: { model: 'alphaGan', train: { steps: -2 } },
      runs: [{ data: { kind: 'ring', modes: 0, radius: 2, sd: 0.05 } }, {}],
      grid: { model: ['alphaGan', 'gan', 'bogus'], seed: [1, 'x'] }
    })
    assert.ok(
      p.some((l) => /^sweep\.json: \$\.grid\.model\[2\]: .*alphaGan \| gan/.test(l)),
      p.join('\n')
    )
    assert.ok(
      p.some((l) => /^sweep\.json: \$\.base\.train\.steps: expected PositiveInt, got -2$/.test(l)),
      p.join('\n')
    )
    assert.ok(
      p.some((l) => /^sweep\.json: \$\.runs\[0\]\.data\.modes: expected PositiveInt, got 0$/.test(l)),
      p.join('\n')
    )
    assert.ok(
      p.some((l) => /^sweep\.json: \$\.grid\.seed\[1\]: expected Int, got "x"$/.test(l)),
      p.join('\n')
    )
    // one line per problem, however many runs share it
    assert.equal(p.filter((l) => l.includes('$.base.train.steps')).length, 1)
  })

  it('refuse unknown fields, empty alternatives, both seeds and grid.seed, and two runs that are one', () => {
    assert.deepEqual(problems({ base: { model: 'gan' }, grid: { batch: [] }, extra: 1 }), [
      'sweep.json: $.extra: unknown field (a sweep has name, base, runs, grid, seeds)',
      'sweep.json: $.grid.batch: expected a non-empty list of alternatives, got []'
    ])
    assert.match(
      problems({ base: { model: 'gan' }, grid: { seed: [1] }, seeds: 2 }).join('\n'),
      /\$\.seeds: give seeds or grid\.seed, not both/
    )
    assert.match(
      problems({ base: { model: 'gan' }, grid: { model: ['gan', { name: 'gan' }] } }).join('\n'),
      /runs "model=gan" and "gan" are the same experiment/
    )
    assert.match(
      problems({ base: { model: 'gan' }, grid: { train: { steps: 5 } } }).join('\n'),
      /\$\.grid\.train\.steps: expected a list of alternatives/
    )
    assert.match(
      problems({ base: { model: 'gan', train: { stepz: 5 } } }).join('\n'),
      /\$\.base\.train\.stepz: unknown field/
    )
    assert.match(problems([1]).join('\n'), /^sweep\.json: \$: expected a sweep/)
  })

  it('merge objects key by key and replace everything else', () => {
    assert.deepEqual(merge({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { c: 3 }, d: [3] }), { a: { b: 1, c: 3 }, d: [3] })
    assert.deepEqual(merge({ model: { name: 'alphaGan', lambda: 2 } }, { model: 'gan' }), { model: 'gan' })
  })

  it('read Redis URLs with user, password, database and TLS, and refuse anything else', () => {
    assert.deepEqual(
      { ...connectionOf('redis://u:p%40ss@example.org:6380/2'), retryStrategy: undefined },
      {
        host: 'example.org',
        port: 6380,
        username: 'u',
        password: 'p@ss',
        db: 2,
        maxRetriesPerRequest: null,
        retryStrategy: undefined
      }
    )
    assert.equal(connectionOf('redis://127.0.0.1').port, 6379)
    assert.deepEqual(connectionOf('rediss://h:1').tls, {})
    assert.throws(() => connectionOf('http://h:1'), /not a Redis URL/)
    assert.throws(() => connectionOf('h:1'), /not a Redis URL/)
  })

  it("give a failed run's reason: the command line's message, else the crash's error", () => {
    assert.equal(
      failureReason('step 3\nloss-algebra: training diverged at step 3: player "d"\n'),
      'loss-algebra: training diverged at step 3: player "d"'
    )
    assert.equal(
      failureReason(
        'file:///a.ts:3\n  throw e\nSyntaxError: Unexpected token\n    at f (a.ts:1)\n\nNode.js v20.20.2\n'
      ),
      'SyntaxError: Unexpected token'
    )
    assert.equal(failureReason('out of memory\n'), 'out of memory')
  })

  it('drop what a lost attempt logged after its last checkpoint, and a line cut short', async () => {
    const d = mkdtempSync(join(tmpdir(), 'loss-algebra-trim-'))
    try {
      writeFileSync(
        join(d, 'losses.jsonl'),
        [10, 20, 30, 40, 50].map((s) => JSON.stringify({ step: s, values: {} })).join('\n') + '\n{"step": 6'
      )
      await trimLogs(d, 40)
      assert.deepEqual(
        readFileSync(join(d, 'losses.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { step: number }).step),
        [10, 20, 30, 40]
      )
    } finally {
      rmSync(d, { recursive: true, force: true })
    }
  })
})
