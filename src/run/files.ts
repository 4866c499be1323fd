/**
 * Run-folder writes: whole or not at all (temp file, fsync, rename, fsync of the folder), so that a
 * kill during a write leaves the previous file intact.
 * @since 0.1.0
 */
import { appendFile, mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

const syncDir = async (dir: string): Promise<void> => {
  try {
    const h = await open(dir, 'r')
    try {
      await h.sync()
    } finally {
      await h.close()
    }
  } catch {
    // some file systems cannot open or sync a directory: the rename is still atomic
  }
}

/** Writes `data` to `path` atomically. */
export const writeAtomic = async (path: string, data: string | Uint8Array): Promise<void> => {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  const h = await open(tmp, 'w')
  try {
    await h.writeFile(data)
    await h.sync()
  } catch (e) {
    await h.close()
    await rm(tmp, { force: true })
    throw e
  }
  await h.close()
  await rename(tmp, path)
  await syncDir(dirname(path))
}

export const writeJson = (path: string, value: unknown): Promise<void> =>
  writeAtomic(path, JSON.stringify(value, null, 2) + '\n')

/** Appends one JSON line. */
export const appendJsonLine = (path: string, value: unknown): Promise<void> =>
  appendFile(path, JSON.stringify(value) + '\n')
