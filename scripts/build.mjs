#!/usr/bin/env node
// Builds the package's ESM JavaScript and type declarations into dist/ (run by `npm run build` and
// before `npm pack`): tsc with tsconfig.build.json rewrites the sources' relative `.ts` imports to
// `.js` in the JavaScript; declarations keep `.ts` specifiers, so they are rewritten here too, so that
// a consumer's TypeScript resolves them to the emitted `.d.ts` files. fp-ts 2 has no `exports` map and
// its `fp-ts/Either` is a folder, which Node's ESM loader refuses (tsx accepts it): the JavaScript
// imports its CommonJS modules by file (`fp-ts/lib/Either.js`). `--clean` empties dist/ first.
import { spawnSync } from 'node:child_process'
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
if (process.argv.includes('--clean')) rmSync(dist, { recursive: true, force: true })

const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (r.status !== 0) {
  console.error('build: tsc failed; dist/ is incomplete')
  process.exit(r.status ?? 1)
}

const specifier = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g
const fpTs = /((?:from|import)\s*\(?\s*['"])fp-ts\/([A-Za-z]+)(['"])/g
const counts = { declarations: 0, fpTs: 0 }
const rewrite = (path, f, key) => {
  const text = readFileSync(path, 'utf8')
  const out = f(text)
  if (out !== text) {
    writeFileSync(path, out)
    counts[key]++
  }
}
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path)
    else if (entry.name.endsWith('.d.ts'))
      rewrite(path, (t) => t.replace(specifier, (_, a, p, b) => `${a}${p}.js${b}`), 'declarations')
    else if (entry.name.endsWith('.js'))
      rewrite(path, (t) => t.replace(fpTs, (_, a, m, b) => `${a}fp-ts/lib/${m}.js${b}`), 'fpTs')
  }
}
walk(dist)

// CommonJS files the sources load by path (the wasm backend's pthread worker) are not tsc's to emit
const copied = []
const copyCjs = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) copyCjs(path)
    else if (entry.name.endsWith('.cjs')) {
      const to = join(dist, path.slice(join(root, 'src').length))
      copyFileSync(path, to)
      copied.push(to.slice(root.length + 1))
    }
  }
}
copyCjs(join(root, 'src'))
console.log(
  `build: dist/ written (imports rewritten: ${counts.declarations} declaration files to .js, ${counts.fpTs} modules to fp-ts/lib; copied ${copied.join(', ') || 'no .cjs files'})`
)
