/**
 * The one place the sweep module meets the experiment codec: a config is decoded (exactly, every
 * default filled in) and checked (its game, backend and memory estimate) as `train` does it, without
 * loading tfjs.
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'

import { checkExperiment, UsageError } from '../cli/load.ts'
import { decodeExperiment as decode } from '../codec/experiment.ts'
import type { Json } from './spec.ts'

const HERE = '\u0000'

/** Decodes, normalises and checks a config; problems are report lines rooted at `$`. */
export const decodeExperiment = (input: unknown): E.Either<ReadonlyArray<string>, { readonly [k: string]: Json }> => {
  const r = decode(input, '$')
  if (E.isLeft(r)) return r
  try {
    checkExperiment(r.right, HERE)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    const lines = e.message.split('\n').filter((l) => l.trim().startsWith(`${HERE}: `))
    return E.left(lines.map((l) => l.trim().slice(HERE.length + 2)))
  }
  return E.right(JSON.parse(JSON.stringify(r.right)) as { readonly [k: string]: Json })
}
