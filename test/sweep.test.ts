/**
 * Sweeps end to end, through the command line and a real Redis (Debian's `redis-server`, started here
 * on a free loopback port, persisting to an append-only file, and stopped after).
 */
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { checkpointStep } from '../src/sweep/child.ts'

const main = 'src/cli/main.ts'
const dir = mkdtempSync(join(tmpdir(), 'loss-algebra-sweep-'))

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const cli = (...args: ReadonlyArray<string>): Promise<Ran> =>
  new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    c.on('close', (code) => resolve({ code, stdout, stderr }))
  })

const workers: Array<ChildProcess> = []
/** A worker; `lockMs` short where a test kills one (its run is taken over after about that long). */
const startWorker = (queue: string, name: string, results: string, lockMs = 5000): ChildProcess => {
  const args = [
    'worker',
    '--queue',
    queue,
    '--queue-name',
    name,
    '--results',
    results,
    '--lock-duration',
    String(lockMs),
    '--stalled-interval',
    '500'
  ]
  const w = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let log = ''
  w.stderr!.on('data', (d: Buffer) => (log += d.toString()))
  ;(w as ChildProcess & { log: () => string }).log = () => log
  workers.push(w)
  return w
}
const stopWorker = (w: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (w.exitCode !== null || w.signalCode !== null) return resolve()
    w.once('exit', () => resolve())
    w.kill('SIGTERM')
  })

// ---------------------------------------------------------------------------------------------
// a Redis of our own
// ---------------------------------------------------------------------------------------------

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

let redis: ChildProcess | undefined
let port = 0
const redisDir = join(dir, 'redis')

const startRedis = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const r = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        redisDir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        ''
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe']
      }
    )
    let out = ''
    r.once('error', (e) =>
      reject(new Error(`redis-server could not start (is it installed? .ci/run installs it): ${e.message}`))
    )
    r.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (/Ready to accept connections/.test(out)) resolve()
    })
    r.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}):\n${out}`)))
    redis = r
  })

const killRedis = (): Promise<void> =>
  new Promise((resolve) => {
    const r = redis!
    r.removeAllListeners('exit')
    r.once('exit', () => resolve())
    r.kill('SIGKILL')
  })

const url = (): string => `redis://127.0.0.1:${port}`

before(async () => {
  port = await freePort()
  spawnSync('mkdir', ['-p', redisDir])
  await startRedis()
})

after(async () => {
  await Promise.all(workers.map(stopWorker))
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL')
  if (redis !== undefined) {
    redis.removeAllListeners('exit')
    redis.kill('SIGKILL')
  }
  rmSync(dir, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------
// sweeps
// ---------------------------------------------------------------------------------------------

const tinyNets = {
  E: { arch: 'mlp', hidden: [16] },
  G: { arch: 'mlp', hidden: [16] },
  D: { arch: 'mlp', hidden: [16] },
  C: { arch: 'mlp', hidden: [16] }
}
const base = {
  model: 'alphaGan',
  nets: tinyNets,
  train: { steps: 40, batch: 32, logEvery: 10, evalEvery: 40, checkpointEvery: 20 },
  evaluation: { samples: 200 }
}
const small = join(dir, 'small.json')
writeFileSync(
  small,
  JSON.stringify({
    name: 'small',
    base,
    grid: {
      model: [
        { name: 'alphaGan', lambda: 1 },
        { name: 'alphaGan', lambda: 4 }
      ]
    }
  })
)

interface SummaryJson {
  readonly sweep: string
  readonly runs: ReadonlyArray<{
    readonly id: string
    readonly label: string
    readonly state: string
    readonly metrics?: Record<string, unknown>
    readonly reason?: string
  }>
  readonly comparison?: { readonly groups: ReadonlyArray<{ readonly label: string }> }
}
interface StatusJson {
  readonly runs: ReadonlyArray<{
    readonly id: string
    readonly state: string
    readonly attempts: number
    readonly result?: {
      readonly from: number
      readonly worker: string
      readonly skipped: boolean
      readonly metrics: unknown
    }
  }>
}
const lastJson = <A>(s: string): A => JSON.parse(s.trim().split('\n').at(-1)!) as A
/** Each run's final metrics, but for its time per step. */
const metricsById = (s: SummaryJson): Record<string, unknown> =>
  Object.fromEntries(s.runs.map((r) => [r.id, { ...r.metrics, msPerStep: undefined }]))

let local: SummaryJson

describe('sweep', { timeout: 240_000 }, () => {
  it('refuses bad sweep files with exit 2, naming the place of each problem, and enqueues nothing', async () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(
      bad,
      JSON.stringify({
        base: { ...base, train: { ...base.train, steps: 0 } },
        grid: { model: ['alphaGan', 'gan', 'alphaGAN'] }
      })
    )
    const r = await cli('sweep', bad, '--queue', url(), '--queue-name', 'bad')
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /bad\.json: \$\.grid\.model\[2\]: .*alphaGan \| gan/)
    assert.match(r.stderr, /bad\.json: \$\.base\.train\.steps: expected PositiveInt, got 0/)
    const notJson = join(dir, 'not.json')
    writeFileSync(notJson, '{ "grid": ')
    const n = await cli('sweep', notJson, '--out', join(dir, 'never'))
    assert.equal(n.code, 2)
    assert.match(n.stderr, /sweep .*not\.json is not JSON/)
    assert.equal(existsSync(join(dir, 'never')), false)
    const status = await cli('sweep', small, '--status', '--json', '--queue', url(), '--queue-name', 'bad')
    assert.equal(status.code, 0, status.stderr)
    assert.ok(lastJson<StatusJson>(status.stdout).runs.every((x) => x.state === 'missing'))
    const u = await cli('worker', '--queue', 'http://nowhere', '--results', dir)
    assert.equal(u.code, 2)
    assert.match(u.stderr, /not a Redis URL/)
  })

  it('runs a sweep locally in child processes, and does not train a finished run again', async () => {
    const r = await cli('sweep', small, '--out', join(dir, 'local'), '--jobs', '2', '--no-report', '--json')
    assert.equal(r.code, 0, r.stderr)
    local = lastJson<SummaryJson>(r.stdout)
    assert.equal(local.runs.length, 2)
    assert.ok(
      local.runs.every((x) => x.state === 'completed' && typeof x.metrics?.modes === 'number'),
      r.stdout
    )
    assert.deepEqual(
      local.comparison?.groups.map((g) => g.label),
      ['alphaGan{lambda=1}', 'alphaGan{lambda=4}']
    )
    for (const ext of ['md', 'json', 'png']) assert.ok(existsSync(join(dir, 'local', `small.${ext}`)), `small.${ext}`)
    const mtime = statSync(join(dir, 'local', local.runs[0].id, 'metrics.json')).mtimeMs
    const again = await cli('sweep', small, '--out', join(dir, 'local'), '--json')
    assert.equal(again.code, 0)
    assert.match(again.stderr, /already done/)
    assert.deepEqual(metricsById(lastJson<SummaryJson>(again.stdout)), metricsById(local))
    assert.equal(statSync(join(dir, 'local', local.runs[0].id, 'metrics.json')).mtimeMs, mtime)
  })

  it('through the queue and two worker processes gives the same metrics as the local run; enqueuing twice trains nothing twice', async () => {
    const results = join(dir, 'queued')
    startWorker(url(), 'two', results)
    startWorker(url(), 'two', results)
    const r = await cli('sweep', small, '--queue', url(), '--queue-name', 'two', '--no-report', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /2 enqueued, 0 already in the queue/)
    const queued = lastJson<SummaryJson>(r.stdout)
    assert.deepEqual(metricsById(queued), metricsById(local))
    const s1 = lastJson<StatusJson>(
      (await cli('sweep', small, '--status', '--json', '--queue', url(), '--queue-name', 'two')).stdout
    )
    assert.equal(new Set(s1.runs.map((x) => x.result?.worker)).size, 2, 'both workers took runs')

    const twice = await cli('sweep', small, '--queue', url(), '--queue-name', 'two', '--no-report', '--json')
    assert.equal(twice.code, 0, twice.stderr)
    assert.match(twice.stderr, /0 enqueued, 2 already in the queue/)
    assert.deepEqual(metricsById(lastJson<SummaryJson>(twice.stdout)), metricsById(local))
    const s2 = lastJson<StatusJson>(
      (await cli('sweep', small, '--status', '--json', '--queue', url(), '--queue-name', 'two')).stdout
    )
    assert.deepEqual(
      s2.runs.map((x) => x.attempts),
      s1.runs.map((x) => x.attempts)
    )
    assert.ok(s2.runs.every((x) => x.attempts === 1))

    // a run that fails for a reason fails once, with the reason, and the sweep exits 1
    const blowup = join(dir, 'blowup.json')
    const optimizer = { _tag: 'Adam', learningRate: 1e30, beta1: 0.5, beta2: 0.999 }
    writeFileSync(
      blowup,
      JSON.stringify({
        name: 'blowup',
        base: {
          ...base,
          model: { name: 'alphaGan', optimizer },
          train: { ...base.train, checkpointEvery: 1, logEvery: 1 }
        }
      })
    )
    const f = await cli('sweep', blowup, '--queue', url(), '--queue-name', 'two', '--no-report', '--json')
    assert.equal(f.code, 1, f.stderr)
    const failed = lastJson<SummaryJson>(f.stdout).runs[0]
    assert.equal(failed.state, 'failed')
    assert.match(failed.reason ?? '', /training diverged at step \d+/)
    const fs = lastJson<StatusJson>(
      (await cli('sweep', blowup, '--status', '--json', '--queue', url(), '--queue-name', 'two')).stdout
    )
    assert.equal(fs.runs[0].attempts, 1, 'not retried')
  })

  it('a killed worker loses nothing: its run finishes on the other worker from its last checkpoint', async () => {
    const long = join(dir, 'long.json')
    const steps = 200
    writeFileSync(
      long,
      JSON.stringify({
        name: 'long',
        base: { ...base, seed: 3, train: { steps, batch: 32, logEvery: 10, evalEvery: steps, checkpointEvery: 20 } }
      })
    )
    const results = join(dir, 'long-queued')
    const a = startWorker(url(), 'kill', results, 2000)
    const enq = await cli('sweep', long, '--queue', url(), '--queue-name', 'kill', '--no-report', '--no-wait')
    assert.equal(enq.code, 0, enq.stderr)
    // the uninterrupted run to compare with, trained meanwhile
    const referenceRun = cli('sweep', long, '--out', join(dir, 'long-local'), '--no-report', '--json')
    const status = lastJson<StatusJson>(
      (await cli('sweep', long, '--status', '--json', '--queue', url(), '--queue-name', 'kill')).stdout
    )
    const id = status.runs[0].id
    // worker A has written a checkpoint: kill it, and only then start B (so A, not B, took the run)
    let at: number | undefined
    for (let i = 0; i < 1200 && ((at = await checkpointStep(join(results, id))) ?? 0) < 40; i++)
      await new Promise((r) => setTimeout(r, 50))
    assert.ok(at !== undefined && at >= 40 && at < steps, `worker A did not get far enough (checkpoint ${String(at)})`)
    a.kill('SIGKILL')
    // the dead worker's training process stops with it (it would race the resumed run otherwise)
    const alive = (): boolean => spawnSync('pgrep', ['-f', id]).status === 0
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50))
    assert.equal(alive(), false, "the killed worker's training process lives on")
    startWorker(url(), 'kill', results, 2000)
    const r = await cli('sweep', long, '--queue', url(), '--queue-name', 'kill', '--json')
    assert.equal(r.code, 0, r.stderr)
    const s = lastJson<StatusJson>(
      (await cli('sweep', long, '--status', '--json', '--queue', url(), '--queue-name', 'kill')).stdout
    )
    const result = s.runs[0].result!
    assert.ok(result.from >= at, `resumed from step ${result.from}, not from the checkpoint at ${at} or later`)
    assert.ok(result.from < steps)
    assert.equal(s.runs[0].attempts, 2)
    // losses.jsonl: every logged step once, in order (the resumed half continues the first)
    const logged = readFileSync(join(results, id, 'losses.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step)
    assert.deepEqual(
      logged,
      Array.from({ length: steps / 10 }, (_, i) => 10 * (i + 1))
    )
    // and training resumed exactly: the same metrics as the uninterrupted run
    const reference = await referenceRun
    assert.equal(reference.code, 0, reference.stderr)
    assert.deepEqual(metricsById(lastJson<SummaryJson>(r.stdout)), metricsById(lastJson<SummaryJson>(reference.stdout)))
  })

  it('a Redis that goes away and comes back loses and duplicates no run', async () => {
    const results = join(dir, 'flaky')
    startWorker(url(), 'flaky', results)
    startWorker(url(), 'flaky', results)
    const waiting = cli('sweep', small, '--queue', url(), '--queue-name', 'flaky', '--no-report', '--json')
    for (let i = 0; i < 300 && !existsSync(join(results)); i++) await new Promise((r) => setTimeout(r, 100))
    await new Promise((r) => setTimeout(r, 500))
    await killRedis()
    await new Promise((r) => setTimeout(r, 1000))
    await startRedis()
    const r = await waiting
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(metricsById(lastJson<SummaryJson>(r.stdout)), metricsById(local))
    const s = lastJson<StatusJson>(
      (await cli('sweep', small, '--status', '--json', '--queue', url(), '--queue-name', 'flaky')).stdout
    )
    assert.equal(s.runs.length, 2)
    assert.ok(s.runs.every((x) => x.state === 'completed'))
    // each run trained once over: every logged step once, in order
    for (const x of s.runs) {
      const logged = readFileSync(join(results, x.id, 'losses.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { step: number }).step)
      assert.deepEqual(logged, [10, 20, 30, 40])
    }
    const again = await cli('sweep', small, '--queue', url(), '--queue-name', 'flaky', '--no-wait')
    assert.match(again.stderr, /0 enqueued, 2 already in the queue/)
  })
})
