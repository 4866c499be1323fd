#!/usr/bin/env node
/**
 * The README's picture of the playground: builds the page, trains α-GAN in headless Chromium and
 * takes a screenshot mid-training.
 *   node scripts/playground-screenshot.mjs [--steps 1500] [--out docs/playground.png] [--backend wasm]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { chromium } from 'playwright-core'

import { build, serve } from './playground.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const steps = Number(arg('steps', '1500'))
const out = arg('out', 'docs/playground.png')
const backend = arg('backend', 'auto')

const dir = await mkdtemp(join(tmpdir(), 'playground-shot-'))
await build(join(dir, 'site'))
const { server, url } = await serve(join(dir, 'site'), 0)
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist']
})
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } })
  await page.goto(url, { timeout: 120_000 })
  await page.waitForFunction(() => window.playground?.backend !== undefined, null, { timeout: 120_000 })
  const setting = (label) => page.locator('#settings label', { has: page.locator(`span:text-is("${label}")`) })
  if (backend !== 'auto') {
    await setting('backend').locator('select').selectOption(backend)
    await page.waitForFunction((b) => window.playground.backend?.name === b, backend, { timeout: 120_000 })
  }
  await setting('steps')
    .locator('input')
    .fill(String(2 * steps))
  await page.click('#start')
  await page.waitForFunction((n) => window.playground.step >= n, steps, { timeout: 1_800_000, polling: 500 })
  await page.screenshot({ path: out })
  const info = await page.evaluate(() => ({
    backend: window.playground.backend,
    step: window.playground.step,
    sps: window.playground.stepsPerSecond,
    modes: window.playground.modes
  }))
  console.log(
    `wrote ${out} at step ${info.step} on ${info.backend.name} (${info.sps.toFixed(1)} steps/s), modes ${info.modes?.captured}/${info.modes?.modes}, high quality ${(100 * (info.modes?.highQuality ?? 0)).toFixed(1)} %`
  )
} finally {
  await browser.close()
  server.close()
  await rm(dir, { recursive: true, force: true })
}
