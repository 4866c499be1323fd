/**
 * Backend choice for a game: the first backend of DESIGN §6's order (`tensorflow`, `native`, `wasm`,
 * `cpu`) that has every kernel the game's step runs. The kernels are found by profiling one small
 * step on `cpu`.
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs'

import { BACKEND_ORDER, missingKernels, selectBackend } from '../backend/index.ts'

const WHY: Readonly<Record<string, string>> = {
  tensorflow: 'tfjs-node (libtensorflow) installed',
  native: 'oneDNN kernels built',
  wasm: 'tfjs-backend-wasm with the added training kernels',
  cpu: 'plain JavaScript kernels'
}

export interface BackendChoice {
  readonly name: string
  /** Why this one, and why not the ones before it. */
  readonly reason: string
}

/** The kernels `probe` runs (forward and backward), found with `tf.profile` on `cpu`. */
export const kernelsOf = async (probe: () => void): Promise<ReadonlyArray<string>> => {
  const previous = tf.getBackend()
  await tf.setBackend('cpu')
  // the cpu backend's "install tfjs-node" banner would follow every probe: the choice is reported instead
  ;(tf.backend() as unknown as { firstUse?: boolean }).firstUse = false
  try {
    const info = await tf.profile(() => {
      probe()
    })
    return [...new Set(info.kernelNames)].sort()
  } finally {
    if (previous !== undefined && previous !== 'cpu') await tf.setBackend(previous)
  }
}

/**
 * Sets and returns the backend: `requested` when given (an error if it cannot be set or lacks a
 * kernel the game needs), else the first in order that has every kernel of `probe`.
 */
export const chooseBackend = async (o: { readonly requested?: string; readonly probe?: () => void }): Promise<BackendChoice> => {
  const needed = o.probe === undefined ? [] : await kernelsOf(o.probe)
  if (o.requested !== undefined && o.requested !== '') {
    const chosen = await selectBackend(o.requested)
    const missing = missingKernels(chosen.name, needed)
    if (missing.length > 0) throw new Error(`backend '${chosen.name}' lacks kernels this game needs: ${missing.join(', ')}`)
    return chosen
  }
  const skipped: Array<string> = []
  for (const name of BACKEND_ORDER) {
    try {
      const chosen = await selectBackend(name)
      const missing = missingKernels(chosen.name, needed)
      if (missing.length === 0) {
        const why = `${chosen.name}: ${WHY[chosen.name] ?? 'available'}${needed.length > 0 ? `, has all ${needed.length} kernels of the game's step` : ''}`
        return { name: chosen.name, reason: skipped.length === 0 ? why : `${why} (skipped ${skipped.join('; ')})` }
      }
      skipped.push(`${name}: lacks ${missing.join(', ')}`)
    } catch (e) {
      const why = e instanceof Error ? (/^backend '[^']*' cannot be used \((.*)\); available/.exec(e.message)?.[1] ?? e.message) : String(e)
      skipped.push(`${name}: ${why}`)
    }
  }
  throw new Error(`no backend can run this game: ${skipped.join('; ')}`)
}
