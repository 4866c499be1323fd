/**
 * The run report: one self-contained `report.html` (pictures inlined as data URIs, KaTeX rendered
 * here with its CSS and the fonts it needs inlined, no external asset) that opens from disk.
 * @since 0.1.0
 */
import { existsSync } from 'node:fs'
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

import * as E from 'fp-ts/Either'
import katex from 'katex'

import { decodeExperiment } from '../codec/experiment.ts'
import { decode, LossC } from '../codec/index.ts'
import type { Player } from '../core/Game.ts'
import { showLatex, showUnicode } from '../core/Show.ts'
import { gameOf } from '../experiment/game.ts'
import type { Equilibrium } from './equilibrium.ts'
import { equilibria } from './equilibrium.ts'
import { lossCurvesPng } from './losses.ts'
import type { RunFolder } from './run.ts'
import { readRun } from './run.ts'
import { scatterPng } from './scatter.ts'

const require = createRequire(import.meta.url)

/** What the report shows of a player. */
export type ReportPlayer = Pick<Player, 'name' | 'nets' | 'loss'> & Partial<Pick<Player, 'every' | 'optimizer'>>

export interface ReportOptions {
  /** The game's players, when the config names a model (a config with a `game` holds them itself). */
  readonly players?: ReadonlyArray<ReportPlayer>
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)

const dataUri = (png: Buffer): string => `data:image/png;base64,${png.toString('base64')}`

/** An inlined PNG shown at `zoom` × its pixel width (the pictures are drawn at 2×, sharp on high-density screens). */
const img = (png: Buffer, alt: string, zoom = 0.5): string => {
  const w = png.length >= 24 && png.toString('latin1', 12, 16) === 'IHDR' ? png.readUInt32BE(16) : undefined
  return `<img alt="${escape(alt)}"${w === undefined ? '' : ` width="${Math.ceil(w * zoom)}"`} src="${dataUri(png)}">`
}

/**
 * The game's players from a run's `config.json`: the named model's or the config's own, as a run
 * builds them; `undefined` when the config does not decode (a folder from another version).
 */
export const playersOf = (config: Readonly<Record<string, unknown>>): ReadonlyArray<ReportPlayer> | undefined => {
  const e = decodeExperiment(config, 'config.json: $')
  if (E.isRight(e)) return gameOf(e.right).players
  return playersOfConfig(config)
}

/** The players a config holds as JSON terms (`game.players`), decoded; `undefined` when it names a model. */
export const playersOfConfig = (config: Readonly<Record<string, unknown>>): ReadonlyArray<ReportPlayer> | undefined => {
  const game = config.game as { players?: unknown } | undefined
  if (game === undefined || !Array.isArray(game.players)) return undefined
  return game.players.map((p: Record<string, unknown>, i: number) => {
    const loss = decode(LossC, p.loss, `config.json: $.game.players[${i}].loss`)
    if (E.isLeft(loss)) throw new Error(loss.left.join('\n'))
    return { ...(p as unknown as ReportPlayer), loss: loss.right }
  })
}

// The KaTeX fonts a formula of this library uses (Main, Math italic, AMS blackboard, Caligraphic 𝒩, Size delimiters).
const KATEX_FONTS = [
  'AMS-Regular',
  'Caligraphic-Regular',
  'Main-Bold',
  'Main-Italic',
  'Main-Regular',
  'Math-Italic',
  'Size1-Regular',
  'Size2-Regular',
  'Size3-Regular',
  'Size4-Regular'
]

let katexCss: string | undefined

/** KaTeX's stylesheet with the fonts above inlined as woff2 data URIs and every other font face dropped. */
export const inlineKatexCss = async (): Promise<string> => {
  if (katexCss !== undefined) return katexCss
  const cssPath = require.resolve('katex/dist/katex.min.css')
  const css = await readFile(cssPath, 'utf8')
  const fonts = new Map<string, string>()
  for (const f of KATEX_FONTS)
    fonts.set(f, (await readFile(join(dirname(cssPath), 'fonts', `KaTeX_${f}.woff2`))).toString('base64'))
  katexCss = css.replace(/@font-face\{[^}]*\}/g, (rule) => {
    const m = /url\(fonts\/KaTeX_([A-Za-z0-9-]+)\.woff2\)/.exec(rule)
    const data = m === null ? undefined : fonts.get(m[1])
    if (data === undefined) return ''
    return rule.replace(/src:[^;}]*/, `src:url(data:font/woff2;base64,${data}) format("woff2")`)
  })
  return katexCss
}

/** KaTeX's HTML and MathML for a loss; namespace declarations dropped (HTML parses inline math and SVG without them). */
const formula = (t: Player['loss']): string =>
  katex
    .renderToString(showLatex(t), { displayMode: true, throwOnError: false, output: 'htmlAndMathml' })
    .replace(/\s+xmlns(?::\w+)?="[^"]*"/g, '')

const fmt = (v: unknown): string => {
  if (typeof v === 'number')
    return Number.isInteger(v)
      ? String(v)
      : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5
        ? v.toFixed(4)
        : v.toExponential(3)
  if (typeof v === 'string') return escape(v)
  if (Array.isArray(v) && v.every((x) => typeof x === 'number'))
    return escape(v.length > 12 ? `[${v.slice(0, 12).join(', ')}, …] (${v.length})` : `[${v.join(', ')}]`)
  return escape(JSON.stringify(v))
}

/** Flattens nested metrics into dotted keys: `{ modes: { captured: 8 } }` → `modes.captured`. */
const flatten = (o: Readonly<Record<string, unknown>>, prefix = ''): Array<[string, unknown]> =>
  Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? flatten(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v] as [string, unknown]]
  )

/** JSON on one line, with a space after each comma and colon (outside strings). */
const oneLine = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(oneLine).join(', ')}]`
    : typeof v === 'object' && v !== null
      ? `{${Object.entries(v)
          .map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`)
          .join(', ')}}`
      : (JSON.stringify(v) ?? 'null')

/** JSON with every object or array that fits in `width` characters (with its indent) on one line. */
export const compactJson = (v: unknown, indent = '', width = 136): string => {
  const flat = oneLine(v)
  if (typeof v !== 'object' || v === null || indent.length + flat.length <= width) return flat
  const inner = `${indent}  `
  if (Array.isArray(v)) return `[\n${v.map((x) => `${inner}${compactJson(x, inner, width)}`).join(',\n')}\n${indent}]`
  return `{\n${Object.entries(v)
    .map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compactJson(x, inner, width - k.length - 4)}`)
    .join(',\n')}\n${indent}}`
}

const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, cls = ''): string =>
  `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`

const STYLE = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #dde1e8; --accent: #1f77b4; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 20px 32px 14px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 10px; margin: 8px 0 0; padding: 0; list-style: none; }
.facts li { background: var(--bg); border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px; font-size: 13px; color: var(--muted); }
.facts b { color: var(--ink); font-weight: 600; }
.state-done b { color: #2a7d2e; } .state-failed b { color: #b3261e; } .state-running b { color: #a15c00; }
nav { margin-top: 10px; font-size: 13px; } nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 32px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 22px; margin: 18px 0; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 14px 0 4px; }
img { max-width: 100%; height: auto; display: block; }
.player { border-top: 1px solid var(--line); padding: 8px 0 4px; } .player:first-of-type { border-top: 0; }
.player .meta { color: var(--muted); font-size: 13px; }
.unicode { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 12.5px; color: var(--muted); overflow-x: auto; white-space: pre; }
.katex-display { margin: 6px 0; overflow-x: auto; overflow-y: hidden; padding: 4px 0; }
table { border-collapse: collapse; font-size: 13.5px; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 12px 4px 0; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.metrics td:nth-child(2) { font-variant-numeric: tabular-nums; }
.strip { display: flex; gap: 12px; overflow-x: auto; padding-bottom: 6px; }
.strip figure { margin: 0; flex: 0 0 auto; width: 300px; }
.strip img { width: 100%; }
figure { margin: 0; }
.tables { display: flex; flex-wrap: wrap; gap: 8px 40px; align-items: flex-start; }
figure figcaption { font-size: 12.5px; color: var(--muted); }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px; font-size: 12.5px; overflow-x: auto; }
.note { color: var(--muted); font-size: 13px; }
`

interface Pictures {
  readonly losses: Buffer | undefined
  /** Per evaluation step: the picture(s). */
  readonly evaluations: ReadonlyArray<{
    readonly step: number
    readonly images: ReadonlyArray<{ readonly kind: string; readonly png: Buffer }>
  }>
}

/** The final metrics worth a glance in the header: mode coverage where measured, else the first few numbers. */
const headline = (m: Readonly<Record<string, unknown>> | undefined): Array<[string, string]> => {
  if (m === undefined) return []
  const flat = flatten(m).filter(([k, v]) => k !== 'step' && typeof v === 'number')
  if (typeof m.modes === 'number') {
    const hq = typeof m.highQuality === 'number' ? `, ${(100 * m.highQuality).toFixed(0)}% within 3σ` : ''
    return [['modes', `${m.modes}${typeof m.totalModes === 'number' ? ` of ${m.totalModes}` : ''}${hq}`]]
  }
  const modes = m.modes as Record<string, unknown> | undefined
  if (modes !== undefined && typeof modes.captured === 'number') {
    const of = typeof modes.of === 'number' ? modes.of : typeof modes.modes === 'number' ? modes.modes : undefined
    const hq = typeof modes.highQuality === 'number' ? `, ${(100 * modes.highQuality).toFixed(0)}% within 3σ` : ''
    return [['modes', `${modes.captured}${of === undefined ? '' : ` of ${of}`}${hq}`]]
  }
  return flat.slice(0, 3).map(([k, v]) => [k, fmt(v)])
}

const last = <A>(xs: ReadonlyArray<A>): A | undefined => xs[xs.length - 1]

/** The report's HTML, from a run folder's contents and its pictures. */
export const reportHtml = async (
  run: RunFolder,
  pictures: Pictures,
  players: ReadonlyArray<ReportPlayer> | undefined
): Promise<string> => {
  const c = run.config
  const name = typeof c.name === 'string' ? c.name : 'run'
  const status = run.status ?? {}
  const state = typeof status.state === 'string' ? status.state : run.metrics !== undefined ? 'done' : 'unknown'
  const train = (c.train ?? {}) as Record<string, unknown>
  const lastLoss = last(run.losses)
  const msLines = run.losses.filter((l) => typeof l.ms === 'number')
  const ms = msLines.length === 0 ? undefined : msLines.reduce((s, l) => s + (l.ms as number), 0) / msLines.length
  const model =
    c.model === undefined
      ? 'a game written as terms'
      : typeof c.model === 'string'
        ? c.model
        : String((c.model as Record<string, unknown>).name)
  const data = c.data as Record<string, unknown> | undefined
  const facts: Array<[string, string, string?]> = [
    [
      'state',
      `${state}${typeof status.step === 'number' ? ` at step ${status.step}` : ''}${typeof status.reason === 'string' ? `: ${status.reason}` : ''}`,
      `state-${state}`
    ],
    ['model', model],
    ['data', data === undefined ? '?' : String(data.kind)],
    ['backend', typeof c.backend === 'string' ? c.backend : 'not recorded'],
    ['steps', `${lastLoss?.step ?? status.step ?? '?'}${typeof train.steps === 'number' ? ` of ${train.steps}` : ''}`],
    ['batch', String(train.batch ?? '?')],
    ['seed', String(c.seed ?? '?')],
    ...(ms !== undefined ? ([['time', `${ms.toFixed(2)} ms/step`]] as Array<[string, string]>) : []),
    ...headline(run.metrics)
  ]
  const eqs: ReadonlyMap<string, Equilibrium> = equilibria(players ?? [])
  const objective =
    players === undefined
      ? '<p class="note">The config does not decode as an experiment of this version, so its objectives are not shown here.</p>'
      : players
          .map(
            (p) => `<div class="player"><h3>${escape(p.name)}</h3>
<div class="meta">updates ${p.nets.map((n) => `<b>${escape(n)}</b>`).join(', ')}${p.every !== undefined && p.every > 1 ? ` · steps once every ${p.every} iterations` : ''}${p.optimizer !== undefined ? ` · ${escape(p.optimizer._tag)} ${escape(String(p.optimizer.learningRate))}` : ''}${eqs.has(p.name) ? ` · equilibrium ${escape((eqs.get(p.name) as Equilibrium).label)}` : ''}</div>
${formula(p.loss)}
<div class="unicode">${escape(showUnicode(p.loss))}</div></div>`
          )
          .join('\n')
  const eqRows = [...eqs.entries()].map(([k, e]) => {
    const now = lastLoss?.values[k]
    return [
      `<code>${escape(k)}</code>`,
      escape(e.label),
      `<span class="num">${e.value.toFixed(4)}</span>`,
      now === undefined ? '–' : now.toFixed(4),
      escape(e.why)
    ]
  })
  const finalEval = last(pictures.evaluations)
  const metrics = run.metrics === undefined ? [] : flatten(run.metrics)
  const metricKeys = [...new Set(run.metricsLog.flatMap((m) => flatten(m).map(([k]) => k)))].filter((k) => k !== 'step')
  const scalarKeys = metricKeys.filter((k) =>
    run.metricsLog.every((m) => {
      const v = flatten(m).find(([j]) => j === k)?.[1]
      return v === undefined || typeof v === 'number'
    })
  )
  const katexStyle = players === undefined ? '' : await inlineKatexCss()
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(name)} · loss-algebra report</title>
<style>${katexStyle}</style>
<style>${STYLE}</style>
</head><body>
<header><h1>${escape(name)}</h1>
<ul class="facts">${facts.map(([k, v, cls]) => `<li${cls ? ` class="${cls}"` : ''}>${escape(k)} <b>${escape(v)}</b></li>`).join('')}</ul>
<nav><a href="#samples">samples</a><a href="#objective">objective</a><a href="#losses">losses</a><a href="#metrics">metrics</a><a href="#config">config</a></nav>
</header>
<main>
<section id="samples"><h2>Samples${finalEval ? ` at step ${finalEval.step}` : ''}</h2>
${
  finalEval === undefined
    ? '<p class="note">No evaluation has written samples yet.</p>'
    : finalEval.images
        .map(
          (i) =>
            `<figure>${img(i.png, `${i.kind} at step ${finalEval.step}`, 0.7)}${finalEval.images.length > 1 ? `<figcaption>${escape(i.kind)}</figcaption>` : ''}</figure>`
        )
        .join('\n')
}
${
  pictures.evaluations.length > 1
    ? `<h3>Every evaluation</h3><div class="strip">${pictures.evaluations
        .map((e) =>
          e.images
            .map(
              (i) =>
                `<figure>${img(i.png, `${i.kind} at step ${e.step}`)}<figcaption>step ${e.step} · ${escape(i.kind)}</figcaption></figure>`
            )
            .join('')
        )
        .join('')}</div>`
    : ''
}
</section>
<section id="objective"><h2>Objective, per player</h2>
${objective}
</section>
<section id="losses"><h2>Losses</h2>
${pictures.losses === undefined ? '<p class="note">No losses logged yet.</p>' : img(pictures.losses, 'loss curves')}
${
  eqRows.length > 0
    ? `<h3>Values at equilibrium</h3><p class="note">With the model's distributions equal to the data's and each critic at its best response: a BCE critic against k fake sets then outputs D* = 1/(1 + k).</p>${table(['logged', 'equilibrium', 'value', `last (step ${lastLoss?.step ?? '?'})`, 'why'], eqRows)}`
    : ''
}
</section>
<section id="metrics"><h2>Metrics</h2><div class="tables">
<div>${
    metrics.length === 0
      ? '<p class="note">No final metrics yet.</p>'
      : table(
          ['metric', 'final'],
          metrics.map(([k, v]) => [escape(k), fmt(v)]),
          'metrics'
        )
  }</div>
${
  run.metricsLog.length > 1 && scalarKeys.length > 0
    ? `<div><h3>At each evaluation</h3>${table(
        ['step', ...scalarKeys],
        run.metricsLog.map((m) => {
          const f = new Map(flatten(m))
          return [fmt(m.step), ...scalarKeys.map((k) => (f.has(k) ? fmt(f.get(k)) : '–'))]
        })
      )}</div>`
    : ''
}
</div></section>
<section id="config"><h2>Config</h2>
<p class="note">The normalised experiment: training it again (<code>loss-algebra train config.json</code>) reproduces this run.</p>
<pre>${escape(compactJson(c))}</pre>
</section>
</main></body></html>
`
}

/** Writes a file whole or not at all. */
const writeAtomic = async (path: string, data: string | Buffer): Promise<void> => {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

/**
 * Renders a run folder's pictures (`plots/losses.png`, and `samples/step-N.png` for each 2-D sample
 * file that has none yet) and its `report.html`. Returns the report's path.
 */
export const writeReport = async (runDir: string, o: ReportOptions = {}): Promise<string> => {
  const run = await readRun(runDir)
  const players = o.players ?? playersOf(run.config)
  const title = typeof run.config.name === 'string' ? run.config.name : undefined
  let losses: Buffer | undefined
  if (run.losses.length > 0) {
    losses = await lossCurvesPng(run.losses, { players, title: `${title ?? 'run'} · losses` })
    await writeAtomic(join(runDir, 'plots', 'losses.png'), losses)
  }
  const evaluations = []
  for (const e of run.evaluations) {
    const images: Array<{ kind: string; png: Buffer }> = []
    if (e.sample !== undefined) {
      const file = join(runDir, 'samples', `step-${String(e.step).padStart(6, '0')}.png`)
      let png: Buffer
      if (existsSync(file)) png = await readFile(file)
      else {
        png = await scatterPng(e.sample, { title: `${title ?? 'run'} · step ${e.step}` })
        await writeAtomic(file, png)
      }
      images.push({ kind: 'samples', png })
    }
    for (const i of e.images)
      if (!(e.sample !== undefined && i.kind === 'samples'))
        images.push({ kind: i.kind, png: await readFile(join(runDir, i.file)) })
    evaluations.push({ step: e.step, images })
  }
  const html = await reportHtml(run, { losses, evaluations }, players)
  const path = join(runDir, 'report.html')
  await writeAtomic(path, html)
  return path
}
