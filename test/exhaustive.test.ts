/**
 * Adding a tag to the algebra breaks the build in every interpreter, codec and generator: each
 * probe adds one tag to `Loss` (a leaf, or a combinator), `Expr` or `Schedule` in memory, and
 * type-checks the sources with the TypeScript compiler. Nothing may compile silently (a `default:` branch, a cast, a generator
 * that never produces the new tag).
 */
import assert from 'node:assert/strict'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The modules that interpret, decode or generate terms; tsc follows their imports. */
const entries = [
  'src/core/index.ts',
  'src/codec/index.ts',
  'src/compile/term.ts',
  'src/report/equilibrium.ts',
  'playground/src/terms.ts',
  'laws/arbitraries.ts'
]

interface Probe {
  /** The file whose union gets a new member, and the union's declaration in it. */
  readonly file: string
  readonly union: string
  /** The new member, declared above the union. */
  readonly member: string
  /** Every file that must then fail to compile. */
  readonly breaks: ReadonlyArray<string>
}

const probes: Readonly<Record<string, Probe>> = {
  'a leaf term': {
    file: 'src/core/loss/model.ts',
    union: 'Leaf',
    member: "export interface Probe { readonly _tag: 'Probe'; readonly critic: string; readonly sample: Expr }",
    breaks: [
      'src/core/loss/model.ts',
      'src/core/loss/key.ts',
      'src/core/loss/traversals.ts',
      'src/core/Show.ts',
      'src/codec/term.ts',
      'src/compile/term.ts',
      'src/report/equilibrium.ts',
      'playground/src/terms.ts',
      'laws/arbitraries.ts'
    ]
  },
  'a combinator': {
    file: 'src/core/loss/model.ts',
    union: 'Loss',
    member: "export interface Probe { readonly _tag: 'Probe'; readonly term: Loss }",
    breaks: [
      'src/core/loss/model.ts',
      'src/core/loss/key.ts',
      'src/core/loss/normalForm.ts',
      'src/core/loss/traversals.ts',
      'src/core/Show.ts',
      'src/codec/term.ts',
      'src/compile/term.ts',
      'src/report/equilibrium.ts',
      'laws/arbitraries.ts'
    ]
  },
  'an expression': {
    file: 'src/core/Expr.ts',
    union: 'Expr',
    member: "export interface Probe { readonly _tag: 'Probe'; readonly expr: Expr }",
    breaks: [
      'src/core/Expr.ts',
      'src/core/Show.ts',
      'src/core/Check.ts',
      'src/codec/term.ts',
      'src/compile/term.ts',
      'laws/arbitraries.ts'
    ]
  },
  'a schedule': {
    file: 'src/core/Schedule.ts',
    union: 'Schedule',
    member: "export interface Probe { readonly _tag: 'Probe'; readonly value: number }",
    breaks: ['src/core/Schedule.ts', 'src/codec/term.ts', 'laws/arbitraries.ts']
  }
}

/** Adds `member` to `export type U = …` by renaming the old union and taking the union of both. */
const addMember = (source: string, p: Probe): string => {
  const declaration = `export type ${p.union} =`
  assert.ok(source.includes(declaration), `${p.file} declares ${declaration}`)
  return source.replace(
    declaration,
    `${p.member}\nexport type ${p.union} = Probe | ${p.union}BeforeProbe\ntype ${p.union}BeforeProbe =`
  )
}

interface Diagnostic {
  readonly file: string
  readonly code: string
  readonly text: string
}

const config = ts.getParsedCommandLineOfConfigFile(
  join(root, 'tsconfig.json'),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  }
)!
const options: ts.CompilerOptions = { ...config.options, noEmit: true }
let previous: ts.Program | undefined

/**
 * Type-checks the sources with one probe applied (in memory: the working tree is not touched), and
 * returns every error. Each program reuses the previous one's unchanged files.
 */
const typecheck = (probe?: Probe): ReadonlyArray<Diagnostic> => {
  const patched = probe === undefined ? undefined : join(root, probe.file)
  const host = ts.createCompilerHost(options)
  const read = host.readFile.bind(host)
  host.readFile = (f) => (f === patched ? addMember(read(f)!, probe!) : read(f))
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (f, language, onError, fresh) =>
    f === patched ? ts.createSourceFile(f, host.readFile(f)!, language) : getSourceFile(f, language, onError, fresh)
  const program = ts.createProgram({
    rootNames: entries.map((e) => join(root, e)),
    options,
    host,
    oldProgram: previous
  })
  previous = program
  return ts.getPreEmitDiagnostics(program).map((d) => ({
    file: d.file === undefined ? '' : relative(root, d.file.fileName),
    code: `TS${d.code}`,
    text: ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 300)
  }))
}

describe('adding a tag breaks the build wherever the algebra is interpreted', () => {
  it('the unchanged sources type-check', () => {
    assert.deepEqual(typecheck(), [])
  })
  for (const [name, probe] of Object.entries(probes)) {
    it(`${name}: every interpreter, codec and generator fails to compile`, (t) => {
      const errors = typecheck(probe)
      for (const e of errors) t.diagnostic(`${e.file} ${e.code} ${e.text}`)
      // the probe itself is well-formed: no syntax errors where it was added
      assert.deepEqual(
        errors.filter((e) => e.code.startsWith('TS1')),
        []
      )
      const broken = new Set(errors.map((e) => e.file))
      assert.deepEqual(
        probe.breaks.filter((f) => !broken.has(f)),
        [],
        'files that still compile with the new tag'
      )
    })
  }
})
