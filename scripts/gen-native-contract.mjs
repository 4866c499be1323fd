#!/usr/bin/env node
// Generates both sides of the native boundary from native/contract.json:
//   src/backend/native-contract.ts  (TypeScript: code tables and parameter packers)
//   native/src/contract.h           (C++: enums and parameter indices)
// `--check`: write nothing, exit 1 naming the stale files (run by test/kernels-contract.test.ts).
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// `--root <dir>`: another checkout (tests use a copy)
const rootArg = process.argv.indexOf('--root')
const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..')
const contract = JSON.parse(readFileSync(join(root, 'native', 'contract.json'), 'utf8'))
const HEADER = 'Generated from native/contract.json by scripts/gen-native-contract.mjs: do not edit.'

const upperSnake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
const cap = (s) => s[0].toUpperCase() + s.slice(1)

const ts = () => {
  const out = [`// ${HEADER}`, '']
  for (const [name, values] of Object.entries(contract.enums)) {
    out.push(`export const ${name} = {`)
    values.forEach((v, i) => out.push(`  ${v}: ${i},`))
    out.push('} as const')
    out.push(`export type ${name} = (typeof ${name})[keyof typeof ${name}]`, '')
  }
  out.push(`/** Binary ops from this code on write a Uint8Array (bool). */`)
  out.push(`export const FIRST_BOOL_BINARY_OP = BinaryOp.${contract.firstBoolBinaryOp}`, '')
  for (const [name, fields] of Object.entries(contract.params)) {
    out.push(`export type ${name}s = Readonly<Record<${fields.map((f) => `'${f}'`).join(' | ')}, number>>`)
    out.push(`export const ${upperSnake(name)}_COUNT = ${fields.length}`)
    out.push(`/** The addon's ${name} array, in the contract's order. */`)
    out.push(
      `export const pack${name}s = (p: ${name}s): Int32Array => Int32Array.of(${fields.map((f) => `p.${f}`).join(', ')})`,
      ''
    )
  }
  return out.join('\n')
}

const cc = () => {
  const out = [`// ${HEADER}`, '#pragma once', '', 'namespace contract {', '']
  for (const [name, values] of Object.entries(contract.enums)) {
    out.push(`enum ${name} : int {`)
    values.forEach((v, i) => out.push(`  k${name}${cap(v)} = ${i},`))
    out.push('};', '')
  }
  out.push(`constexpr int kFirstBoolBinaryOp = kBinaryOp${cap(contract.firstBoolBinaryOp)};`, '')
  for (const [name, fields] of Object.entries(contract.params)) {
    out.push(`enum ${name} : int {`)
    fields.forEach((f, i) => out.push(`  k${name === 'MatmulParam' ? 'Mm' : 'Conv'}${cap(f)} = ${i},`))
    out.push('};')
    out.push(`constexpr int k${name}Count = ${fields.length};`, '')
  }
  out.push('}  // namespace contract', '')
  return out.join('\n')
}

const files = [
  [join(root, 'src', 'backend', 'native-contract.ts'), ts()],
  [join(root, 'native', 'src', 'contract.h'), cc()]
]
const check = process.argv.includes('--check')
const stale = []
for (const [path, text] of files) {
  let current = null
  try {
    current = readFileSync(path, 'utf8')
  } catch {}
  if (current === text) continue
  if (check) stale.push(path.slice(root.length + 1))
  else writeFileSync(path, text)
}
if (stale.length > 0) {
  console.error(
    `stale native contract: ${stale.join(', ')} differ from native/contract.json; run node scripts/gen-native-contract.mjs`
  )
  process.exit(1)
}
