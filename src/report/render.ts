/**
 * Vega-Lite specs to PNG: vega-lite compiles the spec, vega renders it to SVG without a browser, and
 * resvg rasterises the SVG. Text uses DejaVu Sans where the system has it and KaTeX's sans-serif
 * (shipped with the `katex` dependency) otherwise, so a picture never loses its labels.
 * @since 0.1.0
 */
import { createRequire } from 'node:module'

import { Resvg } from '@resvg/resvg-js'
import * as vega from 'vega'
import type { TopLevelSpec } from 'vega-lite'
import * as vl from 'vega-lite'

const require = createRequire(import.meta.url)

/** The font families every picture asks for, in order of preference. */
export const FONT = 'DejaVu Sans, KaTeX_SansSerif, KaTeX_Main, sans-serif'

const bundledFonts = (): Array<string> =>
  [
    'KaTeX_SansSerif-Regular.ttf',
    'KaTeX_SansSerif-Bold.ttf',
    'KaTeX_Main-Regular.ttf',
    'KaTeX_Math-Italic.ttf'
  ].flatMap((f) => {
    try {
      return [require.resolve(`katex/dist/fonts/${f}`)]
    } catch {
      return []
    }
  })

let fonts: Array<string> | undefined

/** A rendered chart: its SVG and a map from data coordinates of a named view to SVG pixels. */
export interface Rendered {
  readonly svg: string
  readonly width: number
  readonly height: number
  /** The SVG pixel of a data point in a named view of a concatenation (`undefined`: the only view). */
  readonly locate: (view: string | undefined, x: number, y: number) => readonly [number, number]
}

interface SceneNode {
  readonly name?: string
  readonly x?: number
  readonly y?: number
  readonly items?: ReadonlyArray<SceneNode>
}

/** The offset of a named concat cell (vega-lite names its group mark `<name>_group`) from the view's origin. */
const cellOffset = (view: vega.View, name: string): readonly [number, number] => {
  const find = (node: SceneNode): SceneNode | undefined => {
    if (node.name === `${name}_group`) return node
    for (const child of node.items ?? []) {
      const found = find(child)
      if (found) return found
    }
    return undefined
  }
  const root = (view as unknown as { scenegraph(): { readonly root: SceneNode } }).scenegraph().root
  const cell = find(root)?.items?.[0]
  if (cell === undefined) throw new Error(`renderSvg: no view named "${name}" in the chart`)
  return [cell.x ?? 0, cell.y ?? 0]
}

/** Renders a Vega-Lite spec to SVG, with a locator for tests and annotations. */
export const renderSvg = async (spec: TopLevelSpec): Promise<Rendered> => {
  const compiled = vl.compile(spec).spec
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' })
  await view.runAsync()
  const svg = await view.toSVG()
  const [x0, y0] = view.origin()
  const padding = view.padding() as { readonly left?: number; readonly top?: number }
  const [ox, oy] = [x0 + (padding.left ?? 0), y0 + (padding.top ?? 0)]
  const size = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg)
  const locate = (name: string | undefined, x: number, y: number): readonly [number, number] => {
    const sx = view.scale(name === undefined ? 'x' : `${name}_x`) as (v: number) => number
    const sy = view.scale(name === undefined ? 'y' : `${name}_y`) as (v: number) => number
    const [gx, gy] = name === undefined ? [0, 0] : cellOffset(view, name)
    return [ox + gx + sx(x), oy + gy + sy(y)]
  }
  const out = { svg, width: Number(size?.[1] ?? view.width()), height: Number(size?.[2] ?? view.height()), locate }
  view.finalize()
  return out
}

/** Rasterises an SVG to PNG at `scale`× its size. */
export const svgToPng = (svg: string, scale = 1): Buffer => {
  fonts ??= bundledFonts()
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, fontFiles: fonts, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' }
  })
  return r.render().asPng()
}

/** A chart as PNG bytes, with the locator of its SVG scaled to the PNG. */
export const renderPng = async (spec: TopLevelSpec, scale = 1): Promise<{ readonly png: Buffer } & Rendered> => {
  const r = await renderSvg(spec)
  return {
    ...r,
    png: svgToPng(r.svg, scale),
    width: Math.round(r.width * scale),
    height: Math.round(r.height * scale),
    locate: (v, x, y) => {
      const [px, py] = r.locate(v, x, y)
      return [px * scale, py * scale]
    }
  }
}
