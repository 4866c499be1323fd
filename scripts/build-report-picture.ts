/**
 * Renders a run's report.html in headless Chromium and saves a screenshot (the README's picture):
 * `tsx scripts/build-report-picture.ts runs/alpha-gan-ring/report.html docs/report.png [width] [height]`.
 * Chromium: `/usr/bin/chromium` or `$CHROMIUM`.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { chromium } from 'playwright-core'

const [html, out, width = '1200', height = '1800'] = process.argv.slice(2)
if (html === undefined || out === undefined) {
  console.error('usage: build-report-picture <report.html> <out.png> [width] [height]')
  process.exit(2)
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' })
try {
  const page = await browser.newPage({
    viewport: { width: Number(width), height: Number(height) },
    deviceScaleFactor: 1
  })
  await page.goto(pathToFileURL(resolve(html)).href)
  await page.waitForLoadState('load')
  await page.screenshot({ path: out, fullPage: process.env.FULL === '1' })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
}
