/**
 * A test script run in a child Node process (with tsx), for what is chosen once per process (a
 * backend, its build): its exit, its stderr, and the last line of its stdout read as JSON.
 */
import { spawnSync } from 'node:child_process'

export interface ChildResult<Out> {
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
  /** The last line of stdout as JSON, or null when it is not an object. */
  readonly out: Out | null
}

export const runChild = <Out = Record<string, unknown>>(
  script: string,
  env: Record<string, string>,
  timeoutMs: number,
  nodeArgs: ReadonlyArray<string> = []
): ChildResult<Out> => {
  const r = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: timeoutMs
  })
  const last = r.stdout.trim().split('\n').at(-1) ?? ''
  return {
    status: r.status,
    signal: r.signal,
    stderr: r.stderr,
    out: last.startsWith('{') ? (JSON.parse(last) as Out) : null
  }
}
