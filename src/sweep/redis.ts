/**
 * Where a sweep's queue lives: a Redis URL and a queue name (kept apart from the BullMQ code, which
 * only the commands that use a queue load).
 * @since 0.1.0
 */
import type { RedisOptions } from 'ioredis'

export const DEFAULT_QUEUE = 'loss-algebra-runs'

export interface QueueRef {
  readonly url: string
  readonly name?: string
}

/** `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS) as connection options. */
export const connectionOf = (url: string): RedisOptions => {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new Error(`not a Redis URL: ${url} (expected redis://host:port)`)
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`not a Redis URL: ${url} (expected redis://host:port)`)
  const db = u.pathname.replace(/^\//, '')
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // Workers wait for a Redis that went away instead of failing their commands.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * times, 1000)
  }
}
