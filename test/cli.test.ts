import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { exitCodeOf, program } from '../src/cli/program.ts'
import { jobEnv } from '../src/cli/compare.ts'

interface Ran {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The real CLI as a subprocess (`--import` adds node options, e.g. a module hook). */
const cli = (
  args: ReadonlyArray<string>,
  o: { readonly imports?: ReadonlyArray<string>; readonly killAfter?: (out: string) => boolean } = {}
): Promise<Ran> =>
  new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', ...(o.imports ?? []).flatMap((i) => ['--import', i]), 'src/cli/main.ts', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (o.killAfter?.(stdout) === true) child.kill('SIGKILL')
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })

/** Runs thunks with at most `width` at once. */
const pool = async <A>(thunks: ReadonlyArray<() => Promise<A>>, width: number): Promise<Array<A>> => {
  const out: Array<A> = new Array(thunks.length)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < thunks.length) {
        const i = next++
        out[i] = await thunks[i]()
      }
    })
  )
  return out
}

const dir = mkdtempSync(join(tmpdir(), 'loss-algebra-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const file = (name: string, content: string | object): string => {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** A small, fast experiment. */
const small = (extra: object = {}) => ({
  model: 'alphaGan',
  nets: {
    E: { arch: 'mlp', hidden: [8] },
    G: { arch: 'mlp', hidden: [8] },
    D: { arch: 'mlp', hidden: [8] },
    C: { arch: 'mlp', hidden: [8] }
  },
  train: { steps: 6, batch: 16, logEvery: 2, evalEvery: 6, checkpointEvery: 2 },
  evaluation: { samples: 50 },
  ...extra
})

const G = { _tag: 'Apply', net: 'G', input: { _tag: 'Prior' } }
const gamePlayers = (players: ReadonlyArray<object>) => ({ game: { players } })

/** A listing of a folder's files with sizes and times: unchanged means nothing was written. */
const snapshot = (d: string): string =>
  !existsSync(d)
    ? 'absent'
    : statSync(d).isFile()
      ? `${statSync(d).size} ${statSync(d).mtimeMs}`
      : readdirSync(d, { recursive: true })
          .map(String)
          .sort()
          .map((f) => `${f} ${statSync(join(d, f)).size} ${statSync(join(d, f)).mtimeMs}`)
          .join('\n')

let goodRun = ''
/** What training the good run printed. */
let goodLog = ''
let otherRun = ''

before(async () => {
  // two finished runs to resume, corrupt and mix up
  const [a, b] = await Promise.all([
    cli(['train', file('good.json', small({ name: 'good' })), '--backend', 'cpu', '--out', join(dir, 'runs')]),
    cli([
      'train',
      file('other.json', small({ name: 'other', seed: 2 })),
      '--backend',
      'cpu',
      '--out',
      join(dir, 'runs'),
      '--no-report'
    ])
  ])
  assert.equal(a.status, 0, a.stderr)
  assert.equal(b.status, 0, b.stderr)
  goodRun = join(dir, 'runs', 'good')
  goodLog = a.stdout
  otherRun = join(dir, 'runs', 'other')
})

/** A copy of the good run, changed by `f`, for a resume case. */
const brokenRun = (name: string, f: (d: string) => void): string => {
  const d = join(dir, 'broken', name)
  cpSync(goodRun, d, { recursive: true })
  f(d)
  return d
}

interface Case {
  readonly kind: string
  /** The arguments (built lazily: resume cases need the runs of `before`). */
  readonly args: () => ReadonlyArray<string>
  readonly expect: ReadonlyArray<RegExp>
  /** A folder that must stay as it was (default: the case's --out, which must not appear). */
  readonly untouched?: () => string
}

const out = (k: string) => join(dir, 'out', k)
const train =
  (k: string, config: object | string, ...more: ReadonlyArray<string>): Case['args'] =>
  () => ['train', typeof config === 'string' ? config : file(`${k}.json`, config), '--out', out(k), ...more]
const at = (k: string) => new RegExp(`${k}\\.json`)

const cases: ReadonlyArray<Case> = [
  {
    kind: 'malformed JSON',
    args: train('malformed', file('malformed.json', '{"model": "gan",')),
    expect: [at('malformed'), /not JSON/]
  },
  { kind: 'empty file', args: train('empty', file('empty.json', '  \n')), expect: [at('empty'), /empty file/] },
  {
    kind: 'missing file',
    args: train('missing', join(dir, 'nope.json')),
    expect: [/nope\.json: cannot read \(no such file\)/]
  },
  { kind: 'a folder as config', args: () => ['train', dir, '--out', out('folder')], expect: [/a folder, not a file/] },
  {
    kind: 'not an object',
    args: train('array', []),
    expect: [/array\.json: \$: expected an experiment object, got \[\]/]
  },
  {
    kind: 'wrong type',
    args: train('type', small({ train: { steps: 'x' } })),
    expect: [/type\.json: \$\.train\.steps: expected PositiveInt, got "x"/]
  },
  {
    kind: 'out-of-range number',
    args: train('sd', { model: 'gan', data: { kind: 'ring', sd: -1 } }),
    expect: [/sd\.json: \$\.data\.sd: expected Positive, got -1/]
  },
  {
    kind: 'misspelt hyper-parameter',
    args: train('lamda', { model: { name: 'alphaGan', lamda: 10 } }),
    expect: [/lamda\.json: \$\.model\.lamda: unknown field "lamda"/]
  },
  {
    kind: 'unknown top-level field',
    args: train('epochs', { model: 'gan', epochs: 3 }),
    expect: [/epochs\.json: \$\.epochs: unknown field/]
  },
  {
    kind: 'unknown field in a term',
    args: train(
      'termfield',
      gamePlayers([{ name: 'c', nets: ['D'], loss: { _tag: 'R1', critic: 'D', real: { _tag: 'Data' }, weight: 2 } }])
    ),
    expect: [/termfield\.json: \$\.game\.players\[0\]\.loss\.weight: unknown field/]
  },
  {
    kind: 'unknown model',
    args: train('model', { model: 'alphaGAN' }),
    expect: [
      /model\.json: \$\.model: expected alphaGan \| gan \| wganGp \| aae \| vaeGan \| vae \| bigan, got "alphaGAN"/
    ]
  },
  {
    kind: 'unknown data kind',
    args: train('kind', { model: 'gan', data: { kind: 'spiral' } }),
    expect: [/kind\.json: \$\.data\.kind: expected ring \| grid/]
  },
  {
    kind: 'unknown architecture',
    args: train('arch', { model: 'gan', nets: { D: { arch: 'resnet' } } }),
    expect: [/arch\.json: \$\.nets\.D\.arch: expected mlp \| conv/]
  },
  {
    kind: 'unknown activation',
    args: train('act', { model: 'gan', nets: { D: { arch: 'mlp', activation: 'gelu' } } }),
    expect: [/act\.json: \$\.nets\.D\.activation: expected/]
  },
  {
    kind: 'unknown term tag',
    args: train('tag', gamePlayers([{ name: 'c', nets: ['D'], loss: { _tag: 'Hinge', critic: 'D' } }])),
    expect: [/tag\.json: \$\.game\.players\[0\]\.loss: expected/]
  },
  {
    kind: 'unknown optimiser',
    args: train('opt', { model: { name: 'gan', optimizer: { _tag: 'AdamW', learningRate: 1 } } }),
    expect: [/opt\.json: \$\.model\.optimizer: expected/]
  },
  {
    kind: 'bad schedule (every 0)',
    args: train(
      'every',
      gamePlayers([{ name: 'c', nets: ['D'], every: 0, loss: { _tag: 'R1', critic: 'D', real: { _tag: 'Data' } } }])
    ),
    expect: [/every\.json: \$\.game\.players\[0\]\.every: expected PositiveInt, got 0/]
  },
  {
    kind: 'a loss touching none of its nets',
    args: train(
      'idle',
      gamePlayers([
        {
          name: 'critic',
          nets: ['D'],
          loss: { _tag: 'NonSaturating', critic: 'C', sample: { _tag: 'Apply', net: 'E', input: { _tag: 'Data' } } }
        },
        { name: 'g', nets: ['G'], loss: { _tag: 'NonSaturating', critic: 'D', sample: G } }
      ])
    ),
    expect: [/idle\.json: \$\.game: player "critic": its loss depends on none of its nets \(D\)/]
  },
  {
    kind: 'shapes that do not compose',
    args: train('shape', {
      ...gamePlayers([{ name: 'g', nets: ['G'], loss: { _tag: 'NonSaturating', critic: 'D', sample: G } }]),
      nets: { G: { arch: 'mlp', output: 3 } }
    }),
    expect: [/shape\.json: \$\.game: player "g", .*expected \[2\], got \[3\]/]
  },
  {
    kind: 'a net no one declares',
    args: train(
      'undeclared',
      gamePlayers([
        {
          name: 'g',
          nets: ['Q'],
          loss: { _tag: 'NonSaturating', critic: 'D', sample: { _tag: 'Apply', net: 'Q', input: { _tag: 'Prior' } } }
        }
      ])
    ),
    expect: [/undeclared\.json: \$\.game: player "g".*"Q"/]
  },
  {
    kind: 'model and game',
    args: train('both', { model: 'gan', game: { players: [] } }),
    expect: [/both\.json: \$: give "model" or "game", not both/]
  },
  { kind: 'neither model nor game', args: train('neither', { seed: 3 }), expect: [/neither\.json: \$: give "model"/] },
  {
    kind: 'a net the model lacks',
    args: train('lacks', { model: 'gan', nets: { J: { arch: 'mlp' } } }),
    expect: [/lacks\.json: \$\.nets\.J: model gan has no net "J"/]
  },
  {
    kind: 'unknown metric',
    args: train('metric', { model: 'gan', evaluation: { metrics: ['fid'] } }),
    expect: [/metric\.json: \$\.evaluation\.metrics\[0\]: unknown metric "fid"/]
  },
  {
    kind: 'a run name with a slash',
    args: train('name', { model: 'gan', name: '../escape' }),
    expect: [/name\.json: \$\.name: expected a name/]
  },
  {
    kind: 'unknown backend in the config',
    args: train('cfgbackend', { model: 'gan', backend: 'gpu' }),
    expect: [/cfgbackend\.json: \$\.backend: unknown backend "gpu"/]
  },
  {
    kind: 'a batch the machine cannot hold',
    args: train('batch', { model: 'gan', train: { batch: 1000000000 } }),
    expect: [/batch\.json: \$\.train\.batch: this run needs about [\d.]+ [TPE]iB/]
  },
  {
    kind: 'nets the machine cannot hold',
    args: train('wide', { model: 'gan', nets: { D: { arch: 'mlp', hidden: [1000000, 1000000] } } }),
    expect: [/wide\.json: .*needs about [\d.]+ [TPE]iB/]
  },
  {
    kind: 'output path that is a file',
    args: () => ['train', '--model', 'gan', '--out', file('afile', 'x')],
    expect: [/--out .*afile: a file, not a folder/],
    untouched: () => join(dir, 'afile')
  },
  {
    kind: 'output path under a file',
    args: () => ['train', '--model', 'gan', '--out', join(file('bfile', 'x'), 'runs')],
    expect: [/bfile is a file, not a folder/],
    untouched: () => join(dir, 'bfile')
  },
  {
    kind: 'existing run folder',
    args: () => ['train', file('good2.json', small({ name: 'good' })), '--out', join(dir, 'runs')],
    expect: [/good: exists \(resume it/],
    untouched: () => goodRun
  },
  {
    kind: 'config file and --model',
    args: train('twice', { model: 'gan' }, '--model', 'gan'),
    expect: [/a config file or --model, not both/]
  },
  {
    kind: 'unknown option',
    args: () => ['train', '--stepz', '3', '--out', out('opt2')],
    expect: [/unknown option '--stepz'/]
  },
  {
    kind: 'bad option value',
    args: () => ['train', '--steps', '0', '--out', out('steps0')],
    expect: [/--steps <n>.*expected a positive integer, got "0"/]
  },
  {
    kind: 'unknown backend option',
    args: () => ['train', '--backend', 'gpu', '--out', out('gpu')],
    expect: [/--backend <name>' argument 'gpu' is invalid\. Allowed choices are/]
  },
  { kind: 'unknown command', args: () => ['trian'], expect: [/unknown command 'trian'/] },
  { kind: 'show of an unknown model', args: () => ['show', 'alphaGAN'], expect: [/\$\.model: expected alphaGan/] },
  {
    kind: 'compare of an unknown item',
    args: () => ['compare', 'gan', 'vaegan', '--out', out('compare')],
    expect: [/"vaegan" is neither a model/]
  },
  {
    kind: 'resume of a missing run',
    args: () => ['resume', join(dir, 'runs', 'nope')],
    expect: [/nope: no such run folder/]
  },
  {
    kind: 'resume of a foreign folder',
    args: () => ['resume', join(dir, 'out')],
    expect: [/config\.json: missing \(not a run folder\)/],
    untouched: () => join(dir, 'out')
  },
  {
    kind: 'resume with a corrupt config',
    args: () => ['resume', brokenRun('badconfig', (d) => writeFileSync(join(d, 'config.json'), '{"name":'))],
    expect: [/badconfig\/config\.json: not JSON/],
    untouched: () => join(dir, 'broken', 'badconfig')
  },
  {
    kind: 'resume with a config that is not an experiment',
    args: () => [
      'resume',
      brokenRun('foreignconfig', (d) => writeFileSync(join(d, 'config.json'), '{"model": "gan", "lr": 1}'))
    ],
    expect: [/foreignconfig\/config\.json: \$\.lr: unknown field/],
    untouched: () => join(dir, 'broken', 'foreignconfig')
  },
  {
    kind: 'resume without a checkpoint',
    args: () => [
      'resume',
      brokenRun('nockpt', (d) => rmSync(join(d, 'checkpoints'), { recursive: true })),
      '--steps',
      '8'
    ],
    expect: [/latest\.ckpt: missing/],
    untouched: () => join(dir, 'broken', 'nockpt')
  },
  {
    kind: 'resume with a corrupt checkpoint',
    args: () => [
      'resume',
      brokenRun('badckpt', (d) =>
        writeFileSync(
          join(d, 'checkpoints', 'latest.ckpt'),
          readFileSync(join(d, 'checkpoints', 'latest.ckpt')).subarray(0, 100)
        )
      ),
      '--steps',
      '8'
    ],
    expect: [/latest\.ckpt: corrupt checkpoint/],
    untouched: () => join(dir, 'broken', 'badckpt')
  },
  {
    kind: 'resume with a checkpoint of another config',
    args: () => [
      'resume',
      brokenRun('mixed', (d) =>
        cpSync(join(otherRun, 'checkpoints', 'latest.ckpt'), join(d, 'checkpoints', 'latest.ckpt'))
      ),
      '--steps',
      '8'
    ],
    expect: [/latest\.ckpt: written for another config/],
    untouched: () => join(dir, 'broken', 'mixed')
  },
  {
    kind: 'sample of a missing run',
    args: () => ['sample', join(dir, 'runs', 'nope')],
    expect: [/nope: no such run folder/]
  }
]

describe('the command line refuses bad input', () => {
  it(`${cases.length} kinds: each names the file, the path and the problem, exits 2, and writes nothing`, async () => {
    assert.ok(cases.length >= 30)
    const before = cases.map((c) => (c.untouched === undefined ? undefined : c.untouched()))
    const prepared = cases.map((c) => c.args())
    const states = before.map((d) => (d === undefined ? undefined : snapshot(d)))
    const results = await pool(
      prepared.map((args) => () => cli(args)),
      2
    )
    const failures: Array<string> = []
    cases.forEach((c, i) => {
      const r = results[i]
      const problems: Array<string> = []
      if (r.status !== 2) problems.push(`exit ${r.status}`)
      for (const re of c.expect) if (!re.test(r.stderr)) problems.push(`stderr does not match ${re}`)
      const args = prepared[i]
      const o = args.indexOf('--out')
      if (before[i] !== undefined) {
        if (snapshot(before[i]!) !== states[i]) problems.push(`${before[i]} changed`)
      } else if (o >= 0 && existsSync(args[o + 1])) problems.push(`${args[o + 1]} was created`)
      if (problems.length > 0)
        failures.push(
          `${c.kind}: ${problems.join('; ')}\n    stderr: ${r.stderr.trim().split('\n').slice(0, 4).join('\n    ')}`
        )
    })
    assert.deepEqual(failures, [])
  })
})

describe('the command line', () => {
  it('answers --help for every command with exit 0', async () => {
    for (const command of [
      [],
      ...['train', 'resume', 'sample', 'evaluate', 'compare', 'show', 'check'].map((c) => [c])
    ]) {
      let text = ''
      const p = program({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) })
      const e = await p.parseAsync(['node', 'loss-algebra', ...command, '--help']).then(
        () => undefined,
        (x: unknown) => x
      )
      assert.equal(exitCodeOf(e), 0, `${command}: ${String(e)}`)
      assert.match(text, new RegExp(`Usage: loss-algebra ${command.join(' ')}`))
    }
  })
  it('shows and checks without loading tfjs', async () => {
    const hook = './test/experiment-hooks.mjs'
    const [show, check, all, shared] = await Promise.all([
      cli(['show', 'wganGp'], { imports: [hook] }),
      cli(['check', file('check.json', small())], { imports: [hook] }),
      cli(['show'], { imports: [hook] }),
      cli(['show', file('shared.json', small({ schedule: 'sharedSamples' }))], { imports: [hook] })
    ])
    assert.equal(show.status, 0, show.stderr)
    assert.match(show.stdout, /generator \[G\] every 5: /)
    assert.match(show.stdout, /^schedule: alternating \(/m)
    assert.equal(shared.status, 0, shared.stderr)
    assert.match(shared.stdout, /^schedule: sharedSamples \(/m)
    assert.equal(check.status, 0, check.stderr)
    assert.match(check.stdout, /check\.json: ok \(alphaGan-ring: alphaGan on ring, 3 players, about/)
    assert.match(all.stdout, /wganGp: .*\n.*\n {2}penalty = 10, critics = 5, optimizer = /)
  })
  it('writes a whole run folder: config, losses of every player and term, metrics, samples, checkpoint, report', () => {
    const config = JSON.parse(readFileSync(join(goodRun, 'config.json'), 'utf8'))
    assert.equal(config.backend, 'cpu')
    assert.equal(config.model.lambda, 1)
    assert.equal(config.schedule, 'alternating')
    assert.match(goodLog, /^ {2}schedule: alternating \(/m)
    const losses = readFileSync(join(goodRun, 'losses.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.deepEqual(
      losses.map((l) => l.step),
      [2, 4, 6]
    )
    assert.ok(
      ['encoder-generator', 'encoder-generator/reconstruction', 'data-critic', 'code-critic'].every((k) =>
        Number.isFinite(losses[2].values[k])
      )
    )
    const metrics = JSON.parse(readFileSync(join(goodRun, 'metrics.json'), 'utf8'))
    assert.equal(metrics.totalModes, 8)
    assert.equal(metrics.step, 6)
    assert.match(
      goodLog,
      new RegExp(`^modes captured ${metrics.modes}/8, high quality \\d+\\.\\d%, KL to uniform `, 'm')
    )
    const sample = JSON.parse(readFileSync(join(goodRun, 'samples', 'step-000006.json'), 'utf8'))
    assert.equal(sample.points.length, 50)
    assert.equal(sample.modes.length, 8)
    assert.deepEqual(JSON.parse(readFileSync(join(goodRun, 'status.json'), 'utf8')), { state: 'done', step: 6 })
    assert.ok(existsSync(join(goodRun, 'checkpoints', 'latest.ckpt')))
    assert.ok(existsSync(join(goodRun, 'report.html')))
  })
  it('samples points as CSV and evaluates a run', async () => {
    const [s, e] = await Promise.all([
      cli(['sample', goodRun, '--n', '5', '--backend', 'cpu']),
      cli(['evaluate', goodRun, '--json', '--backend', 'cpu'])
    ])
    assert.equal(s.status, 0, s.stderr)
    const rows = s.stdout.trim().split('\n')
    assert.equal(rows[0], 'x0,x1')
    assert.equal(rows.length, 6)
    assert.ok(rows.slice(1).every((r) => r.split(',').map(Number).every(Number.isFinite)))
    assert.equal(e.status, 0, e.stderr)
    const m = JSON.parse(e.stdout.trim().split('\n').pop()!)
    assert.equal(m.step, 6)
    assert.equal(m.totalModes, 8)
  })
  it('evaluates the metrics named by --metrics, and refuses one the data kind lacks (exit 2)', async () => {
    const [ok, bad] = await Promise.all([
      cli(['evaluate', goodRun, '--metrics', 'modes', '--json', '--backend', 'cpu']),
      cli(['evaluate', goodRun, '--metrics', 'modes,frechet', '--backend', 'cpu'])
    ])
    assert.equal(ok.status, 0, ok.stderr)
    assert.equal(JSON.parse(ok.stdout.trim().split('\n').pop()!).totalModes, 8)
    assert.equal(bad.status, 2, bad.stderr)
    assert.match(bad.stderr, /--metrics modes,frechet: unknown metric "frechet" for ring data \(available: modes\)/)
    assert.equal(bad.stdout, '')
  })
  it('compares a config over seeds in parallel processes: a Markdown table, a JSON file and a plot', async () => {
    const a = file('cmp-a.json', small({ name: 'cmp-a' }))
    const r = await cli([
      'compare',
      a,
      '--seeds',
      '2',
      '--steps',
      '4',
      '--backend',
      'cpu',
      '--jobs',
      '2',
      '--no-report',
      '--out',
      join(dir, 'cmp')
    ])
    assert.equal(r.status, 0, r.stderr)
    // the summary a sweep writes (src/report/compare.ts): mean ± sd over the seeds, the plotted metric modes
    const md = readFileSync(join(dir, 'cmp', 'compare.md'), 'utf8')
    assert.match(md, /^\| model \| seeds \| .*\bmodes\b/)
    assert.match(md, /\| cmp-a \| 2 \| /)
    assert.doesNotMatch(md, /not completed/)
    const json = JSON.parse(readFileSync(join(dir, 'cmp', 'compare.json'), 'utf8'))
    assert.deepEqual(
      json.runs.map((x: { label: string; seed: number; exit: number }) => [x.label, x.seed, x.exit]),
      [
        ['cmp-a', 1, 0],
        ['cmp-a', 2, 0]
      ]
    )
    assert.equal(json.comparison.metric, 'modes')
    const modes = json.comparison.groups[0].summary.modes
    assert.deepEqual(
      modes.values.map((v: { seed: number; value: number }) => [v.seed, v.value]),
      json.runs.map((x: { seed: number; metrics: { modes: number } }) => [x.seed, x.metrics.modes])
    )
    assert.equal(JSON.parse(readFileSync(join(dir, 'cmp', 'cmp-a-seed2', 'config.json'), 'utf8')).seed, 2)
    assert.ok(
      readFileSync(join(dir, 'cmp', 'compare.png'))
        .subarray(1, 4)
        .toString() === 'PNG'
    )
  })
  it('compare --resume keeps a finished run, continues a killed one from its checkpoint, starts the rest, and refuses a folder of another config', async () => {
    const out = join(dir, 'cmp-resume')
    const config = file(
      'cr.json',
      small({ name: 'cr', train: { steps: 20, batch: 16, logEvery: 1, evalEvery: 20, checkpointEvery: 3 } })
    )
    const run = (seed: number, killAfter?: (s: string) => boolean) =>
      cli(
        [
          'train',
          config,
          '--seed',
          String(seed),
          '--name',
          `cr-seed${seed}`,
          '--out',
          out,
          '--backend',
          'cpu',
          '--no-report'
        ],
        killAfter !== undefined ? { killAfter } : {}
      )
    const [finished, killed] = await Promise.all([run(1), run(2, (s) => /step +8 /.test(s))])
    assert.equal(finished.status, 0, finished.stderr)
    assert.equal(killed.status, null, 'killed')
    const kept = snapshot(join(out, 'cr-seed1'))
    const lines = () =>
      readFileSync(join(out, 'cr-seed2', 'losses.jsonl'), 'utf8')
        .trim()
        .split('\n')
    // logged up to the checkpoint of step 6, with the time each took: a run trained again times them anew
    const beforeKill = lines().slice(0, 6)
    const args = ['compare', config, '--seeds', '3', '--backend', 'cpu', '--jobs', '1', '--no-report', '--out', out]
    const r = await cli([...args, '--resume'])
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /compare: 3 runs, 1 at a time, into .* \(1 already finished, kept\)/)
    assert.equal(snapshot(join(out, 'cr-seed1')), kept, 'the finished run is not trained again')
    assert.match(r.stdout, /cr seed 1: kept \(finished before\)\n.*cr seed 2: done\n.*cr seed 3: done/s)
    const json = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'))
    assert.deepEqual(
      json.runs.map((x: { seed: number; exit: number }) => [x.seed, x.exit]),
      [
        [1, 0],
        [2, 0],
        [3, 0]
      ]
    )
    assert.equal(
      json.runs[0].metrics.modes,
      JSON.parse(readFileSync(join(out, 'cr-seed1', 'metrics.json'), 'utf8')).modes
    )
    // the killed run went on from its checkpoint (not from step 0): every step logged once, up to 20
    assert.deepEqual(
      lines().map((l) => (JSON.parse(l) as { step: number }).step),
      Array.from({ length: 20 }, (_, i) => i + 1)
    )
    assert.deepEqual(lines().slice(0, 6), beforeKill)
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'cr-seed2', 'status.json'), 'utf8')), {
      state: 'done',
      step: 20
    })
    assert.equal(JSON.parse(readFileSync(join(out, 'cr-seed3', 'config.json'), 'utf8')).seed, 3)
    // another step count in the same folders: refused before anything runs, nothing written
    const before = snapshot(out)
    const other = await cli([...args, '--resume', '--steps', '30'])
    assert.equal(other.status, 2)
    assert.match(
      other.stderr,
      /compare --resume: .*cr-seed1 holds another config \(20 steps, .*this sweep asks 30 steps/
    )
    assert.equal(snapshot(out), before)
  })
  it('stops a diverging run with player, term and step, exit 1, and keeps the last good checkpoint', async () => {
    const config = file(
      'blowup.json',
      small({
        name: 'blowup',
        model: { name: 'alphaGan', optimizer: { _tag: 'Adam', learningRate: 1e30, beta1: 0.5, beta2: 0.999 } },
        train: { steps: 40, batch: 16, logEvery: 1, evalEvery: 40, checkpointEvery: 1 }
      })
    )
    const r = await cli(['train', config, '--backend', 'cpu', '--out', join(dir, 'blowup-out'), '--no-report'])
    assert.equal(r.status, 1, r.stderr)
    const m =
      /training diverged at step (\d+): player "([\w-]+)", term "([\w-]+\/?[\w()-]*)" = (NaN|-?Infinity); (no checkpoint was written|last good checkpoint: step (\d+))/.exec(
        r.stderr
      )
    assert.ok(m !== null, r.stderr)
    const status = JSON.parse(readFileSync(join(dir, 'blowup-out', 'blowup', 'status.json'), 'utf8'))
    assert.equal(status.state, 'failed')
    if (m[6] !== undefined) {
      assert.ok(Number(m[6]) < Number(m[1]))
      const resumed = await cli(['resume', join(dir, 'blowup-out', 'blowup'), '--backend', 'cpu'])
      assert.equal(resumed.status, 1, 'the kept checkpoint resumes into the same divergence')
    }
  })
  it('resume finishes a run stopped after its last step but before its final metrics', async () => {
    const run = join(dir, 'late', 'late')
    const done = await cli([
      'train',
      file('late.json', small({ name: 'late' })),
      '--backend',
      'cpu',
      '--out',
      join(dir, 'late'),
      '--no-report'
    ])
    assert.equal(done.status, 0, done.stderr)
    // as a stop (Ctrl-C) during the last step's evaluation leaves it
    rmSync(join(run, 'metrics.json'))
    writeFileSync(join(run, 'status.json'), JSON.stringify({ state: 'stopped', step: 6 }))
    const resumed = await cli(['resume', run, '--no-report', '--json'])
    assert.equal(resumed.status, 0, resumed.stderr)
    assert.equal(JSON.parse(readFileSync(join(run, 'status.json'), 'utf8')).state, 'done')
    const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'))
    assert.equal(metrics.step, 6)
    // no step ran: the step time and the losses come from the run's loss log
    assert.ok(metrics.msPerStep > 0, `msPerStep ${metrics.msPerStep}`)
    assert.ok(Object.keys(metrics.losses).length > 0, `losses ${JSON.stringify(metrics.losses)}`)
    const again = await cli(['resume', run, '--no-report'])
    assert.match(again.stdout, /already at step 6 of 6; nothing to do/)
  })

  it('a run killed (-9) and resumed ends with the same checkpoint, bit for bit, as one never killed', async () => {
    const config = small({
      name: 'killed',
      train: { steps: 20, batch: 16, logEvery: 1, evalEvery: 20, checkpointEvery: 3 }
    })
    const [killed, whole] = await Promise.all([
      cli(['train', file('killed.json', config), '--backend', 'cpu', '--out', join(dir, 'kill'), '--no-report'], {
        killAfter: (s) => /step +8 /.test(s)
      }),
      cli([
        'train',
        file('whole.json', { ...config, name: 'whole' }),
        '--backend',
        'cpu',
        '--out',
        join(dir, 'kill'),
        '--no-report'
      ])
    ])
    assert.equal(killed.status, null, 'killed')
    assert.equal(whole.status, 0, whole.stderr)
    const status = JSON.parse(readFileSync(join(dir, 'kill', 'killed', 'status.json'), 'utf8'))
    assert.equal(status.state, 'running')
    const resumed = await cli(['resume', join(dir, 'kill', 'killed'), '--no-report'])
    assert.equal(resumed.status, 0, resumed.stderr)
    assert.match(resumed.stdout, /resuming at step \d+/)
    assert.ok(
      readFileSync(join(dir, 'kill', 'killed', 'checkpoints', 'latest.ckpt')).equals(
        readFileSync(join(dir, 'kill', 'whole', 'checkpoints', 'latest.ckpt'))
      )
    )
    // the steps logged after the last checkpoint before the kill are logged once, with the uninterrupted run's values
    const logged = (name: string) =>
      readFileSync(join(dir, 'kill', name, 'losses.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step: number; values: unknown })
    assert.deepEqual(
      logged('killed').map((l) => [l.step, l.values]),
      logged('whole').map((l) => [l.step, l.values])
    )
  })
  it('ends cleanly on SIGINT with a checkpoint to resume from', async () => {
    const config = file(
      'int.json',
      small({
        name: 'int',
        train: { steps: 100000, batch: 16, logEvery: 1, evalEvery: 100000, checkpointEvery: 100000 }
      })
    )
    const r = await new Promise<Ran>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'train',
          config,
          '--backend',
          'cpu',
          '--out',
          join(dir, 'int'),
          '--no-report'
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] }
      )
      let stdout = ''
      let stderr = ''
      let sent = false
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString()
        if (!sent && /step +5 /.test(stdout)) {
          sent = true
          child.kill('SIGINT')
        }
      })
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('close', (status) => resolve({ status, stdout, stderr }))
    })
    assert.equal(r.status, 130, r.stderr)
    const status = JSON.parse(readFileSync(join(dir, 'int', 'int', 'status.json'), 'utf8'))
    assert.equal(status.state, 'stopped')
    assert.ok(existsSync(join(dir, 'int', 'int', 'checkpoints', 'latest.ckpt')))
  })
})

mkdirSync(join(dir, 'out'), { recursive: true })

describe('compare, several runs at once', () => {
  it("has its runs' native helper threads sleep between products (they would spin on the others' cores)", () => {
    assert.equal(jobEnv(2, { A: '1' }).LOSS_ALGEBRA_NATIVE_SPIN_US, '0', 'two at a time: no watching')
    assert.equal(jobEnv(1, { A: '1' }).LOSS_ALGEBRA_NATIVE_SPIN_US, undefined, 'one at a time: the default')
    assert.equal(
      jobEnv(2, { LOSS_ALGEBRA_NATIVE_SPIN_US: '50' }).LOSS_ALGEBRA_NATIVE_SPIN_US,
      '50',
      'a value set is kept'
    )
    assert.equal(jobEnv(2, { A: '1' }).A, '1', 'the rest of the environment passes through')
  })
})
