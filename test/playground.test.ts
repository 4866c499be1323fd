/**
 * The playground in a real browser: Debian's Chromium, headless, driven by playwright-core (nothing
 * downloaded). Builds the page, serves it, composes and trains α-GAN, breaks its objective, shares it
 * by URL and exports the config the CLI runs.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'

import * as E from 'fp-ts/Either'
import type { Browser, Page } from 'playwright-core'
import { chromium } from 'playwright-core'

import { decodeExperiment } from '../src/codec/experiment.ts'
import { gameOf } from '../src/experiment/game.ts'
// @ts-expect-error: a plain ES module script without types
import { build, serve } from '../scripts/playground.mjs'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** SwiftShader WebGL without a GPU: recent Chromium enables it only when asked. */
const FLAGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist']
const STEPS = 300
const run = promisify(execFile)

interface PageApi {
  readonly backend?: { name: string; detail: string }
  readonly step: number
  readonly running: boolean
  readonly modes?: { captured: number; modes: number; highQuality: number }
  readonly stepsPerSecond: number
  readonly errors: ReadonlyArray<string>
  readonly trainingError?: string
  readonly tensors: number
  readonly lastValues?: { step: number; values: Record<string, number> }
  readonly state: { players: ReadonlyArray<unknown> } & Record<string, unknown>
}
declare const playground: PageApi

describe(
  'playground (headless Chromium)',
  { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` },
  () => {
    let dir: string
    let server: Server
    let url: string
    let browser: Browser
    let page: Page
    const problems: Array<string> = []

    /** Reads the page's `playground` object (the function is sent as source and applied to it there). */
    const api = <T>(f: (p: PageApi) => T): Promise<T> => page.evaluate(`(${f.toString()})(playground)`) as Promise<T>
    const setting = (label: string) =>
      page.locator('#settings label', { has: page.locator(`span:text-is("${label}")`) }).locator('input')

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'playground-'))
      await build(join(dir, 'site'))
      ;({ server, url } = await serve(join(dir, 'site'), 0))
      browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
      page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true })
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`)
      })
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`)
      })
      await page.goto(url, { timeout: 60_000 })
      await page.waitForFunction(() => playground.backend !== undefined, null, { timeout: 60_000 })
    })

    after(async () => {
      await browser?.close()
      server?.close()
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    })

    it('starts on a backend the page names, with α-GAN typeset', async () => {
      const b = (await api((p) => p.backend))!
      assert.ok(['webgl', 'wasm', 'cpu'].includes(b.name), b.name)
      assert.match((await page.locator('#backend').textContent()) ?? '', new RegExp(`^${b.name} · `))
      // one display formula per player, typeset by KaTeX (its MathML carries the term names)
      assert.equal(await page.locator('#formula .katex-display').count(), 3)
      const tex = await page.locator('#formula annotation').allTextContents()
      assert.match(tex[0], /\\underbrace\{.*\}_\{\\text\{reconstruction\}\}/)
      assert.match(tex[2], /\\mathcal\{L\}_\{\\text\{code-critic\}\}/)
      assert.deepEqual(await api((p) => p.errors), [])
    })

    it(`trains α-GAN ${STEPS} steps: samples spread over several modes, curves drawn, no tensor left behind`, async () => {
      const idle = await api((p) => p.tensors)
      await setting('batch').fill('64')
      await setting('steps').fill(String(STEPS))
      await page.click('#start')
      // the page answers while it trains: Pause stops it between two slices, Start goes on from there
      await page.waitForFunction(() => playground.step >= 50, null, { timeout: 60_000 })
      const t0 = Date.now()
      await page.click('#start')
      await page.waitForFunction(() => !playground.running, null, { timeout: 5_000 })
      assert.ok(Date.now() - t0 < 5_000)
      const paused = await api((p) => p.step)
      assert.ok(paused < STEPS, `paused at ${paused}`)
      await page.waitForTimeout(300)
      assert.equal(await api((p) => p.step), paused)
      await page.click('#start')
      await page.waitForFunction((n) => playground.step >= n && !playground.running, STEPS, { timeout: 120_000 })
      assert.equal(await api((p) => p.trainingError), undefined)
      const modes = (await api((p) => p.modes))!
      assert.ok(modes.captured >= 4, `captured ${modes.captured} of ${modes.modes}`)
      assert.ok(modes.highQuality > 0, 'some samples are within 3σ of a mode')
      assert.match((await page.locator('#m-captured').textContent()) ?? '', new RegExp(`^${modes.captured} / 8$`))
      // a curve per player and per named term, each drawn on the canvas
      const legend = await page.locator('#legend .key').allTextContents()
      for (const k of [
        'encoder-generator',
        'data-critic',
        'code-critic',
        'encoder-generator/reconstruction',
        'encoder-generator/latent'
      ]) {
        assert.ok(
          legend.some((l) => l.startsWith(`${k} `)),
          `${k} in ${legend.join(' | ')}`
        )
      }
      const inked = await page.evaluate(() => {
        const c = document.getElementById('curves') as HTMLCanvasElement
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
        let n = 0
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
        return n / (c.width * c.height)
      })
      assert.ok(inked > 0.01, `the curves canvas is ${(100 * inked).toFixed(2)} % inked`)
      assert.ok((await api((p) => p.stepsPerSecond)) > 0)
      await page.click('#reset')
      assert.equal(await api((p) => p.step), 0)
      assert.equal(await api((p) => p.tensors), idle, 'a reset frees every tensor of the session')
    })

    it('breaks the objective: the error names player and term inline, and nothing trains', async () => {
      const critic = page.locator('[data-term="0/2"] .field.net input')
      await critic.fill('X')
      const inline = page.locator('[data-term="0/2"] .inline-error')
      await inline.waitFor()
      const text = (await inline.textContent()) ?? ''
      assert.match(text, /player "encoder-generator", loss\.terms\[2\]/)
      assert.match(text, /net "X" is not bound \(term E\[log X\/\(1−X\)\]\(G\(z\)\)\)/)
      assert.ok(await page.locator('#start').isDisabled())
      assert.ok((await page.locator('#errors li').allTextContents()).some((l) => l === text))
      await critic.fill('D')
      await page.waitForFunction(() => playground.errors.length === 0)
      assert.ok(await page.locator('#start').isEnabled())
    })

    it('a blank game: no players is an error until one is added', async () => {
      await page.selectOption('#origin', 'blank')
      await page.waitForFunction(() => playground.errors.length > 0)
      assert.deepEqual(await api((p) => p.errors), ['the game has no players'])
      assert.ok(await page.locator('#start').isDisabled())
      await page.click('#editor > button.add')
      await page.waitForFunction(() => playground.errors.length === 0)
      assert.equal(await page.locator('#formula .katex-display').count(), 1)
      assert.match((await page.locator('#formula annotation').textContent()) ?? '', /\\min_\{G\}.*\\log D\]\(G\(z\)\)/)
      await page.selectOption('#origin', 'alphaGan')
      await page.waitForFunction(() => playground.state.players.length === 3)
    })

    it('a bad expression is refused where it is typed', async () => {
      const sample = page.locator('[data-term="0/1"] .field.expr input')
      await sample.fill('G(E(x)')
      assert.match(
        (await page.locator('[data-term="0/1"] .field.expr .field-error').textContent()) ?? '',
        /expected "\)"/
      )
      await sample.fill('G(E(x))')
      assert.equal(await page.locator('[data-term="0/1"] .field.expr .field-error').textContent(), '')
    })

    it('carries the game and its settings in the URL', async () => {
      await setting('latent').fill('3')
      await page.locator('[data-term="0/0"] .field.weight input').fill('2.5')
      await page.waitForFunction(() => /#g=/.test(location.hash) && playground.state.latent === 3)
      await page.waitForTimeout(400) // the URL follows edits after a short pause
      const state = await api((p) => p.state)
      const other = await browser.newPage()
      await other.goto(page.url(), { timeout: 60_000 })
      await other.waitForFunction(() => playground.backend !== undefined, null, { timeout: 60_000 })
      assert.deepEqual(await other.evaluate(() => playground.state), state)
      assert.match((await other.locator('#formula annotation').first().textContent()) ?? '', /2\.5 \\cdot/)
      await other.close()
    })

    it('exports the config the CLI decodes to the same game, and imports one', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
      const text = await readFile((await download.path())!, 'utf8')
      const e = decodeExperiment(JSON.parse(text))
      assert.ok(E.isRight(e), E.isLeft(e) ? e.left.join('\n') : '')
      const state = await api((p) => p.state)
      assert.deepEqual(JSON.parse(JSON.stringify(gameOf(e.right).players)), JSON.parse(JSON.stringify(state.players)))
      assert.equal(e.right.latent, 3)
      // a model's config, as a file
      const file = join(dir, 'wgan.json')
      await writeFile(file, JSON.stringify({ model: 'wganGp', data: { kind: 'grid' }, train: { steps: 500 } }))
      await page.setInputFiles('#import', file)
      await page.waitForFunction(() => playground.state.origin === 'wganGp')
      assert.equal(await page.locator('#origin').inputValue(), 'wganGp')
      assert.equal(await page.locator('#formula .katex-display').count(), 2)
      assert.deepEqual(await api((p) => [p.state.data, p.state.steps]), [
        { kind: 'grid', side: 5, spacing: 2, sd: 0.05 },
        500
      ])
      // an unknown field is refused with its path, and the game stays
      const bad = join(dir, 'bad.json')
      await writeFile(bad, JSON.stringify({ model: 'gan', lamda: 2 }))
      await page.setInputFiles('#import', bad)
      await page.locator('#banner').waitFor()
      assert.match((await page.locator('#banner').textContent()) ?? '', /bad\.json: \$\.lamda: unknown field/)
      assert.equal(await api((p) => p.state.origin), 'wganGp')
    })

    it('trains to the very losses the CLI gets from the exported config on the same backend (cpu)', async () => {
      await page.selectOption('#origin', 'alphaGan')
      await page
        .locator('#settings label', { has: page.locator('span:text-is("backend")') })
        .locator('select')
        .selectOption('cpu')
      await page.waitForFunction(() => playground.backend?.name === 'cpu', null, { timeout: 60_000 })
      await setting('hidden').fill('16')
      await setting('batch').fill('32')
      await setting('steps').fill('12')
      await page.click('#start')
      await page.waitForFunction(() => playground.step >= 12 && !playground.running, null, { timeout: 60_000 })
      const inPage = await api((p) => p.lastValues)
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
      const config = join(dir, 'exported.json')
      await download.saveAs(config)
      const out = join(dir, 'runs')
      await run(process.execPath, ['bin/loss-algebra.mjs', 'train', config, '--out', out, '--backend', 'cpu'], {
        cwd: process.cwd()
      })
      const name = (JSON.parse(await readFile(config, 'utf8')) as { name: string }).name
      const lines = (await readFile(join(out, name, 'losses.jsonl'), 'utf8')).trim().split('\n')
      const last = JSON.parse(lines[lines.length - 1]) as { step: number; values: Record<string, number> }
      assert.equal(last.step, 12)
      assert.deepEqual(inPage, { step: 12, values: last.values })
    })

    it('logged no console error, page error or failed request', () => {
      assert.deepEqual(problems, [])
    })
  }
)
