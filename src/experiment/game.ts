/**
 * An experiment's game, built from its config alone (no tensors): the nets' signatures from their
 * specs, then the named model or the config's own players.
 * @since 0.1.0
 */
import type { Binding, Net } from '../compile/Net.ts'
import type { Game, Shape, Signature } from '../core/Game.ts'
import { sig } from '../core/Game.ts'
import type { AnyModel } from '../models/index.ts'
import { catalogue } from '../models/index.ts'
import { dataKinds } from './data.ts'
import { archs, resolveIo } from './nets.ts'
import type { Experiment } from './types.ts'

/** The shape of one example of the experiment's data. */
export const dataShape = (e: Experiment): Shape => dataKinds[e.data.kind].shape(e.data)

/** Each net's input and output shapes. */
export const signatures = (e: Experiment): Record<string, Signature> => {
  const d = dataShape(e)
  return Object.fromEntries(
    Object.entries(e.nets).map(([k, n]) => [k, sig(resolveIo(n.input, d, e.latent), resolveIo(n.output, d, e.latent))])
  )
}

/** The experiment's game: the model's, with its hyper-parameters, or the config's players; under the config's step schedule. */
export const gameOf = (e: Experiment): Game => {
  const spec = { data: dataShape(e), prior: [e.latent], nets: signatures(e) }
  if (e.model !== undefined) {
    const m = (catalogue as unknown as Readonly<Record<string, AnyModel>>)[e.model.name]
    return { ...m.build(spec, e.model), schedule: e.schedule }
  }
  return { ...spec, players: e.game?.players ?? [], schedule: e.schedule }
}

/** Each net built by its architecture (tensor code imported only now), its weights seeded from the experiment's seed and its place. */
export const buildNets = async (e: Experiment): Promise<Binding> => {
  const sigs = signatures(e)
  const out: Record<string, Net> = {}
  let i = 0
  for (const [name, spec] of Object.entries(e.nets)) {
    i++
    out[name] = await archs[spec.arch].build(spec, sigs[name].input, sigs[name].output, e.seed * 1000 + i, name)
  }
  return out
}
