/**
 * The playground page: compose a game from the project's terms, check it, train it live.
 */
import 'katex/dist/katex.min.css'
import './style.css'

import * as Either from 'fp-ts/Either'
import * as tf from '@tensorflow/tfjs'
import katex from 'katex'

import type { CheckError } from '../../src/core/Check.ts'
import { check, describe } from '../../src/core/Check.ts'
import type { Player } from '../../src/core/Game.ts'
import { adam } from '../../src/core/Game.ts'
import type { Loss } from '../../src/core/Loss.ts'
import { showLatex, showUnicode } from '../../src/core/Show.ts'
import { DivergenceError } from '../../src/compile/step.ts'
import type { BackendInfo } from './backend.ts'
import { startBackend } from './backend.ts'
import { experimentOf, fromConfig, toConfig } from './config.ts'
import type { Experiment } from '../../src/experiment/types.ts'
import { gameOf } from '../../src/experiment/game.ts'
import type { Session, Snapshot } from './engine.ts'
import { createSession, probe } from './engine.ts'
import { drawCodes, drawCurves, drawSamples, SERIES_COLORS } from './plots.ts'
import type { BackendWish, State } from './state.ts'
import {
  decodeHash,
  encodeHash,
  fromModel,
  gameJson,
  GRID,
  mixtureOf,
  MODEL_NAMES,
  MODEL_TITLES,
  parseGameJson,
  RING
} from './state.ts'
import type { Row } from './terms.ts'
import {
  changeKind,
  compose,
  decompose,
  fieldText,
  isLeafKind,
  LEAVES,
  lossOf,
  termIndexOf,
  termsOf,
  withField
} from './terms.ts'

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T

const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...children: Array<Node | string | undefined>
): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v as EventListener)
    else if (k === 'class') el.className = String(v)
    else if (k in el) (el as unknown as Record<string, unknown>)[k] = v
    else el.setAttribute(k, String(v))
  }
  for (const c of children) if (c !== undefined) el.append(c)
  return el
}

// -------------------------------------------------------------------------------------
// state
// -------------------------------------------------------------------------------------

let state: State = fromModel('alphaGan')
let errors: ReadonlyArray<CheckError> = []
/** Problems of the config itself (before the game can be built), with their paths. */
let problems: ReadonlyArray<string> = []
let experiment: Experiment | undefined
let backend: BackendInfo | undefined
let session: Session | undefined
let running = false
let curves: { steps: Array<number>; values: Map<string, Array<number>> } = { steps: [], values: new Map() }
let snapshot: Snapshot | undefined
let trainingError: string | undefined
let speed = { steps: 0, ms: 0 }

/** What tests and the console can read. */
const api = {
  get state() {
    return state
  },
  get backend() {
    return backend
  },
  get step() {
    return session?.step ?? 0
  },
  get running() {
    return running
  },
  get modes() {
    return snapshot?.modes
  },
  get stepsPerSecond() {
    return speed.ms > 0 ? (1000 * speed.steps) / speed.ms : 0
  },
  get errors() {
    return [...problems, ...errors.map(describe)]
  },
  /** The values logged last: each player's loss and each named term's, at `step`. */
  get lastValues() {
    const i = curves.steps.length - 1
    return i < 0
      ? undefined
      : { step: curves.steps[i], values: Object.fromEntries([...curves.values].map(([k, v]) => [k, v[i]])) }
  },
  /** Live tensors (tfjs's count): back to the page's own after a reset. */
  get tensors() {
    return tf.memory().numTensors
  },
  get trainingError() {
    return trainingError
  },
  get timing() {
    return timing
  },
  ready: undefined as Promise<void> | undefined
}
;(window as unknown as { playground: typeof api }).playground = api

// -------------------------------------------------------------------------------------
// changes
// -------------------------------------------------------------------------------------

let urlTimer: ReturnType<typeof setTimeout> | undefined
const saveUrl = (): void => {
  clearTimeout(urlTimer)
  urlTimer = setTimeout(() => {
    void encodeHash(state).then((hash) => history.replaceState(null, '', hash))
  }, 250)
}

/** A new state: checks it, resets training, redraws what depends on it. */
const setState = (next: State, o: { editor?: boolean; json?: boolean } = {}): void => {
  const backendChanged = next.backend !== state.backend
  // a longer or shorter run is the same run: every other change starts training afresh
  const sameRun = JSON.stringify({ ...state, steps: 0 }) === JSON.stringify({ ...next, steps: 0 })
  state = next
  const e = experimentOf(state)
  experiment = Either.isRight(e) ? e.right : undefined
  problems = Either.isLeft(e) ? e.left : []
  const checked = experiment === undefined ? undefined : check(gameOf(experiment))
  errors = checked !== undefined && Either.isLeft(checked) ? checked.left : []
  $<HTMLSelectElement>('origin').value = state.origin
  if (!sameRun) resetTraining()
  if (o.editor !== false) renderEditor()
  if (o.json !== false) ($('json') as HTMLTextAreaElement).value = gameJson(state.players)
  renderFormula()
  renderErrors()
  renderSettings()
  saveUrl()
  if (backendChanged) void initBackend()
}

const setPlayers = (players: ReadonlyArray<Player>, o: { editor?: boolean; json?: boolean } = {}): void =>
  setState({ ...state, players }, o)

const updatePlayer = (i: number, f: (p: Player) => Player, o: { editor?: boolean } = {}): void =>
  setPlayers(
    state.players.map((p, j) => (j === i ? f(p) : p)),
    o
  )

const updateTerm = (pi: number, ti: number, f: (t: Loss) => Loss | undefined, o: { editor?: boolean } = {}): void =>
  updatePlayer(
    pi,
    (p) => {
      const terms = termsOf(p.loss).flatMap((t, j) =>
        j === ti ? [f(t)].filter((u): u is Loss => u !== undefined) : [t]
      )
      return { ...p, loss: lossOf(terms) }
    },
    o
  )

// -------------------------------------------------------------------------------------
// the formula and the errors
// -------------------------------------------------------------------------------------

const texName = (s: string): string => s.replace(/[\\{}_^#$%&~]/g, (c) => `\\${c}`)

const renderFormula = (): void => {
  const el = $('formula')
  el.replaceChildren()
  if (state.players.length === 0) {
    el.append(h('p', { class: 'hint' }, 'A blank game: add a player, then its terms.'))
    return
  }
  for (const p of state.players) {
    const div = h('div', { class: 'player-formula' })
    const nets = p.nets.length > 0 ? p.nets.map(texName).join(', ') : '\\varnothing'
    const every = p.every > 1 ? `\\quad\\text{(every ${p.every} steps)}` : ''
    katex.render(`\\min_{${nets}}\\; \\mathcal{L}_{\\text{${texName(p.name)}}} = ${showLatex(p.loss)}${every}`, div, {
      displayMode: true,
      throwOnError: false
    })
    el.append(div)
  }
}

const renderErrors = (): void => {
  const list = $('errors')
  list.replaceChildren(...[...problems, ...errors.map(describe)].map((e) => h('li', { class: 'error' }, e)))
  if (trainingError !== undefined) list.append(h('li', { class: 'error' }, trainingError))
  // inline, next to the player and the term
  for (const el of document.querySelectorAll<HTMLElement>('[data-errors]')) el.replaceChildren()
  for (const e of errors) {
    if (!('player' in e)) continue
    const pi = state.players.findIndex((p) => p.name === e.player)
    const ti = 'path' in e ? termIndexOf(e.path) : undefined
    const slot = document.querySelector<HTMLElement>(
      ti === undefined ? `[data-errors="${pi}"]` : `[data-errors="${pi}/${ti}"]`
    )
    slot?.append(h('div', { class: 'inline-error' }, describe(e)))
  }
  for (const el of document.querySelectorAll<HTMLElement>('.term'))
    el.classList.toggle('bad', (el.querySelector('[data-errors]')?.childElementCount ?? 0) > 0)
  renderControls()
}

// -------------------------------------------------------------------------------------
// the structured editor
// -------------------------------------------------------------------------------------

/** A text input that commits on input when `commit` accepts it, else shows why beside it. */
const field = (
  label: string,
  value: string,
  commit: (v: string) => void,
  o: { size?: number; cls?: string } = {}
): HTMLElement => {
  const why = h('span', { class: 'field-error' })
  const input = h('input', { value, size: o.size ?? Math.max(4, value.length + 1), spellcheck: false })
  input.addEventListener('input', () => {
    try {
      commit(input.value)
      why.textContent = ''
      input.classList.remove('invalid')
    } catch (e) {
      why.textContent = (e as Error).message
      input.classList.add('invalid')
    }
  })
  return h('label', { class: `field ${o.cls ?? ''}` }, h('span', {}, label), input, why)
}

const select = (
  label: string,
  value: string,
  options: ReadonlyArray<[string, string]>,
  commit: (v: string) => void
): HTMLElement => {
  const s = h(
    'select',
    { onchange: () => commit(s.value) },
    ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))
  )
  return h('label', { class: 'field' }, h('span', {}, label), s)
}

const numberOf = (v: string, what: string, o: { integer?: boolean; positive?: boolean } = {}): number => {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${what}: a number`)
  if (o.integer === true && !Number.isInteger(n)) throw new Error(`${what}: a whole number`)
  if (o.positive === true && !(n > 0)) throw new Error(`${what}: above 0`)
  return n
}

const termRow = (pi: number, ti: number, t: Loss): HTMLElement => {
  const row = decompose(t)
  const set = (r: Row): void => updateTerm(pi, ti, () => compose(r), { editor: false })
  const leafKind = row.inner._tag
  const editable = isLeafKind(leafKind) ? leafKind : undefined
  const kinds = Object.entries(LEAVES).map(([k, v]): [string, string] => [k, v.title])
  let leaf = row.inner
  const fields =
    editable !== undefined
      ? LEAVES[editable].fields.map((f) =>
          f.kind === 'choice'
            ? select(
                f.label,
                fieldText(leaf, f),
                (f.choices ?? []).map((c): [string, string] => [c, c]),
                (v) => {
                  leaf = withField(leaf, f, v)
                  set({ ...decompose(termsOf(state.players[pi].loss)[ti]), inner: leaf })
                }
              )
            : field(
                f.label,
                fieldText(leaf, f),
                (v) => {
                  leaf = withField(leaf, f, v)
                  set({ ...decompose(termsOf(state.players[pi].loss)[ti]), inner: leaf })
                },
                { cls: f.kind === 'net' ? 'net' : 'expr' }
              )
        )
      : [h('span', { class: 'compound' }, `${showUnicode(row.inner)} — edit this term in the JSON`)]
  return h(
    'div',
    { class: 'term', 'data-term': `${pi}/${ti}` },
    h(
      'div',
      { class: 'term-head' },
      field('name', row.label ?? '', (v) => set({ ...decompose(termsOf(state.players[pi].loss)[ti]), label: v }), {
        size: 12,
        cls: 'name'
      }),
      field(
        'weight',
        String(row.k),
        (v) => set({ ...decompose(termsOf(state.players[pi].loss)[ti]), k: numberOf(v, 'weight') }),
        { size: 5, cls: 'weight' }
      ),
      editable !== undefined
        ? select('term', leafKind, kinds, (v) =>
            updateTerm(pi, ti, (u) =>
              isLeafKind(v) ? compose({ ...decompose(u), inner: changeKind(decompose(u).inner, v) }) : u
            )
          )
        : h('span', { class: 'kind' }, leafKind),
      h('button', { class: 'icon', title: 'remove this term', onclick: () => updateTerm(pi, ti, () => undefined) }, '✕')
    ),
    h('div', { class: 'term-fields' }, ...fields),
    h('div', { 'data-errors': `${pi}/${ti}` })
  )
}

const playerCard = (p: Player, pi: number): HTMLElement => {
  const lr = p.optimizer.learningRate
  return h(
    'div',
    { class: 'player' },
    h(
      'div',
      { class: 'player-head' },
      field(
        'player',
        p.name,
        (v) => {
          if (v.trim() === '') throw new Error('a name is needed')
          updatePlayer(pi, (q) => ({ ...q, name: v.trim() }), { editor: false })
        },
        { size: 16, cls: 'name' }
      ),
      field(
        'trains',
        p.nets.join(', '),
        (v) =>
          updatePlayer(
            pi,
            (q) => ({
              ...q,
              nets: v
                .split(',')
                .map((n) => n.trim())
                .filter((n) => n !== '')
            }),
            { editor: false }
          ),
        { size: 6, cls: 'net' }
      ),
      field(
        'every',
        String(p.every),
        (v) =>
          updatePlayer(pi, (q) => ({ ...q, every: numberOf(v, 'every', { integer: true, positive: true }) }), {
            editor: false
          }),
        { size: 2 }
      ),
      field(
        'lr',
        String(lr),
        (v) =>
          updatePlayer(
            pi,
            (q) => ({
              ...q,
              optimizer: { ...q.optimizer, learningRate: numberOf(v, 'learning rate', { positive: true }) }
            }),
            { editor: false }
          ),
        { size: 6 }
      ),
      h(
        'button',
        {
          class: 'icon',
          title: 'remove this player',
          onclick: () => setPlayers(state.players.filter((_, j) => j !== pi))
        },
        '✕'
      )
    ),
    h('div', { 'data-errors': String(pi) }),
    ...termsOf(p.loss).map((t, ti) => termRow(pi, ti, t)),
    h(
      'button',
      {
        class: 'add',
        onclick: () =>
          updatePlayer(pi, (q) => ({ ...q, loss: lossOf([...termsOf(q.loss), LEAVES.DensityRatio.make()]) }))
      },
      '+ term'
    )
  )
}

const renderEditor = (): void => {
  const fresh = (): string => {
    let i = state.players.length + 1
    while (state.players.some((p) => p.name === `player-${i}`)) i++
    return `player-${i}`
  }
  $('editor').replaceChildren(
    ...state.players.map(playerCard),
    h(
      'button',
      {
        class: 'add',
        onclick: () =>
          setPlayers([
            ...state.players,
            {
              name: fresh(),
              nets: ['G'],
              loss: LEAVES.NonSaturating.make(),
              every: 1,
              optimizer: adam(1e-3, 0.5, 0.999)
            }
          ])
      },
      '+ player'
    )
  )
}

// -------------------------------------------------------------------------------------
// settings
// -------------------------------------------------------------------------------------

const renderSettings = (): void => {
  const d = state.data
  const set = (patch: Partial<State>): void => setState({ ...state, ...patch }, { editor: false, json: false })
  const num = (
    label: string,
    v: number,
    f: (n: number) => Partial<State>,
    o: { integer?: boolean } = {}
  ): HTMLElement => field(label, String(v), (s) => set(f(numberOf(s, label, { positive: true, ...o }))), { size: 5 })
  const el = $('settings')
  // keep focus while typing: only rebuild when nothing inside is focused
  if (el.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return
  el.replaceChildren(
    select(
      'data',
      d.kind,
      [
        ['ring', 'ring of 8'],
        ['grid', 'grid of 25']
      ],
      (v) => set({ data: v === 'ring' ? RING : GRID })
    ),
    ...(d.kind === 'ring'
      ? [
          num('modes', d.modes, (n) => ({ data: { ...d, modes: n } }), { integer: true }),
          num('radius', d.radius, (n) => ({ data: { ...d, radius: n } }))
        ]
      : [
          num('side', d.side, (n) => ({ data: { ...d, side: n } }), { integer: true }),
          num('spacing', d.spacing, (n) => ({ data: { ...d, spacing: n } }))
        ]),
    num('σ', d.sd, (n) => ({ data: { ...d, sd: n } })),
    num('latent', state.latent, (n) => ({ latent: n }), { integer: true }),
    select(
      'E outputs',
      state.encoder,
      [
        ['latent', 'a code'],
        ['2latent', 'mean, log-var']
      ],
      (v) => set({ encoder: v as State['encoder'] })
    ),
    num('hidden', state.hidden, (n) => ({ hidden: n }), { integer: true }),
    num('batch', state.batch, (n) => ({ batch: n }), { integer: true }),
    num('seed', state.seed, (n) => ({ seed: n }), { integer: true }),
    num('steps', state.steps, (n) => ({ steps: n }), { integer: true }),
    select(
      'backend',
      state.backend,
      [
        ['auto', 'auto'],
        ['webgl', 'webgl'],
        ['wasm', 'wasm'],
        ['cpu', 'cpu']
      ],
      (v) => set({ backend: v as BackendWish })
    )
  )
}

// -------------------------------------------------------------------------------------
// training
// -------------------------------------------------------------------------------------

const renderControls = (): void => {
  const blocked = errors.length > 0 || problems.length > 0 || backend === undefined
  const start = $<HTMLButtonElement>('start')
  start.textContent = running ? 'Pause' : 'Start'
  start.disabled = blocked && !running
  $<HTMLButtonElement>('step').disabled = blocked || running
  const step = session?.step ?? 0
  const sps = api.stepsPerSecond
  $('progress').textContent =
    `step ${step} / ${state.steps}${sps > 0 ? ` · ${sps.toFixed(sps < 10 ? 1 : 0)} steps/s` : ''}${errors.length + problems.length > 0 ? ' · fix the objective to train' : ''}`
}

const renderMetrics = (): void => {
  const m = snapshot?.modes
  const k = mixtureOf(state.data).means.length
  $('metrics').replaceChildren(
    h('tr', {}, h('th', {}, 'modes captured'), h('th', {}, 'high-quality samples'), h('th', {}, 'KL(modes ‖ uniform)')),
    h(
      'tr',
      {},
      h('td', { id: 'm-captured' }, m === undefined ? '–' : `${m.captured} / ${m.modes}`),
      h('td', { id: 'm-hq' }, m === undefined ? '–' : `${(100 * m.highQuality).toFixed(1)} %`),
      h(
        'td',
        { id: 'm-kl' },
        m === undefined ? '–' : `${m.klToUniform.toFixed(3)} (collapse: ${Math.log(k).toFixed(2)})`
      )
    )
  )
}

const renderPlots = (): void => {
  const mixture = mixtureOf(state.data)
  drawSamples($<HTMLCanvasElement>('samples'), mixture, snapshot?.samples)
  drawCodes($<HTMLCanvasElement>('codes'), snapshot?.codes, state.latent, snapshot?.codeModes, mixture.means.length)
  const keys = [...curves.values.keys()]
  const series = keys.map((key, i) => ({
    key,
    values: curves.values.get(key)!,
    color: SERIES_COLORS[i % SERIES_COLORS.length],
    dashed: key.includes('/')
  }))
  drawCurves($<HTMLCanvasElement>('curves'), curves.steps, series)
  $('legend').replaceChildren(
    ...series.map((s) => {
      const last = s.values[s.values.length - 1]
      return h(
        'span',
        { class: 'key' },
        h('i', { style: `border-color:${s.color};border-style:${s.dashed ? 'dashed' : 'solid'}` }),
        `${s.key} ${Number.isFinite(last) ? last.toFixed(3) : ''}`
      )
    })
  )
  renderMetrics()
}

const resetTraining = (): void => {
  running = false
  session?.dispose()
  session = undefined
  snapshot = undefined
  trainingError = undefined
  speed = { steps: 0, ms: 0 }
  curves = { steps: [], values: new Map() }
  renderPlots()
  renderControls()
}

let opening: Promise<Session> | undefined
const ensureSession = async (): Promise<Session | undefined> => {
  if (session !== undefined) return session
  if (experiment === undefined || backend === undefined) return undefined
  const e = experiment
  try {
    opening ??= createSession(e, backend.name)
    const s = await opening
    // the state changed while it opened: this session is stale
    if (s === undefined) return undefined
    if (e !== experiment) {
      s.dispose()
      return undefined
    }
    session = s
  } catch (e) {
    trainingError = `cannot train: ${(e as Error).message}`
    renderErrors()
  } finally {
    opening = undefined
  }
  return session
}

const record = (step: number, values: Record<string, number>): void => {
  curves.steps.push(step)
  for (const [k, v] of Object.entries(values)) {
    if (!curves.values.has(k)) curves.values.set(k, new Array<number>(curves.steps.length - 1).fill(NaN))
    curves.values.get(k)!.push(v)
  }
  // thin out long histories: keep every other point
  if (curves.steps.length > 600) {
    curves.steps = curves.steps.filter((_, i) => i % 2 === 0)
    for (const [k, v] of curves.values)
      curves.values.set(
        k,
        v.filter((_, i) => i % 2 === 0)
      )
  }
}

/** Steps, then one read of the values (the sync that bounds the device's queue). */
const slice = async (s: Session, n: number, budgetMs: number): Promise<number> => {
  const done = s.run(n, budgetMs)
  try {
    record(s.step, await s.values())
  } catch (e) {
    running = false
    trainingError =
      e instanceof DivergenceError
        ? `${e.message} — lower the learning rate or a weight, then reset`
        : `training failed: ${(e as Error).message}`
    renderErrors()
  }
  return done
}

/** Where the training loop's time goes, in ms (read by tests and benchmarks through `playground.timing`). */
const timing = { slice: 0, snapshot: 0, render: 0, loops: 0, started: 0, wall: 0 }
/**
 * Runs `f` after the browser has had its turn (input, layout, paint): a message to ourselves, which
 * is not throttled the way timers are in background and headless pages.
 */
const channel = new MessageChannel()
const queued: Array<() => void> = []
channel.port1.onmessage = () => queued.shift()?.()
const yieldThen = (f: () => void): void => {
  queued.push(f)
  channel.port2.postMessage(null)
}

let perSlice = 1
let lastDraw = 0
const loop = async (): Promise<void> => {
  const s = session
  if (!running || s === undefined) return
  const t0 = performance.now()
  const done = await slice(s, Math.min(perSlice, state.steps - s.step), 40)
  const ms = performance.now() - t0
  if (s !== session) return
  speed = { steps: speed.steps + done, ms: speed.ms + ms }
  // aim at ~50 ms a slice, so the page answers between slices
  perSlice = Math.max(1, Math.min(200, Math.round((done * 50) / Math.max(1, ms))))
  const t1 = performance.now()
  // the page redraws a few times a second: every frame costs the training thread its time
  const finished = s.step >= state.steps
  if (performance.now() - lastDraw > 250 || !running || finished) {
    snapshot = await s.snapshot()
    const t2 = performance.now()
    if (finished) running = false
    renderPlots()
    renderControls()
    lastDraw = performance.now()
    timing.snapshot += t2 - t1
    timing.render += lastDraw - t2
  }
  timing.slice += t1 - t0
  timing.loops++
  timing.wall = performance.now() - timing.started
  if (running) yieldThen(() => void loop())
}

const start = async (): Promise<void> => {
  if (running) {
    running = false
    renderControls()
    return
  }
  if (errors.length + problems.length > 0) return
  if (session !== undefined && session.step >= state.steps)
    setState({ ...state, steps: state.steps + 1000 }, { editor: false, json: false })
  const s = await ensureSession()
  if (s === undefined) return
  running = true
  timing.started = performance.now()
  renderControls()
  void loop()
}

const stepOnce = async (): Promise<void> => {
  const s = await ensureSession()
  if (s === undefined || running) return
  await slice(s, 1, 0)
  snapshot = await s.snapshot()
  renderPlots()
  renderControls()
}

// -------------------------------------------------------------------------------------
// backend, sharing, start-up
// -------------------------------------------------------------------------------------

const initBackend = async (): Promise<void> => {
  backend = undefined
  resetTraining()
  const badge = $('backend')
  badge.textContent = 'starting backend…'
  try {
    const fallback = experimentOf(fromModel('alphaGan', state))
    const e =
      experiment !== undefined && errors.length === 0
        ? experiment
        : Either.isRight(fallback)
          ? fallback.right
          : undefined
    if (e === undefined) throw new Error('no experiment to probe the backends with')
    backend = await startBackend(state.backend, () => probe(e))
    badge.textContent = `${backend.name} · ${backend.detail}`
    badge.title =
      backend.skipped.length > 0 ? `passed over: ${backend.skipped.join('; ')}` : 'the tfjs backend training runs on'
    badge.className = `badge ${backend.name}`
  } catch (e) {
    badge.textContent = 'no backend'
    banner((e as Error).message)
  }
  renderControls()
}

const banner = (text: string | undefined): void => {
  const b = $('banner')
  b.hidden = text === undefined
  b.textContent = text ?? ''
}

const exportConfig = (): void => {
  const text = JSON.stringify(toConfig(state), null, 2) + '\n'
  const a = h('a', {
    href: URL.createObjectURL(new Blob([text], { type: 'application/json' })),
    download: `${String(toConfig(state).name)}.json`
  })
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

const importConfig = async (file: File): Promise<void> => {
  let raw: unknown
  try {
    raw = JSON.parse(await file.text())
  } catch (e) {
    banner(`${file.name}: not JSON (${(e as Error).message})`)
    return
  }
  const r = fromConfig(raw, state)
  if (Either.isLeft(r)) {
    banner(`${file.name}: ${r.left.join('; ')}`)
    return
  }
  banner(r.right.notes.length > 0 ? `${file.name}: ${r.right.notes.join('; ')}` : undefined)
  setState(r.right.state)
}

const main = async (): Promise<void> => {
  const origin = $<HTMLSelectElement>('origin')
  origin.append(...[...MODEL_NAMES, 'blank' as const].map((m) => h('option', { value: m }, MODEL_TITLES[m])))
  origin.addEventListener('change', () => {
    const { origin: _o, players: _p, encoder: _e, ...settings } = state
    setState(fromModel(origin.value as State['origin'], settings))
  })
  $('start').addEventListener('click', () => void start())
  $('step').addEventListener('click', () => void stepOnce())
  $('reset').addEventListener('click', () => {
    resetTraining()
    renderErrors()
  })
  $('share').addEventListener('click', () => {
    void encodeHash(state).then(async (hash) => {
      history.replaceState(null, '', hash)
      await navigator.clipboard?.writeText(location.href).catch(() => undefined)
      $('share').textContent = 'Link copied'
      setTimeout(() => ($('share').textContent = 'Copy link'), 1500)
    })
  })
  $('export').addEventListener('click', exportConfig)
  $<HTMLInputElement>('import').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement
    const f = input.files?.[0]
    input.value = '' // the same file again is a new import
    if (f !== undefined) void importConfig(f)
  })
  const json = $<HTMLTextAreaElement>('json')
  json.addEventListener('input', () => {
    const r = parseGameJson(json.value)
    $('json-errors').replaceChildren(...(Either.isLeft(r) ? r.left.map((l) => h('li', { class: 'error' }, l)) : []))
    json.classList.toggle('invalid', Either.isLeft(r))
    if (Either.isRight(r)) setPlayers(r.right, { json: false })
  })
  window.addEventListener('resize', renderPlots)

  if (location.hash !== '') {
    const r = await decodeHash(location.hash)
    if (Either.isRight(r)) state = r.right
    else banner(r.left.join('; '))
  }
  setState(state)
  await initBackend()
}

api.ready = main()
