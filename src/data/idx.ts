/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al.): two zero bytes, a type byte, the number
 * of dimensions, one big-endian uint32 per dimension, then the values. Only unsigned bytes (type
 * 0x08) occur in these sets, and only those are read. Gzipped files (Debian ships Fashion-MNIST so)
 * are recognised by their own magic bytes, not by their name.
 * @since 0.1.0
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/** A decoded IDX array: its dimensions and its bytes, row-major. */
export interface Idx {
  readonly dims: ReadonlyArray<number>
  readonly data: Uint8Array
}

/** A file that is not a well-formed IDX array of the expected kind; the message names the file. */
export class IdxError extends Error {
  constructor(
    readonly file: string,
    reason: string
  ) {
    super(`${file}: ${reason}`)
    this.name = 'IdxError'
  }
}

const UBYTE = 0x08
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'ubyte',
  0x09: 'sbyte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double'
}

/** Whether the bytes start with the gzip magic number 1f 8b. */
export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b

/**
 * Decodes IDX bytes (gunzipping first when they are gzip), checking the magic number, the type,
 * the rank (`rank` when given), and that the payload holds exactly the product of the dimensions.
 * @throws IdxError naming `file`
 */
export const parseIdx = (bytes: Uint8Array, file: string, rank?: number): Idx => {
  let raw = bytes
  if (isGzip(raw)) {
    try {
      raw = gunzipSync(raw)
    } catch (e) {
      throw new IdxError(file, `gzip data is corrupt (${(e as Error).message})`)
    }
  }
  if (raw.length < 4) throw new IdxError(file, `${raw.length} bytes, too short for an IDX header`)
  if (raw[0] !== 0 || raw[1] !== 0)
    throw new IdxError(file, `not an IDX file: magic number starts ${hex(raw[0])} ${hex(raw[1])}, expected 00 00`)
  const type = raw[2]
  if (type !== UBYTE)
    throw new IdxError(
      file,
      `IDX type ${hex(type)} (${TYPE_NAMES[type] ?? 'unknown'}); only unsigned bytes (08) are read`
    )
  const n = raw[3]
  if (n === 0) throw new IdxError(file, 'IDX header declares 0 dimensions')
  if (rank !== undefined && n !== rank) throw new IdxError(file, `IDX array of rank ${n}, expected rank ${rank}`)
  const header = 4 + 4 * n
  if (raw.length < header)
    throw new IdxError(file, `truncated header: ${raw.length} bytes, the ${n} dimensions need ${header}`)
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const dims = Array.from({ length: n }, (_, i) => view.getUint32(4 + 4 * i, false))
  const expected = dims.reduce((a, b) => a * b, 1)
  const got = raw.length - header
  if (got !== expected) {
    throw new IdxError(
      file,
      `${got < expected ? 'truncated' : 'trailing bytes'}: dimensions [${dims.join(', ')}] need ${expected} bytes of data, the file has ${got}`
    )
  }
  return { dims, data: raw.subarray(header) }
}

/** Reads and decodes an IDX file (gzipped or not). @throws IdxError naming the file */
export const readIdx = (file: string, rank?: number): Idx => {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (e) {
    throw new IdxError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  return parseIdx(bytes, file, rank)
}

/** Encodes bytes as an IDX ubyte array (for tests and for writing subsets). */
export const encodeIdx = (dims: ReadonlyArray<number>, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 + 4 * dims.length + data.length)
  const view = new DataView(out.buffer)
  out[2] = UBYTE
  out[3] = dims.length
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false))
  out.set(data, 4 + 4 * dims.length)
  return out
}

const hex = (b: number | undefined): string => (b === undefined ? '??' : b.toString(16).padStart(2, '0'))
