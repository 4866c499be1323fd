/**
 * Reports: equilibria against numerical minima, pictures decoded and probed where the data says
 * something must (or must not) be drawn, and the HTML report of real (tiny) run folders, opened in
 * headless Chromium where one is installed.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'

import { PNG } from 'pngjs'

import { sig } from '../src/core/Game.ts'
import { apply, data, prior } from '../src/core/Expr.ts'
import { classify, named, nonSaturating, r1, reconstructionL1, scale, sum } from '../src/core/Loss.ts'
import { ring, rng, sampleMixture } from '../src/data/toy.ts'
import { alphaGan, bigan, gan, wganGp } from '../src/models/index.ts'
import {
  cellOrigin,
  compareJson,
  compareReport,
  compareSpec,
  COLORS,
  equilibria,
  formatEquilibrium,
  imageGridPng,
  lossCurves,
  lossCurvesSpec,
  parseLosses,
  reconstructionGridPng,
  renderSvg,
  scatter,
  writeReport
} from '../src/report/index.ts'
import { makeRun } from './report-fixture.ts'

const spec = {
  data: [2],
  prior: [2],
  nets: { E: sig([2], [2]), G: sig([2], [2]), D: sig([2], [1]), C: sig([2], [1]), J: sig([4], [1]) }
}
const softplus = (a: number): number => Math.log1p(Math.exp(a))
/** min over a of f(a), by a fine grid then golden-section refinement. */
const minimize = (f: (a: number) => number): number => {
  let best = -20
  for (let a = -20; a <= 20; a += 0.01) if (f(a) < f(best)) best = a
  let [lo, hi] = [best - 0.01, best + 0.01]
  for (let i = 0; i < 100; i++) {
    const m1 = lo + (hi - lo) * 0.382
    const m2 = lo + (hi - lo) * 0.618
    if (f(m1) < f(m2)) hi = m2
    else lo = m1
  }
  return f((lo + hi) / 2)
}

const decode = (png: Buffer): PNG => PNG.sync.read(png)
const pixel = (img: PNG, x: number, y: number): [number, number, number] => {
  const i = 4 * (Math.round(y) * img.width + Math.round(x))
  return [img.data[i], img.data[i + 1], img.data[i + 2]]
}
const hex = (c: string): [number, number, number] =>
  [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number]
/** Pixels within `r` of (x, y) whose colour is close to `c` (blended towards white by opacity counts too). */
const countNear = (img: PNG, [x, y]: readonly [number, number], r: number, c: string, tolerance = 60): number => {
  const [cr, cg, cb] = hex(c)
  let n = 0
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) {
      if (dx * dx + dy * dy > r * r) continue
      const px = Math.round(x + dx)
      const py = Math.round(y + dy)
      if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue
      const [pr, pg, pb] = pixel(img, px, py)
      // the hue of c at any opacity over white: (255 − p) proportional to (255 − c)
      const t = Math.max(255 - pr, 255 - pg, 255 - pb) / Math.max(1, Math.max(255 - cr, 255 - cg, 255 - cb))
      if (t < 0.35) continue
      const d = Math.hypot(255 - pr - t * (255 - cr), 255 - pg - t * (255 - cg), 255 - pb - t * (255 - cb))
      if (d < tolerance) n++
    }
  return n
}

describe('equilibria', () => {
  it('a BCE critic against k fake sets: its loss at its best response, the generator terms read at D* = 1/(1 + k)', () => {
    for (let k = 1; k <= 4; k++) {
      const fakes = Array.from({ length: k }, (_, i) => apply('G', i === 0 ? prior : apply('E', data)))
      const players = [
        { name: 'critic', nets: ['D'], loss: classify('D', { real: data, fake: fakes }) },
        { name: 'gen', nets: ['G'], loss: sum(named('ns', nonSaturating('D', fakes[0])), named('r1', r1('D', data))) }
      ]
      const eq = equilibria(players)
      const best = minimize((a) => softplus(-a) + k * softplus(a))
      assert.ok(
        Math.abs((eq.get('critic')?.value ?? NaN) - best) < 1e-9,
        `k=${k}: ${eq.get('critic')?.value} vs min ${best}`
      )
      assert.ok(Math.abs((eq.get('gen/ns')?.value ?? NaN) - Math.log(1 + k)) < 1e-12)
      assert.equal(eq.get('gen/r1')?.value, 0)
    }
    const ls = equilibria([
      { name: 'critic', nets: ['D'], loss: classify('D', { real: data, fake: [prior, prior] }, 'leastSquares') }
    ])
    assert.ok(Math.abs((ls.get('critic')?.value ?? NaN) - minimize((a) => 0.5 * (a - 1) ** 2 + a * a)) < 1e-9)
    const hinge = equilibria([
      { name: 'critic', nets: ['D'], loss: classify('D', { real: data, fake: prior }, 'hinge') }
    ])
    assert.ok(
      Math.abs((hinge.get('critic')?.value ?? NaN) - minimize((a) => Math.max(0, 1 - a) + Math.max(0, 1 + a))) < 1e-9
    )
  })

  it('the seven-model values: GAN 2 ln 2 and ln 2; α-GAN’s critic of three sets, ratios ln 2 and latent 0; BiGAN both sides', () => {
    const g = equilibria(gan(spec).players)
    assert.deepEqual([...g.keys()].sort(), ['critic', 'generator'])
    assert.equal(g.get('critic')?.label, '2 ln 2')
    assert.equal(g.get('generator')?.label, 'ln 2')
    const a = equilibria(alphaGan(spec).players)
    assert.equal(a.get('data-critic')?.label, '3 ln 3 − 2 ln 2')
    assert.equal(a.get('code-critic')?.label, '2 ln 2')
    assert.equal(a.get('encoder-generator/ratio(recon)')?.label, 'ln 2')
    assert.equal(a.get('encoder-generator/latent')?.label, '0')
    // a reconstruction has no value fixed by the game, so neither has the player's total
    assert.equal(a.has('encoder-generator/reconstruction'), false)
    assert.equal(a.has('encoder-generator'), false)
    const b = equilibria(bigan(spec).players)
    assert.equal(b.get('joint-critic')?.label, '2 ln 2')
    assert.equal(b.get('encoder-generator')?.label, '2 ln 2')
    // Wasserstein with a penalty: the critic's loss is not fixed, the generator's −E a is not either
    assert.equal(equilibria(wganGp(spec).players).size, 1) // only the named wasserstein term (0 with one fake set)
    assert.equal(equilibria(wganGp(spec).players).get('critic/wasserstein')?.value, 0)
  })

  it('scales and sums carry through; a term with no critic of its own is unmarked', () => {
    const players = [
      { name: 'critic', nets: ['D'], loss: classify('D', { real: data, fake: apply('G', prior) }) },
      {
        name: 'gen',
        nets: ['G'],
        loss: sum(
          scale(3, nonSaturating('D', apply('G', prior))),
          named('rec', reconstructionL1(data, apply('G', prior)))
        )
      }
    ]
    const eq = equilibria(players)
    assert.equal(eq.get('gen'), undefined)
    assert.equal(eq.has('gen/rec'), false)
    assert.equal(equilibria([{ name: 'g', nets: ['G'], loss: scale(3, nonSaturating('D', prior)) }]).size, 0)
    assert.equal(formatEquilibrium(-Math.LN2), '−ln 2')
    assert.equal(formatEquilibrium(0.25), '0.250')
  })
})

describe('pictures', () => {
  const m = ring(8, 2, 0.05)
  const covered = [0, 1, 2]
  const pts = sampleMixture({ ...m, means: covered.map((k) => m.means[k]) }, 600, rng(5))
  const points = Array.from({ length: 600 }, (_, i) => [pts[2 * i], pts[2 * i + 1]] as [number, number])

  it('scatter: samples drawn over the modes they cover and nowhere near the others; every mode and its 3σ circle marked', async () => {
    const r = await scatter({ points, modes: m.means, sd: m.sd }, { dataPoints: 0 })
    const img = decode(r.png)
    assert.equal(img.width, r.width)
    assert.equal(img.height, r.height)
    for (let k = 0; k < 8; k++) {
      const at = r.locate('samples', m.means[k][0], m.means[k][1])
      const blue = countNear(img, at, 14, COLORS.sample)
      if (covered.includes(k)) assert.ok(blue > 40, `mode ${k} is covered but has ${blue} sample pixels`)
      else assert.equal(blue, 0, `mode ${k} is not covered but has ${blue} sample pixels`)
      assert.ok(countNear(img, at, 5, COLORS.mode) > 10, `mode ${k} has no marker`)
      // the 3σ circle passes through (mean + 3σ, y)
      const rim = r.locate('samples', m.means[k][0], m.means[k][1] + 3 * m.sd)
      assert.ok(countNear(img, rim, 2, COLORS.mode) > 0, `mode ${k} has no 3σ circle`)
    }
    // halfway between two modes, nothing but background
    const mid = r.locate('samples', (m.means[5][0] + m.means[6][0]) / 2, (m.means[5][1] + m.means[6][1]) / 2)
    assert.equal(countNear(img, mid, 8, COLORS.sample) + countNear(img, mid, 8, COLORS.mode), 0)
  })

  it('scatter: the codes panel shows codes over the prior', async () => {
    const codes = Array.from({ length: 300 }, (_, i) => [2.5, -2 + (i % 3) * 0.001])
    const r = await scatter({ points, modes: m.means, sd: m.sd, codes }, { dataPoints: 0 })
    const img = decode(r.png)
    assert.ok(countNear(img, r.locate('codes', 2.5, -2), 6, COLORS.code) > 20)
    assert.equal(countNear(img, r.locate('codes', -2.5, 2), 6, COLORS.code), 0)
    assert.ok(r.width > (await scatter({ points, modes: m.means, sd: m.sd }, { dataPoints: 0 })).width * 1.6)
  })

  it('image grids: 28×28×1 and ×3, each image at its cell, scaled, clipped to [0, 1]', () => {
    for (const c of [1, 3] as const) {
      const n = 5
      const per = 28 * 28 * c
      // image i: pixel (y, x, ch) = ((i + 1) / n) · (ch + 1) / c, and x = 0 column is 2 (clipped to 1)
      const pixels = new Float32Array(n * per).map((_, j) => {
        const i = Math.floor(j / per)
        const ch = j % c
        const x = Math.floor((j % (28 * c)) / c)
        return x === 0 ? 2 : ((i + 1) / n) * ((ch + 1) / c)
      })
      const png = imageGridPng({ pixels, shape: [28, 28, c] }, { cols: 3, pad: 2, scale: 2 })
      const img = decode(png)
      assert.equal(img.width, 2 + 3 * (56 + 2))
      assert.equal(img.height, 2 + 2 * (56 + 2))
      for (let i = 0; i < n; i++) {
        const [x0, y0] = cellOrigin(i, [28, 28, c], { cols: 3, pad: 2, scale: 2 })
        const [r, g, b] = pixel(img, x0 + 21, y0 + 33)
        const want = (ch: number): number => Math.round(255 * ((i + 1) / n) * (c === 1 ? 1 : (ch + 1) / c))
        assert.deepEqual([r, g, b], c === 1 ? [want(0), want(0), want(0)] : [want(0), want(1), want(2)], `image ${i}`)
        assert.deepEqual(pixel(img, x0 + 1, y0 + 5), [255, 255, 255])
        assert.deepEqual(pixel(img, x0 - 1, y0 + 5), [255, 255, 255]) // gutter
      }
      // the sixth cell is empty
      const [x5, y5] = cellOrigin(5, [28, 28, c], { cols: 3, pad: 2, scale: 2 })
      assert.deepEqual(pixel(img, x5 + 20, y5 + 20), [255, 255, 255])
    }
    assert.throws(() => imageGridPng({ pixels: new Float32Array(100), shape: [28, 28, 1] }), /not a whole number/)
    assert.throws(
      () => imageGridPng({ pixels: new Float32Array(28 * 28 * 2), shape: [28, 28, 2] }),
      /\[h, w, 1\] or \[h, w, 3\]/
    )
  })

  it('reconstruction grids: originals and reconstructions alternate by column', () => {
    const originals = { pixels: new Float32Array(4 * 4 * 4).fill(1), shape: [4, 4, 1] as const }
    const recons = { pixels: new Float32Array(4 * 4 * 4).fill(0), shape: [4, 4, 1] as const }
    const img = decode(reconstructionGridPng(originals, recons, { pairs: 2, scale: 1, pad: 1, background: 128 }))
    assert.equal(img.width, 1 + 4 * 5)
    for (let col = 0; col < 4; col++) assert.equal(pixel(img, 1 + col * 5 + 1, 2)[0], col % 2 === 0 ? 255 : 0)
  })

  it('loss curves: each term’s equilibrium in the legend and drawn as a dashed rule at its value', async () => {
    const g = gan(spec)
    const lines = Array.from({ length: 12 }, (_, i) => ({
      step: (i + 1) * 10,
      values: { critic: 1.0 + 0.02 * i, generator: 1.2 - 0.03 * i }
    }))
    const names = JSON.stringify(lossCurvesSpec(lines, { players: g.players }))
    assert.match(names, /loss \(equilibrium 2 ln 2\)/)
    assert.match(names, /loss \(equilibrium ln 2\)/)
    const r = await lossCurves(lines, { players: g.players })
    const img = decode(r.png)
    // along the critic panel's row at 2 ln 2, the rule's colour comes and goes (a dashed line)
    const [x0, y] = r.locate('critic', 10, 2 * Math.LN2)
    const [x1] = r.locate('critic', 120, 2 * Math.LN2)
    let runs = 0
    let on = false
    for (let x = Math.ceil(x0); x < x1; x++) {
      const [pr, pg, pb] = pixel(img, x, y)
      const inked = pr + pg + pb < 600
      if (inked && !on) runs++
      on = inked
    }
    assert.ok(runs >= 8, `expected a dashed rule, found ${runs} runs of ink`)
    // no rule at 2 ln 2 in a game without a critic
    const bare = await lossCurves(
      lines.map((l) => ({ ...l, values: { critic: l.values.critic } })),
      { players: [] }
    )
    assert.match(JSON.stringify(lossCurvesSpec(lines, { players: [] })), /no term of this game/)
    assert.ok(decode(bare.png).width > 0)
  })

  it('parseLosses names the file and line of a bad line, keeps the last of a repeated step', () => {
    assert.throws(
      () => parseLosses('{"step": 1, "values": {}}\n{oops\n', 'run/losses.jsonl'),
      /run\/losses\.jsonl:2: not JSON/
    )
    assert.throws(() => parseLosses('{"step": "x"}\n', 'l.jsonl'), /l\.jsonl:1: expected/)
    const l = parseLosses(
      '{"step": 2, "values": {"a": 1}}\n{"step": 1, "values": {"a": 5}}\n{"step": 2, "values": {"a": 3}}\n'
    )
    assert.deepEqual(
      l.map((x) => [x.step, x.values.a]),
      [
        [1, 5],
        [2, 3]
      ]
    )
  })

  it('compare: mean ± sd per model over seeds, as Markdown, JSON and a plot', async () => {
    const rows = [
      { label: 'alphaGan', seed: 1, metrics: { modes: { captured: 8, highQuality: 0.9 } } },
      { label: 'alphaGan', seed: 2, metrics: { modes: { captured: 6, highQuality: 0.8 } } },
      { label: 'gan', seed: 1, metrics: { modes: { captured: 3, highQuality: 0.95 } } },
      { label: 'gan', seed: 2, metrics: { modes: { captured: 2, highQuality: 0.9 } } },
      { label: 'gan', seed: 3, metrics: { modes: { captured: 1, highQuality: 0.99 } } }
    ]
    const c = await compareReport(rows)
    assert.equal(c.json.metric, 'modes.captured')
    const a = c.json.groups[0].summary['modes.captured']
    assert.equal(a.mean, 7)
    assert.ok(Math.abs(a.sd - Math.SQRT2) < 1e-12)
    assert.equal(c.json.groups[1].summary['modes.captured'].sd, 1)
    assert.match(c.markdown, /\| alphaGan \| 2 \| 7 ± 1\.414 \| 0\.850 ± 0\.071 \|/)
    assert.match(c.markdown, /\| gan \| 3 \| 2 ± 1 \|/)
    const img = decode(c.png)
    assert.ok(img.width > 400 && img.height > 100)
    await assert.rejects(compareReport(rows, { metric: 'fid' }), /no run reports the metric "fid"/)
  })

  it('compare: the axis of runs that all scored the same reads 0, not 0.000000', async () => {
    const j = compareJson([
      { label: 'a', seed: 1, metrics: { modes: 0 } },
      { label: 'b', seed: 1, metrics: { modes: 0 } }
    ])
    const { svg } = await renderSvg(compareSpec(j))
    const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])
    assert.ok(labels.includes('0'), labels.join(' | '))
    assert.ok(!labels.some((l) => /^0\.0+$/.test(l)), labels.join(' | '))
  })
})

describe('writeReport', () => {
  let dir = ''
  let ganRun = ''
  let gameRun = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-'))
    ganRun = await makeRun(join(dir, 'a'), {
      model: 'gan',
      steps: 24,
      logEvery: 4,
      evalEvery: 12,
      hidden: 8,
      batch: 32,
      samples: 200
    })
    gameRun = await makeRun(join(dir, 'b'), {
      model: 'alphaGan',
      steps: 8,
      logEvery: 2,
      evalEvery: 8,
      hidden: 8,
      batch: 16,
      samples: 100,
      asGame: true
    })
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('one self-contained page: every section, pictures inlined, formulas typeset, no external URL', async () => {
    const path = await writeReport(ganRun)
    const html = await readFile(path, 'utf8')
    for (const id of ['samples', 'objective', 'losses', 'metrics', 'config'])
      assert.match(html, new RegExp(`<section id="${id}">`))
    assert.match(html, /class="katex"/)
    assert.match(html, /equilibrium 2 ln 2/)
    assert.deepEqual(html.match(/https?:\/\/[^\s"')]*/g), null)
    for (const m of html.matchAll(/(?:src=|url\()"?([^")\s>]+)/g))
      assert.ok(m[1].startsWith('data:'), `external reference ${m[1].slice(0, 60)}`)
    // the pictures were written next to the data they show
    for (const f of ['plots/losses.png', 'samples/step-000012.png', 'samples/step-000024.png'])
      assert.ok(decode(await readFile(join(ganRun, f))).width > 100, f)
    assert.equal([...html.matchAll(/<img /g)].length, 1 + 1 + 2) // final samples, losses, two evaluations in the strip
  })

  it('the game comes from config.json, a named model or terms; a config of another version still gets a report', async () => {
    const html = await readFile(await writeReport(gameRun), 'utf8')
    assert.match(html, /encoder-generator/)
    assert.match(html, /class="katex"/)
    assert.match(html, /3 ln 3 − 2 ln 2/)
    const named = await readFile(await writeReport(ganRun), 'utf8')
    assert.match(named, /<h3>generator<\/h3>/)
    assert.match(named, /modes <b>\d of 8, \d+% within 3σ<\/b>/)
    const config = JSON.parse(await readFile(join(ganRun, 'config.json'), 'utf8'))
    await writeFile(join(ganRun, 'config.json'), JSON.stringify({ ...config, model: { name: 'notAModel' } }))
    try {
      assert.match(
        await readFile(await writeReport(ganRun), 'utf8'),
        /does not decode as an experiment of this version/
      )
    } finally {
      await writeFile(join(ganRun, 'config.json'), JSON.stringify(config))
    }
  })

  it('image runs: the grids a run wrote, by kind, at each evaluation', async () => {
    const img = join(dir, 'images')
    await mkdir(join(img, 'samples'), { recursive: true })
    await writeFile(join(img, 'config.json'), JSON.stringify({ name: 'image-run', data: { kind: 'mnist' } }))
    await writeFile(
      join(img, 'losses.jsonl'),
      '{"step": 10, "values": {"critic": 1.2}}\n{"step": 20, "values": {"critic": 1.3}}\n'
    )
    const grid = (v: number) => imageGridPng({ pixels: new Float32Array(4 * 28 * 28).fill(v), shape: [28, 28, 1] })
    for (const step of ['000010', '000020']) {
      await writeFile(join(img, 'samples', `step-${step}-samples.png`), grid(0.2))
      await writeFile(join(img, 'samples', `step-${step}-reconstructions.png`), grid(0.8))
    }
    const html = await readFile(await writeReport(img), 'utf8')
    assert.equal([...html.matchAll(/<figcaption>(samples|reconstructions)<\/figcaption>/g)].length, 2)
    assert.equal([...html.matchAll(/<figcaption>step (10|20) · (samples|reconstructions)<\/figcaption>/g)].length, 4)
    assert.match(html, /does not decode as an experiment/)
  })

  it('a malformed run folder is an error naming the file; the old report stays whole', async () => {
    const before = await readFile(join(ganRun, 'report.html'), 'utf8')
    await writeFile(join(ganRun, 'losses.jsonl'), '{"step": 1, "values": {}}\nnot json\n')
    await assert.rejects(writeReport(ganRun), /losses\.jsonl:2: not JSON/)
    assert.equal(await readFile(join(ganRun, 'report.html'), 'utf8'), before)
    await assert.rejects(writeReport(join(dir, 'missing')), /config\.json: cannot read \(ENOENT\)/)
  })

  it(
    'opens from disk in headless Chromium: pictures decode, KaTeX fonts load, nothing is fetched',
    { skip: existsSync('/usr/bin/chromium') ? false : 'no /usr/bin/chromium' },
    async () => {
      const path = await writeReport(gameRun)
      const { chromium } = await import('playwright-core')
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' })
      try {
        const page = await browser.newPage()
        const fetched: Array<string> = []
        page.on('request', (r) => {
          if (!r.url().startsWith('data:') && r.url() !== pathToFileURL(path).href) fetched.push(r.url())
        })
        await page.goto(pathToFileURL(path).href)
        await page.waitForLoadState('load')
        const state = await page.evaluate(async () => {
          await document.fonts.ready
          return {
            images: [...document.images].map((i) => i.naturalWidth),
            katex: [...document.querySelectorAll('.katex-html')].map((e) => e.getBoundingClientRect().width),
            fonts: [...document.fonts]
              .filter((f) => f.status !== 'unloaded')
              .map((f) => `${f.family.replace(/"/g, '')} ${f.weight} ${f.style} ${f.status}`)
          }
        })
        assert.deepEqual(fetched, [])
        assert.ok(state.images.length >= 2 && state.images.every((w) => w > 100), `images ${state.images}`)
        assert.equal(state.katex.length, 3)
        assert.ok(state.katex.every((w) => w > 50))
        // the faces the formulas use were loaded from the page itself, none failed
        for (const face of ['KaTeX_Main 400 normal', 'KaTeX_Math 400 italic', 'KaTeX_AMS 400 normal'])
          assert.ok(state.fonts.includes(`${face} loaded`), `${face}: ${state.fonts.join(', ')}`)
        assert.deepEqual(
          state.fonts.filter((f) => f.endsWith('error')),
          []
        )
      } finally {
        await browser.close()
      }
    }
  )
})
