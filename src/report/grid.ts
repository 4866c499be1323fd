/**
 * Image grids (samples, reconstructions) as PNG, for `[h, w, 1]` and `[h, w, 3]` images with values
 * in [0, 1] (clipped). Each image is scaled up by nearest neighbour and framed by a thin gutter.
 * @since 0.1.0
 */
import { PNG } from 'pngjs'

export interface GridOptions {
  /** Images per row (default: the smallest square that holds them all). */
  readonly cols?: number
  /** Pixels of gutter between images (default 2). */
  readonly pad?: number
  /** Integer upscaling of each image (default 2). */
  readonly scale?: number
  /** Gutter grey level in [0, 255] (default 255, white). */
  readonly background?: number
}

/** A batch of images, row-major `[count, h, w, c]`. */
export interface Images {
  readonly pixels: ArrayLike<number>
  readonly shape: readonly [number, number, number]
}

/** The pixel position of image `i`'s top-left corner in a grid. */
export const cellOrigin = (
  i: number,
  shape: Images['shape'],
  o: GridOptions & { readonly cols: number }
): readonly [number, number] => {
  const pad = o.pad ?? 2
  const s = o.scale ?? 2
  return [pad + (i % o.cols) * (shape[1] * s + pad), pad + Math.floor(i / o.cols) * (shape[0] * s + pad)]
}

/** The number of images in a batch, checking that the pixels fill whole images. */
export const countOf = ({ pixels, shape }: Images): number => {
  const [h, w, c] = shape
  if (![h, w].every((d) => Number.isInteger(d) && d > 0) || (c !== 1 && c !== 3))
    throw new RangeError(`imageGridPng: images must be [h, w, 1] or [h, w, 3], got [${shape.join(', ')}]`)
  const per = h * w * c
  if (pixels.length === 0 || pixels.length % per !== 0)
    throw new RangeError(`imageGridPng: ${pixels.length} values are not a whole number of [${shape.join(', ')}] images`)
  return pixels.length / per
}

/** A grid of images as PNG bytes. */
export const imageGridPng = (images: Images, o: GridOptions = {}): Buffer => {
  const n = countOf(images)
  const [h, w, c] = images.shape
  const cols = Math.min(n, o.cols ?? Math.ceil(Math.sqrt(n)))
  const rows = Math.ceil(n / cols)
  const pad = o.pad ?? 2
  const s = o.scale ?? 2
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`imageGridPng: scale must be a positive integer, got ${s}`)
  const png = new PNG({ width: pad + cols * (w * s + pad), height: pad + rows * (h * s + pad) })
  png.data.fill(o.background ?? 255)
  const px = images.pixels
  const byte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)))
  for (let i = 0; i < n; i++) {
    const [x0, y0] = cellOrigin(i, images.shape, { ...o, cols })
    for (let y = 0; y < h * s; y++)
      for (let x = 0; x < w * s; x++) {
        const src = ((i * h + Math.floor(y / s)) * w + Math.floor(x / s)) * c
        const dst = 4 * ((y0 + y) * png.width + x0 + x)
        const r = byte(px[src])
        png.data[dst] = r
        png.data[dst + 1] = c === 3 ? byte(px[src + 1]) : r
        png.data[dst + 2] = c === 3 ? byte(px[src + 2]) : r
        png.data[dst + 3] = 255
      }
  }
  return PNG.sync.write(png)
}

/**
 * Originals and their reconstructions side by side: columns alternate original, reconstruction, so
 * each pair reads left to right.
 */
export const reconstructionGridPng = (
  originals: Images,
  reconstructions: Images,
  o: GridOptions & { readonly pairs?: number } = {}
): Buffer => {
  const n = countOf(originals)
  if (countOf(reconstructions) !== n || originals.shape.join() !== reconstructions.shape.join())
    throw new RangeError('reconstructionGridPng: originals and reconstructions must have the same count and shape')
  const per = originals.shape[0] * originals.shape[1] * originals.shape[2]
  const pixels = new Float32Array(2 * n * per)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < per; j++) {
      pixels[2 * i * per + j] = originals.pixels[i * per + j]
      pixels[(2 * i + 1) * per + j] = reconstructions.pixels[i * per + j]
    }
  }
  const pairs = o.pairs ?? Math.max(1, Math.ceil(Math.sqrt(n / 2)))
  return imageGridPng({ pixels, shape: originals.shape }, { ...o, cols: 2 * pairs })
}
