/**
 * tfjs backends in the browser: `webgl` first (a software context such as SwiftShader is allowed and
 * named), then `wasm` (its binaries served next to the page, with the project's training kernels),
 * then `cpu`.
 */
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'

import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels.ts'
import type { BackendWish } from './state.ts'

export interface BackendInfo {
  readonly name: string
  /** What runs it: the WebGL renderer, wasm's SIMD and threads, or plain JavaScript. */
  readonly detail: string
  /** Backends tried first and why they were passed over. */
  readonly skipped: ReadonlyArray<string>
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i

const webglRenderer = (): string => {
  try {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl: WebGLRenderingContext } }).gpgpu?.gl
    if (gl === undefined) return 'WebGL'
    const ext = gl.getExtension('WEBGL_debug_renderer_info')
    const r = String(ext !== null ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER))
    const soft = SOFTWARE.test(r)
    const short = /SwiftShader/i.test(r) ? 'SwiftShader' : r.replace(/^ANGLE \((.*)\)$/, '$1').slice(0, 60)
    return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}, ${short}${soft ? ' (software)' : ''}`
  } catch {
    return 'WebGL'
  }
}

let wasmReady = false
const prepareWasm = (): void => {
  if (wasmReady) return
  setWasmPaths(new URL('wasm/', document.baseURI).href)
  registerWasmTrainingKernels()
  wasmReady = true
}

const detailOf = (name: string): string => {
  switch (name) {
    case 'webgl':
      return webglRenderer()
    case 'wasm':
      return `WebAssembly${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ' SIMD' : ''}${
        tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') && globalThis.crossOriginIsolated ? ', threads' : ''
      }`
    default:
      return 'plain JavaScript'
  }
}

/** Whether this browser's WebGL runs on a GPU: false where a software rasteriser (SwiftShader, llvmpipe) serves it. */
const hardwareWebgl = (): boolean => {
  const canvas = document.createElement('canvas')
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl')
  if (gl === null) return false
  const ext = gl.getExtension('WEBGL_debug_renderer_info')
  const renderer = String(ext !== null ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER))
  gl.getExtension('WEBGL_lose_context')?.loseContext()
  return !SOFTWARE.test(renderer)
}

/**
 * Sets the wished backend, else the first that starts and runs `probe` (one small step). `auto`:
 * webgl on a GPU, then wasm, then webgl on a software rasteriser, then cpu.
 */
export const startBackend = async (wish: BackendWish, probe: () => Promise<void>): Promise<BackendInfo> => {
  // a software WebGL context (SwiftShader, no GPU) is still WebGL: allowed, and named on the page
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true)
  const gpu = hardwareWebgl()
  const order =
    wish === 'auto'
      ? gpu
        ? ['webgl', 'wasm', 'cpu']
        : ['wasm', 'webgl', 'cpu']
      : [wish, ...['webgl', 'wasm', 'cpu'].filter((b) => b !== wish)]
  const skipped: Array<string> =
    wish === 'auto' && !gpu ? ['webgl: no GPU, only a software rasteriser (slower than wasm here)'] : []
  for (const name of order) {
    try {
      if (name === 'wasm') prepareWasm()
      if (!(await tf.setBackend(name))) throw new Error('did not start')
      await tf.ready()
      await probe()
      return { name, detail: detailOf(name), skipped }
    } catch (e) {
      skipped.push(`${name}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`)
    }
  }
  throw new Error(`no backend could run the game: ${skipped.join('; ')}`)
}
