/**
 * The tfjs backends: `tensorflow` (tfjs-node, when installed) → `native` (oneDNN kernels, when built)
 * → `wasm` (with the training kernels it lacks, ./wasm-kernels.ts) → `cpu`. Which one runs is decided
 * in one place, ./select.ts.
 */
export { registerNativeBackend, nativeKernelStats, NATIVE_KERNELS } from './native.ts'
export { registerWasmTrainingKernels, missingWasmTrainingKernels } from './wasm-kernels.ts'
export { describeWasmThreads, setWasmThreads, wasmThreadStatus, wasmThreadsWanted } from './wasm-threads.ts'
export type { WasmThreads } from './wasm-threads.ts'
export {
  BACKEND_ORDER,
  BackendError,
  chooseBackend,
  describe,
  describeChosen,
  describeSkip,
  kernelsOf,
  missingKernels,
  prepare,
  selectBackend,
  stepKernels
} from './select.ts'
export type { BackendChoice, Chosen, KernelProbe, KnownBackend, Skip, StepKernels } from './select.ts'
export { adamInPlace } from './adam.ts'
