/**
 * The doc comments' `@example`s (what the API reference shows) run as tests: every example under
 * src/core and src/report is evaluated with the library's exports in scope, plus the convention the
 * examples share, `G`, `E`, `D`, `C`, `J` applying the net of that name. A comment holding a literal
 * right after an expression is its expected value (`// '10·mean|x − G(E(x))|'` or `// => 0`).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'

import { transformSync } from 'esbuild'

import * as core from '../src/core/index.ts'
import * as report from '../src/report/index.ts'

const root = resolve(import.meta.dirname, '..')

export interface Example {
  readonly file: string
  readonly line: number
  readonly code: ReadonlyArray<string>
}

/** Every `@example` block of the doc comments in `dirs`, with its file and line. */
export const collectExamples = (dirs: ReadonlyArray<string>): Array<Example> => {
  const files = dirs
    .flatMap((d) => readdirSync(join(root, d), { recursive: true, encoding: 'utf8' }).map((f) => join(root, d, f)))
    .filter((f) => f.endsWith('.ts'))
  const out: Array<Example> = []
  for (const file of files.sort()) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const lines = m[0].split('\n').map((l) => l.replace(/^\s*\/?\*\*?\/?\s?/, '').replace(/\s*\*\/$/, ''))
      const start = text.slice(0, m.index).split('\n').length
      lines.forEach((l, i) => {
        if (!/^@example\b/.test(l)) return
        const code: Array<string> = []
        const inline = l.replace(/^@example\s*/, '')
        if (inline !== '') code.push(inline)
        for (let j = i + 1; j < lines.length && !/^@\w/.test(lines[j]); j++) code.push(lines[j])
        while (code.length > 0 && code[code.length - 1].trim() === '') code.pop()
        out.push({ file: relative(root, file), line: start + i, code })
      })
    }
  }
  return out
}

const apply = core.apply
const scope: Record<string, unknown> = {
  ...core,
  ...report,
  G: (x: core.Expr.Expr) => apply('G', x),
  E: (x: core.Expr.Expr) => apply('E', x),
  D: (x: core.Expr.Expr) => apply('D', x),
  C: (x: core.Expr.Expr) => apply('C', x),
  J: (x: core.Expr.Expr) => apply('J', x)
}

/** The value of a comment that is a literal (`// 'text'`, `// => 3`, `// [1, 2]`), or undefined. */
const literal = (line: string): { value: unknown } | undefined => {
  const m = /^\s*\/\/\s*(?:=>\s*)?(.+)$/.exec(line)
  if (m === null) return undefined
  try {
    return { value: new Function(`return (${m[1]})`)() }
  } catch {
    return undefined
  }
}

/** Runs statements (TypeScript) with the scope, returning the value of `result` when given. */
const evaluate = async (statements: ReadonlyArray<string>, result?: string): Promise<unknown> => {
  const body = `const __example = async () => {\n${statements.join('\n')}\n${result === undefined ? '' : `return (${result.replace(/;\s*$/, '')})`}\n}`
  const js = transformSync(body, { loader: 'ts' }).code
  const names = Object.keys(scope).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k))
  return new Function(...names, `${js}\nreturn __example()`)(...names.map((k) => scope[k]))
}

/** Runs an example: each expression followed by a literal comment must equal it; the rest must not throw. */
export const runExample = async (e: Example): Promise<number> => {
  const done: Array<string> = []
  let pending: Array<string> = []
  let checked = 0
  for (const line of e.code) {
    const expected = pending.some((l) => l.trim() !== '') ? literal(line) : undefined
    if (expected !== undefined) {
      // the expression is the longest tail of the pending lines that parses as one; the lines before are statements
      const parses = (code: string): boolean => {
        try {
          transformSync(code, { loader: 'ts' })
          return true
        } catch {
          return false
        }
      }
      const cut = pending.findIndex(
        (_, i) =>
          parses(`(${pending.slice(i).join('\n').replace(/;\s*$/, '')})`) && parses(pending.slice(0, i).join('\n'))
      )
      assert.ok(cut >= 0, `${e.file}:${e.line}: no expression before the stated result ${line.trim()}`)
      const actual = await evaluate([...done, ...pending.slice(0, cut)], pending.slice(cut).join('\n'))
      assert.deepEqual(actual, expected.value, `${e.file}:${e.line}: ${pending.join(' ').trim()}`)
      checked++
      done.push(...pending.map((l) => (l.trim() === '' ? l : `;${l}`)))
      pending = []
    } else if (!/^\s*\/\//.test(line)) pending.push(line)
  }
  if (pending.some((l) => l.trim() !== '')) await evaluate([...done, ...pending])
  return checked
}

describe('the doc comments’ @examples', () => {
  const examples = collectExamples(['src/core', 'src/report'])

  it('there are examples to run, in the algebra and the reports', () => {
    assert.ok(examples.filter((e) => e.file.startsWith('src/core')).length >= 4, `found ${examples.length}`)
    assert.ok(examples.some((e) => e.file.startsWith('src/report')))
    assert.ok(
      examples.some((e) => e.code.some((l) => literal(l) !== undefined)),
      'no example states a result'
    )
  })

  for (const e of examples) {
    it(`${e.file}:${e.line}  ${
      e.code
        .find((l) => !/^\s*\/\//.test(l))
        ?.trim()
        .slice(0, 70) ?? ''
    }`, async () => {
      await runExample(e)
    })
  }

  it('an example whose stated result is wrong, or that throws, fails', async () => {
    await assert.rejects(runExample({ file: 'x.ts', line: 1, code: ['showUnicode(zero)', "// '1'"] }), /x\.ts:1/)
    assert.equal(
      await runExample({
        file: 'x.ts',
        line: 1,
        code: ['const k = 2', 'k + 1', '// => 3', 'showUnicode(zero)', "// '0'"]
      }),
      2
    )
    await assert.rejects(runExample({ file: 'x.ts', line: 1, code: ['chunk(data, 3, 2)'] }), RangeError)
  })
})
