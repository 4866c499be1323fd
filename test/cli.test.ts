import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

const cli = (...args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' })

const dir = mkdtempSync(join(tmpdir(), 'loss-algebra-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('the command line', () => {
  it('refuses a bad config with its paths, a non-zero exit, and writes nothing', () => {
    const config = join(dir, 'bad.json')
    writeFileSync(config, JSON.stringify({ model: 'alphaGan', data: { kind: 'ring', modes: 8, radius: 2, sd: -1 }, steps: 'x' }))
    const r = cli('train', config, '--out', join(dir, 'out'))
    assert.equal(r.status, 1)
    assert.match(r.stderr, /bad\.json: \$\.data\.sd: expected Positive, got -1/)
    assert.match(r.stderr, /bad\.json: \$\.steps: expected PositiveInt, got "x"/)
    assert.equal(existsSync(join(dir, 'out')), false)
  })
  it('names an unknown model and the known ones', () => {
    const r = cli('show', 'alphaGAN')
    assert.equal(r.status, 1)
    assert.match(r.stderr, /\$\.model: expected alphaGan \| gan \| wganGp \| aae \| vaeGan \| vae \| bigan, got "alphaGAN"/)
  })
  it('stops a diverging run with the term and step, a non-zero exit, and writes nothing', () => {
    const config = join(dir, 'blowup.json')
    writeFileSync(config, JSON.stringify({ model: 'alphaGan', learningRate: 1e30, steps: 20, logEvery: 5, name: 'blowup' }))
    const r = cli('train', config, '--backend', 'cpu', '--out', join(dir, 'blowup-out'))
    assert.equal(r.status, 1)
    assert.match(r.stderr, /training diverged at step \d+: encoder-generator\/\w+ = (NaN|-?Infinity)/)
    assert.equal(existsSync(join(dir, 'blowup-out')), false)
  })
  it('trains, reports the backend, the objective and mode coverage, and writes the result', () => {
    const r = cli('train', '--steps', '30', '--backend', 'wasm', '--out', dir)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /backend: wasm/)
    assert.match(r.stdout, /encoder-generator \[E, G\] minimises .*KL_C\(E\(x\)\)/)
    const result = JSON.parse(readFileSync(join(dir, 'alpha-gan-ring', 'result.json'), 'utf8'))
    assert.equal(result.modes.modes, 8)
    assert.equal(result.experiment.steps, 30)
    assert.ok(Number.isFinite(result.losses['encoder-generator']))
  })
})
