/**
 * Backend choice moved to src/backend/select.ts (the compiler does not choose backends: it takes the
 * backend's in-place kernels as `CompileOptions.kernels`). Kept so that existing imports still work.
 * @deprecated import from src/backend/select.ts
 * @since 0.1.0
 */
export { chooseBackend, kernelsOf } from '../backend/select.ts'
export type { BackendChoice } from '../backend/select.ts'
