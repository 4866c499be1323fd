#!/usr/bin/env node
// Builds the oneDNN addon (native/) for the `native` tfjs backend. Run by `npm install` (the
// package's `install` script) and by `npm run setup:native`.
//
// Without oneDNN's headers, or when the build fails, it prints one line and exits 0, so a plain
// `npm install` never fails: the backend then falls back to wasm at run time. Pass `--required`
// (setup-native.sh does) to exit 1 instead. LOSS_ALGEBRA_NO_NATIVE=1 skips the build (and
// disables the native backend at run time).
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const nativeDir = join(root, 'native')
const required = process.argv.includes('--required')
const verbose = required || process.argv.includes('--verbose') || process.env.LOSS_ALGEBRA_NATIVE_VERBOSE === '1'

const HEADERS = [
  '/usr/include/oneapi/dnnl/dnnl.hpp',
  '/usr/include/dnnl.hpp',
  '/usr/local/include/oneapi/dnnl/dnnl.hpp'
]

function skip(why) {
  console.log(`loss-algebra: ${why}; native backend skipped, falling back to wasm (run npm run setup:native)`)
  process.exit(required ? 1 : 0)
}

if (process.env.LOSS_ALGEBRA_NO_NATIVE === '1') {
  console.log('loss-algebra: LOSS_ALGEBRA_NO_NATIVE=1; native backend skipped, falling back to wasm')
  process.exit(0)
}
if (!HEADERS.some((h) => existsSync(h))) skip('oneDNN not found (no dnnl.hpp)')

const require = createRequire(join(root, 'package.json'))
try {
  require.resolve('node-addon-api')
} catch {
  skip('node-addon-api is not installed')
}

// node-gyp: the one npm hands to lifecycle scripts, else a local install, else the copy bundled
// with npm, else one on PATH.
function nodeGypCommand() {
  const candidates = []
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp)
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'))
  } catch {
    /* not installed locally */
  }
  const npmPrefix = resolve(dirname(process.execPath), '..')
  candidates.push(join(npmPrefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  candidates.push(
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  )
  for (const c of candidates) {
    if (existsSync(c)) return { cmd: process.execPath, args: [c] }
  }
  const which = spawnSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' })
  if (which.status === 0 && which.stdout.trim() !== '') return { cmd: which.stdout.trim(), args: [] }
  return null
}

const gyp = nodeGypCommand()
if (gyp === null) skip('node-gyp not found')

// Use the installed node's own headers when they are there (no download; machines may be offline).
const args = [...gyp.args, 'rebuild']
if (!process.env.npm_config_nodedir) {
  const prefix = resolve(dirname(process.execPath), '..')
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`)
}

const started = Date.now()
const r = spawnSync(gyp.cmd, args, { cwd: nativeDir, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' })
if (r.status !== 0) {
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`
    .trim()
    .split('\n')
    .filter((l) => /error/i.test(l))
    .slice(-3)
    .join(' | ')
  rmSync(join(nativeDir, 'build'), { recursive: true, force: true })
  skip(`native build failed${log ? ` (${log.slice(0, 300)})` : ''}`)
}

// Check that the addon loads (libdnnl.so present at run time, not just its headers).
try {
  const addon = require(join(nativeDir, 'build', 'Release', 'loss_algebra_native.node'))
  const info = addon.info()
  console.log(
    `loss-algebra: native backend built (oneDNN ${info.version}, ${((Date.now() - started) / 1000).toFixed(1)} s)`
  )
} catch (e) {
  rmSync(join(nativeDir, 'build'), { recursive: true, force: true })
  skip(`native addon does not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`)
}
