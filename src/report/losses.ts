/**
 * Loss curves: one panel per player, its loss and each of its named terms over steps, with the value
 * each takes at the game's equilibrium (where the game fixes one) drawn as a dashed rule of the same
 * colour and named in the legend, so a reader sees whether training is balanced.
 * @since 0.1.0
 */
import type { TopLevelSpec } from 'vega-lite'

import type { Player } from '../core/Game.ts'
import type { Equilibrium } from './equilibrium.ts'
import { equilibria } from './equilibrium.ts'
import { FONT, renderPng } from './render.ts'

/** One line of `losses.jsonl`. */
export interface LossLine {
  readonly step: number
  readonly values: Readonly<Record<string, number>>
  readonly ms?: number
}

export interface LossCurveOptions {
  /** The game's players (name, nets, loss): the equilibria are read from their terms. */
  readonly players?: ReadonlyArray<Pick<Player, 'name' | 'nets' | 'loss'>>
  readonly title?: string
  /** Width of each panel (default 360). */
  readonly width?: number
  /** Pixel density (default 2). */
  readonly scale?: number
}

/** Parses `losses.jsonl` text, keeping the last line of each step (a resumed run may repeat steps). */
export const parseLosses = (text: string, file = 'losses.jsonl'): ReadonlyArray<LossLine> => {
  const byStep = new Map<number, LossLine>()
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(e as Error).message}`)
    }
    const l = v as LossLine
    if (
      typeof l !== 'object' ||
      l === null ||
      typeof l.step !== 'number' ||
      typeof l.values !== 'object' ||
      l.values === null
    )
      throw new Error(`${file}:${i + 1}: expected {"step": n, "values": {…}}`)
    byStep.set(l.step, l)
  })
  return [...byStep.values()].sort((a, b) => a.step - b.step)
}

/** The player a logged key belongs to: `player` or `player/label`, for the known players first. */
const playerOf = (key: string, players: ReadonlyArray<string>): string =>
  players.find((p) => key === p || key.startsWith(`${p}/`)) ??
  (key.includes('/') ? key.slice(0, key.indexOf('/')) : key)

const termOf = (key: string, player: string): string => (key === player ? 'loss' : key.slice(player.length + 1))

/** Each panel's series name: the term, and its equilibrium when known. */
const seriesName = (term: string, eq: Equilibrium | undefined): string =>
  eq === undefined ? term : `${term} (equilibrium ${eq.label})`

/** The Vega-Lite spec: one panel per player. */
export const lossCurvesSpec = (lines: ReadonlyArray<LossLine>, o: LossCurveOptions = {}): TopLevelSpec => {
  if (lines.length === 0) throw new RangeError('lossCurvesSpec: no loss lines')
  const eqs = equilibria(o.players ?? [])
  const known = (o.players ?? []).map((p) => p.name)
  const keys = [...new Set(lines.flatMap((l) => Object.keys(l.values)))]
  const players = [
    ...new Set([
      ...known.filter((p) => keys.some((k) => playerOf(k, known) === p)),
      ...keys.map((k) => playerOf(k, known))
    ])
  ]
  const width = o.width ?? 360
  const lastStep = lines[lines.length - 1].step
  const panels = players.map((p) => {
    const pk = keys.filter((k) => playerOf(k, known) === p)
    const order = pk.map((k) => seriesName(termOf(k, p), eqs.get(k)))
    const points = lines.flatMap((l) =>
      pk
        .filter((k) => Number.isFinite(l.values[k]))
        .map((k) => ({ step: l.step, term: seriesName(termOf(k, p), eqs.get(k)), value: l.values[k] }))
    )
    const rules = pk.flatMap((k) => {
      const e = eqs.get(k)
      return e === undefined
        ? []
        : [{ term: seriesName(termOf(k, p), e), value: e.value, label: e.label, step: lastStep }]
    })
    const color = {
      field: 'term',
      type: 'nominal' as const,
      scale: { domain: order },
      legend: { title: null, orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 400 }
    }
    return {
      name: p.replace(/[^A-Za-z0-9_]/g, '_'),
      width,
      height: 180,
      title: { text: p, fontSize: 13, anchor: 'start' as const },
      layer: [
        {
          data: { values: points },
          mark: { type: 'line' as const, strokeWidth: 1.6, point: points.length / Math.max(1, pk.length) <= 12 },
          encoding: {
            x: { field: 'step', type: 'quantitative' as const, axis: { title: 'step' } },
            y: { field: 'value', type: 'quantitative' as const, scale: { zero: false }, axis: { title: null } },
            color
          }
        },
        ...(rules.length === 0
          ? []
          : [
              {
                data: { values: rules },
                mark: { type: 'rule' as const, strokeDash: [6, 4], strokeWidth: 1.4 },
                encoding: { y: { field: 'value', type: 'quantitative' as const }, color }
              },
              {
                data: { values: rules },
                mark: {
                  type: 'text' as const,
                  align: 'right' as const,
                  baseline: 'bottom' as const,
                  dy: -2,
                  fontSize: 11
                },
                encoding: {
                  x: { field: 'step', type: 'quantitative' as const },
                  y: { field: 'value', type: 'quantitative' as const },
                  text: { field: 'label', type: 'nominal' as const },
                  color
                }
              }
            ])
      ],
      resolve: { scale: { color: 'shared' as const } }
    }
  })
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: o.title ?? 'losses',
      subtitle:
        eqs.size > 0
          ? 'dashed: the value at equilibrium (p_g = p_data, each critic at its best response)'
          : 'no term of this game has a value fixed at equilibrium',
      fontSize: 15,
      subtitleFontSize: 11,
      subtitleColor: '#555',
      anchor: 'start' as const
    },
    concat: panels,
    columns: 2,
    spacing: 24,
    padding: 10,
    resolve: { scale: { color: 'independent', y: 'independent', x: 'independent' }, legend: { color: 'independent' } },
    config: {
      font: FONT,
      view: { stroke: '#888' },
      axis: { labelFontSize: 11, grid: true, gridColor: '#eee' },
      range: { category: { scheme: 'tableau10' } }
    }
  } as TopLevelSpec
}

/** The loss curves as PNG, and where a (step, value) of a player's panel lies on it. */
export const lossCurves = async (lines: ReadonlyArray<LossLine>, o: LossCurveOptions = {}) =>
  renderPng(lossCurvesSpec(lines, o), o.scale ?? 2)

/** The loss curves as PNG bytes. */
export const lossCurvesPng = async (lines: ReadonlyArray<LossLine>, o: LossCurveOptions = {}): Promise<Buffer> =>
  (await lossCurves(lines, o)).png
