#!/usr/bin/env node
/**
 * The playground: `node scripts/playground.mjs` builds playground/ into playground/dist/ and serves it
 * on localhost; `--build-only` only builds; `--port N` picks the port (default 8080; 0 for any free one).
 * The build is a static folder (page, bundle, KaTeX fonts, tfjs wasm binaries) that can be published as it is.
 */
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as esbuild from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const PLAYGROUND = join(root, 'playground')
export const DIST = join(PLAYGROUND, 'dist')

/**
 * Node's built-in modules, as an empty module. The experiment registry lists every data kind; the image
 * kinds read files and the classifier metrics cache to disk, through modules loaded only when such a
 * run starts. The page trains the 2-D kinds alone, so those paths never run in it; the stub lets the
 * bundle hold the shared registry unchanged.
 */
const NODE_BUILTINS =
  /^(node:.*|assert|buffer|child_process|crypto|events|fs|module|os|path|readline|stream|tty|url|util|worker_threads|zlib)$/
const nodeStub = {
  name: 'node-builtins-stub',
  setup(b) {
    b.onResolve({ filter: NODE_BUILTINS }, (a) => ({ path: a.path, namespace: 'node-stub' }))
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {}', loader: 'js' }))
  }
}

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']

/** Builds the page into `out`; returns the bundle's size in bytes. */
export const build = async (out = DIST, o = { minify: true }) => {
  await rm(out, { recursive: true, force: true })
  await mkdir(join(out, 'wasm'), { recursive: true })
  const result = await esbuild.build({
    entryPoints: { main: join(PLAYGROUND, 'src', 'main.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: o.minify,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    // KaTeX's fonts travel with the page (no CDN)
    loader: { '.woff2': 'file', '.woff': 'file', '.ttf': 'file' },
    assetNames: 'fonts/[name]-[hash]',
    // tfjs reads process.env in places; the page has no process
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [nodeStub]
  })
  const require = createRequire(import.meta.url)
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))
  await Promise.all(WASM_FILES.map((f) => copyFile(join(wasmDir, f), join(out, 'wasm', f))))
  await copyFile(join(PLAYGROUND, 'index.html'), join(out, 'index.html'))
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([f]) => f.endsWith('.js'))
    .reduce((s, [, v]) => s + v.bytes, 0)
  return { bytes }
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png'
}

/**
 * Serves `dir` on 127.0.0.1 with the cross-origin isolation headers threaded wasm needs.
 * Resolves to the server and its URL.
 */
export const serve = (dir = DIST, port = 8080) =>
  new Promise((done, fail) => {
    const base = resolve(dir)
    const server = createServer(async (req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path))
      const headers = {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cache-Control': 'no-cache'
      }
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403, headers).end('forbidden')
        return
      }
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a file')
        const body = await readFile(file)
        res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body)
      } catch {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${path}`)
      }
    })
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      done({ server, url: `http://127.0.0.1:${address.port}/` })
    })
  })

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--port')
  const port = at >= 0 ? Number(args[at + 1]) : 8080
  const t0 = performance.now()
  const { bytes } = await build()
  console.log(
    `playground: built ${DIST} (${(bytes / 1e6).toFixed(1)} MB of script) in ${((performance.now() - t0) / 1000).toFixed(1)} s`
  )
  if (!args.includes('--build-only')) {
    const { url } = await serve(DIST, port)
    console.log(`playground: serving on ${url} (Ctrl-C stops)`)
  }
}
