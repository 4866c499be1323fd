/**
 * The tfjs interpreter: terms to scalars, games to training steps, and the backend choice.
 * @since 0.1.0
 */
export { chooseBackend, kernelsOf } from './backend.ts'
export type { BackendChoice } from './backend.ts'
export { registerSecondOrderGradients, stopGradient } from './gradients.ts'
export { valueAndGrads, withInputs } from './loss.ts'
export type { Binding, Net } from './Net.ts'
export { compileGame, DivergenceError, readValues } from './step.ts'
export type { CompiledGame, StepReport } from './step.ts'
