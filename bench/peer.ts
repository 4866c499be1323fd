/**
 * The PyTorch peer (shared/bench/peer_torch.py) as a subprocess: kept alive and timed block by block
 * in the same rounds as ours (PeerServer, through bench/peer_server.py), or one model × arch per call,
 * its `ms_per_step` (already the faster of 1 thread and every core) parsed from its JSON line.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root (bench/..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Where the peer lives, relative to the repository: the shared checkout beside it. */
export const DEFAULT_PEER = '../shared/bench/peer_torch.py'

export interface Peer {
  readonly python: string
  readonly script: string
  readonly version: string
}

export interface PeerResult {
  readonly ms: number
  readonly msByThreads: Readonly<Record<string, number>>
}

/**
 * Finds the peer: its script (`override` relative to the working directory, else DEFAULT_PEER relative
 * to the repository) and a Python that imports torch (`python` if given, else `python3` on the PATH,
 * else Debian's `/usr/bin/python3`, which shared/bench/peer-setup.sh installs torch into).
 * Returns the peer, or why there is none.
 */
export const findPeer = (override?: string, python?: string): Peer | string => {
  const script = override !== undefined ? path.resolve(override) : path.resolve(REPO_ROOT, DEFAULT_PEER)
  if (!existsSync(script)) return `peer script not found: ${path.relative(process.cwd(), script) || script}`
  const candidates = python !== undefined ? [python] : ['python3', '/usr/bin/python3']
  const tried: Array<string> = []
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 })
    if (r.status === 0) return { python: exe, script, version: `pytorch-${r.stdout.trim()}` }
    tried.push(`${exe}: ${r.error?.message ?? (r.stderr.trim().split('\n').pop() || `exit ${r.status}`)}`)
  }
  return `no python with torch (${tried.join('; ')}); install it with bash ../shared/bench/peer-setup.sh`
}

/** Runs the peer once for a model and arch; returns its ms/step or why not. */
export const runPeer = (peer: Peer, model: string, arch: string, steps: number): PeerResult | string => {
  const r = spawnSync(peer.python, [peer.script, '--model', model, '--arch', arch, '--steps', String(steps)], {
    encoding: 'utf8',
    timeout: 600_000
  })
  if (r.status !== 0)
    return `peer failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').pop() ?? ''}`
  const line = r.stdout.trim().split('\n').pop() ?? ''
  try {
    const j = JSON.parse(line) as { ms_per_step?: unknown; ms_by_threads?: Record<string, number> }
    if (typeof j.ms_per_step !== 'number') return `peer printed no ms_per_step: ${line}`
    return { ms: j.ms_per_step, msByThreads: j.ms_by_threads ?? {} }
  } catch {
    return `peer printed no JSON: ${line}`
  }
}

/** The peer kept alive (bench/peer_server.py), timed block by block in the same rounds as ours. */
export interface PeerServer {
  /** Builds, warms up and picks the thread count of a model × arch; its ms per step by threads, or why not. */
  row(model: string, arch: string, warmup: number): Promise<PeerResult | string>
  /** ms per step of `steps` steps of the current row (timed in Python, without the pipe), or why not. */
  block(steps: number): Promise<number | string>
  close(): void
}

/** Starts the peer server; requests are answered in order, one JSON line each. */
export const startPeerServer = (peer: Peer): PeerServer => {
  const child = spawn(peer.python, [path.join(REPO_ROOT, 'bench', 'peer_server.py'), peer.script], {
    stdio: ['pipe', 'pipe', 'pipe']
  })
  const waiting: Array<(reply: Record<string, unknown> | string) => void> = []
  let stderr = ''
  let ended: string | null = null
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
  createInterface({ input: child.stdout }).on('line', (line) => {
    let reply: Record<string, unknown> | string
    try {
      reply = JSON.parse(line) as Record<string, unknown>
    } catch {
      reply = `peer server printed no JSON: ${line}`
    }
    waiting.shift()?.(reply)
  })
  const fail = (why: string) => {
    ended = why
    for (const w of waiting.splice(0)) w(why)
  }
  child.on('error', (e) => fail(`peer server did not start: ${e.message}`))
  child.on('exit', (code) => fail(`peer server exited (${code}): ${stderr.trim().split('\n').pop() ?? ''}`))
  const request = (req: object): Promise<Record<string, unknown> | string> =>
    ended !== null
      ? Promise.resolve(ended)
      : new Promise((resolve) => {
          waiting.push(resolve)
          child.stdin.write(`${JSON.stringify(req)}\n`)
        })
  const errorOf = (r: Record<string, unknown> | string): string | null =>
    typeof r === 'string' ? r : typeof r.error === 'string' ? `peer server: ${r.error}` : null
  return {
    row: async (model, arch, warmup) => {
      const r = await request({ cmd: 'row', model, arch, warmup })
      const e = errorOf(r)
      if (e !== null || typeof r === 'string') return e ?? 'peer server: no reply'
      const byThreads = r.ms_by_threads as Record<string, number>
      return { ms: Math.min(...Object.values(byThreads)), msByThreads: byThreads }
    },
    block: async (steps) => {
      const r = await request({ cmd: 'block', steps })
      const e = errorOf(r)
      if (e !== null || typeof r === 'string') return e ?? 'peer server: no reply'
      return typeof r.ms === 'number' ? r.ms : `peer server: no ms in ${JSON.stringify(r)}`
    },
    close: () => {
      ended ??= 'peer server closed'
      child.stdin.end()
    }
  }
}
