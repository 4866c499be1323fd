/**
 * loss-algebra: the objectives of auto-encoding GANs as typed, composable values.
 * @since 0.1.0
 */
export * from './core/index.ts'
export * as codec from './codec/index.ts'
export * from './compile/index.ts'
export * as models from './models/index.ts'
export * as nets from './nets/index.ts'
export { selectBackend } from './backend/index.ts'
