/**
 * Pictures and reports of runs, in plain Node (no tensors): 2-D scatters, image grids, loss curves
 * with their equilibria, the self-contained HTML report of a run folder, and comparisons of runs.
 * @since 0.1.0
 */
export { compareJson, compareMarkdown, compareReport, compareSpec, numericMetrics, summarize } from './compare.ts'
export type { CompareJson, CompareOptions, CompareRow, Summary } from './compare.ts'
export { equilibria, formatEquilibrium } from './equilibrium.ts'
export type { Equilibrium } from './equilibrium.ts'
export { cellOrigin, imageGridPng, reconstructionGridPng } from './grid.ts'
export type { GridOptions, Images } from './grid.ts'
export { inlineKatexCss, playersOf, playersOfConfig, reportHtml, writeReport } from './html.ts'
export type { ReportOptions, ReportPlayer } from './html.ts'
export { lossCurves, lossCurvesPng, lossCurvesSpec, parseLosses } from './losses.ts'
export type { LossCurveOptions, LossLine } from './losses.ts'
export { renderPng, renderSvg, svgToPng } from './render.ts'
export type { Rendered } from './render.ts'
export { readRun } from './run.ts'
export type { Evaluation, RunFolder } from './run.ts'
export { COLORS, scatter, scatterPng, scatterSpec } from './scatter.ts'
export type { Sample2d, ScatterOptions } from './scatter.ts'
