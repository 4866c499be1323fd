/**
 * The native boundary's codes and parameter layouts come from native/contract.json: the generated
 * TypeScript and C++ files must be current, and a stale one is named.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import {
  CONV_PARAM_COUNT,
  MATMUL_PARAM_COUNT,
  packConvParams,
  packMatmulParams
} from '../src/backend/native-contract.ts'
import type { ConvParams, MatmulParams } from '../src/backend/native-contract.ts'

const root = join(import.meta.dirname, '..')
const gen = join(root, 'scripts', 'gen-native-contract.mjs')
const run = (...args: Array<string>) => spawnSync(process.execPath, [gen, ...args], { encoding: 'utf8' })

describe('native contract', () => {
  it('the generated files are current', () => {
    const r = run('--check')
    assert.equal(r.status, 0, r.stderr)
  })

  it('a changed table makes both generated files stale, and generating makes them current', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-'))
    try {
      for (const d of ['native/src', 'src/backend']) mkdirSync(join(dir, d), { recursive: true })
      for (const f of ['native/contract.json', 'native/src/contract.h', 'src/backend/native-contract.ts'])
        cpSync(join(root, f), join(dir, f))
      assert.equal(run('--check', '--root', dir).status, 0)
      const c = JSON.parse(readFileSync(join(dir, 'native/contract.json'), 'utf8')) as {
        enums: { Activation: Array<string> }
      }
      c.enums.Activation.splice(1, 0, 'gelu')
      writeFileSync(join(dir, 'native/contract.json'), JSON.stringify(c))
      const stale = run('--check', '--root', dir)
      assert.equal(stale.status, 1)
      assert.match(stale.stderr, /src\/backend\/native-contract\.ts, native\/src\/contract\.h differ/)
      assert.equal(run('--root', dir).status, 0)
      assert.equal(run('--check', '--root', dir).status, 0)
      assert.match(
        readFileSync(join(dir, 'native/src/contract.h'), 'utf8'),
        /kActivationGelu = 1,\n {2}kActivationRelu = 2,/
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('packs parameters in the table order', () => {
    const { params } = JSON.parse(readFileSync(join(root, 'native/contract.json'), 'utf8')) as {
      params: Record<string, Array<string>>
    }
    const numbered = (fields: Array<string>) => Object.fromEntries(fields.map((f, i) => [f, i + 1]))
    const conv = packConvParams(numbered(params.ConvParam) as unknown as ConvParams)
    const mm = packMatmulParams(numbered(params.MatmulParam) as unknown as MatmulParams)
    assert.deepEqual(
      [...conv],
      params.ConvParam.map((_, i) => i + 1)
    )
    assert.deepEqual(
      [...mm],
      params.MatmulParam.map((_, i) => i + 1)
    )
    assert.equal(conv.length, CONV_PARAM_COUNT)
    assert.equal(mm.length, MATMUL_PARAM_COUNT)
  })
})
