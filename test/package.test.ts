/**
 * The package as others get it: `npm pack` (which builds dist/ first), `npm install` of the tarball
 * into an empty plain-Node project (dependencies from the local npm cache where it has them), then a
 * plain `.mjs` script composes a GAN through the public API, checks it, trains it a few steps and
 * reads its equilibria and draws its loss curves through `loss-algebra/report`; the installed command line
 * runs; and a strict TypeScript file type-checks
 * against the shipped declarations. Skipped, with the reason, when the registry cannot be reached
 * for a dependency the cache lacks.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'

const root = resolve(import.meta.dirname, '..')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const run = (cmd: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 })
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` }
}

const OFFLINE =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|ECONNRESET|network request .* failed|request to .* failed/i

const consumer = `
import * as tf from '@tensorflow/tfjs'
import { apply, check, classify, compileGame, data, game, named, nets, nonSaturating, player, prior, readValues, showUnicode, sig } from 'loss-algebra'
import { equilibria, lossCurvesPng } from 'loss-algebra/report'

await tf.setBackend('cpu')
const G = (z) => apply('G', z)
const gan = game({
  data: [2],
  prior: [2],
  nets: { G: sig([2], [2]), D: sig([2], [1]) },
  players: [
    player('critic', ['D'], classify('D', { real: data, fake: G(prior) })),
    player('generator', ['G'], named('fool', nonSaturating('D', G(prior))))
  ]
})
if (check(gan)._tag !== 'Right') throw new Error('the game does not check')
const binding = { G: nets.mlp([2, 8, 2], { seed: 1, name: 'G' }), D: nets.mlp([2, 8, 1], { seed: 2, name: 'D' }) }
const before = tf.memory().numTensors
const compiled = compileGame(gan, binding, { seed: 1 })
const history = []
for (let i = 0; i < 5; i++) {
  const x = tf.randomNormal([16, 2], 0, 1, 'float32', i + 1)
  const report = compiled.step(x)
  x.dispose()
  history.push(await readValues(report))
}
compiled.dispose()
const eq = equilibria(gan.players)
const png = await lossCurvesPng(history.map((values, i) => ({ step: i + 1, values })), { players: gan.players })
console.log(JSON.stringify({
  png: png.subarray(1, 4).toString('latin1') + ' ' + png.readUInt32BE(16) + '×' + png.readUInt32BE(20),
  formulas: gan.players.map((p) => showUnicode(p.loss)),
  history,
  leaked: tf.memory().numTensors - before,
  equilibria: Object.fromEntries([...eq].map(([k, e]) => [k, e.label]))
}))
`

const typed = `
import type { Game, Loss } from 'loss-algebra'
import { classify, data, prior, showLatex } from 'loss-algebra'
import type { Equilibrium } from 'loss-algebra/report'
import { formatEquilibrium } from 'loss-algebra/report'

const critic: Loss.Loss = classify('D', { real: data, fake: prior })
const latex: string = showLatex(critic)
const label: string = formatEquilibrium(2 * Math.LN2)
export const players: Game.Game['players'] = []
export const eq: Equilibrium | undefined = undefined
// @ts-expect-error a critic is named by a string
classify(1, { real: data, fake: prior })
// @ts-expect-error the variants are a closed set
classify('D', { real: data, fake: prior }, 'softmax')
export { latex, label }
`

describe('the packed package in a plain Node project', { timeout: 300_000 }, () => {
  let dir = ''
  let installed: { ok: true } | { ok: false; reason: string } = { ok: false, reason: 'not installed' }
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'loss-algebra-package-'))
    const pack = run('npm', ['pack', '--pack-destination', dir, '--json', '--loglevel=error'], root)
    assert.equal(pack.code, 0, `npm pack failed:\n${pack.out.slice(-3000)}`)
    // the JSON report, among what the prepack build prints
    const [info] = JSON.parse(pack.out.slice(pack.out.indexOf('[\n'), pack.out.lastIndexOf('\n]') + 2)) as Array<{
      filename: string
      files: Array<{ path: string }>
    }>
    const files = info.files.map((f) => f.path)
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/report/index.js',
      'dist/report/index.d.ts',
      // the wasm backend's pthread worker, loaded by path (src/backend/wasm-threads.ts)
      'dist/backend/wasm-thread-worker.cjs',
      'scripts/build-native.mjs'
    ])
      assert.ok(files.includes(f), `the tarball lacks ${f}`)
    assert.equal(files.filter((f) => f.startsWith('test/')).length, 0, 'tests are not part of the package')
    const app = join(dir, 'app')
    run('mkdir', ['-p', app], dir)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    const install = run(
      'npm',
      // scripts off: the optional tfjs-node would download libtensorflow; platform binaries (resvg, esbuild) are
      // optional dependencies too, so they stay in; the package's own install step runs below
      [
        'install',
        join(dir, info.filename),
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error'
      ],
      app
    )
    if (install.code === 0) {
      const native = run(
        process.execPath,
        [join(app, 'node_modules', 'loss-algebra', 'scripts', 'build-native.mjs')],
        app,
        { LOSS_ALGEBRA_NO_NATIVE: '1' }
      )
      assert.equal(native.code, 0, native.out)
      installed = { ok: true }
    } else if (OFFLINE.test(install.out))
      installed = {
        ok: false,
        reason: `the npm registry cannot be reached for a dependency missing from the cache: ${install.out.match(OFFLINE)?.[0]}`
      }
    else assert.fail(`npm install of the tarball failed:\n${install.out.slice(-3000)}`)
  })
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true })
  })

  it('a plain .mjs script composes, checks and trains a game through the public API', (t) => {
    if (!installed.ok) return t.skip(installed.reason)
    const app = join(dir, 'app')
    writeFileSync(join(app, 'train.mjs'), consumer)
    const r = run(process.execPath, ['train.mjs'], app)
    assert.equal(r.code, 0, r.out.slice(-3000))
    const result = JSON.parse(
      r.out.split('\n').find((l) => l.startsWith('{') && l.includes('"formulas"')) ?? r.out
    ) as {
      formulas: Array<string>
      history: Array<Record<string, number>>
      leaked: number
      equilibria: Record<string, string>
      png: string
    }
    // vega and resvg (a platform binary) render in plain Node from the installed package
    assert.match(result.png, /^PNG \d{3,4}×\d{3,4}$/)
    assert.deepEqual(result.formulas, ['ℓbce_D(x | G(z))', '⟦fool: −E[log D](G(z))⟧'])
    assert.equal(result.history.length, 5)
    for (const h of result.history) {
      assert.deepEqual(Object.keys(h).sort(), ['critic', 'generator', 'generator/fool'])
      assert.ok(Object.values(h).every(Number.isFinite))
    }
    // the critic's loss moves as it trains
    assert.notEqual(result.history[0].critic, result.history[4].critic)
    assert.equal(result.leaked, 0)
    assert.deepEqual(result.equilibria, { critic: '2 ln 2', generator: 'ln 2', 'generator/fool': 'ln 2' })
  })

  it('the installed command line runs (show needs no tensors)', (t) => {
    if (!installed.ok) return t.skip(installed.reason)
    const r = run(join(dir, 'app', 'node_modules', '.bin', 'loss-algebra'), ['show', 'gan'], join(dir, 'app'))
    assert.equal(r.code, 0, r.out.slice(-3000))
    assert.match(r.out, /critic/)
    assert.match(r.out, /generator/)
  })

  it('a strict TypeScript consumer type-checks against the shipped declarations', (t) => {
    if (!installed.ok) return t.skip(installed.reason)
    const app = join(dir, 'app')
    writeFileSync(join(app, 'typed.ts'), typed)
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          skipLibCheck: true,
          types: []
        },
        files: ['typed.ts']
      })
    )
    const r = run(process.execPath, [tsc, '-p', 'tsconfig.json'], app)
    assert.equal(r.code, 0, r.out)
  })
})
