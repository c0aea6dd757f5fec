import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { repoRoot } from '../../helper.js'

/** The ```ts blocks of docs/plugins.md, each a module of its own. */
function examples(): string[] {
  const text = readFileSync(join(repoRoot, 'docs', 'plugins.md'), 'utf8')
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1])
}

t.test('every example in docs/plugins.md compiles against the plugin API', async (t) => {
  const blocks = examples()
  t.ok(blocks.length >= 10, `${blocks.length} examples`)
  // Inside the project, so the examples resolve fastify and the rest from its node_modules.
  const dir = mkdtempSync(join(repoRoot, 'test', 'fixtures', '.docs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  const files = blocks.map((block, index) => {
    const file = join(dir, `example-${index + 1}.ts`)
    writeFileSync(file, block)
    return file
  })
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    types: ['node'],
    typeRoots: [join(repoRoot, 'node_modules', '@types')],
    baseUrl: repoRoot,
    paths: { kaiku: ['core/api.ts'], 'kaiku/plugin-api': ['core/plugin-api.ts'] }
  })
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.includes(d.file.fileName))
    .map((d) => `${d.file!.fileName.replace(dir + '/', '')}:${d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
  t.same(problems, [], 'no type errors in the examples')
})
