/**
 * Split products survive signals (native/src/split.cc): a child process runs them for a few seconds
 * under V8's sampling profiler, interrupted every 20 µs, and exits cleanly. Skipped, saying why,
 * without the addon.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import { runChild } from './child.ts'

describe('native products split on two threads, under signals', () => {
  it('run to the end under node --cpu-prof (SIGPROF every 20 µs)', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'la-prof-'))
    try {
      const r = runChild<{ products?: number; splits?: number; error?: string }>(
        new URL('./native-signals-child.ts', import.meta.url).pathname,
        { SECONDS: '3' },
        120_000,
        ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '20']
      )
      if (r.status === 3) return void t.skip(`native backend unavailable (${r.out?.error ?? r.stderr.trim()})`)
      assert.equal(
        r.status,
        0,
        `the child exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`
      )
      assert.ok(
        (r.out?.splits ?? 0) > 0 && r.out?.splits === r.out?.products,
        `every product split: ${JSON.stringify(r.out)}`
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
