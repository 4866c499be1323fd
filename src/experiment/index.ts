/**
 * From an experiment config to what a run needs, without tensors: the game, the nets' specs and
 * signatures, the data kind, and a memory estimate. `show` and `check` use this module alone, so they
 * never load tfjs.
 * @since 0.1.0
 */
export type { DataKind, DataSource, DataSpec } from './data.ts'
export { dataKinds } from './data.ts'
export type { Arch, Io, NetSpec } from './nets.ts'
export { archs, resolveIo } from './nets.ts'
export type { Experiment, ModelConfig, TrainConfig } from './types.ts'
export { dataShape, gameOf, signatures } from './game.ts'
export type { MemoryEstimate } from './memory.ts'
export { estimateMemory, showBytes } from './memory.ts'
