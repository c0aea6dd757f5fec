import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { repoRoot } from '../helper.js'

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'))

t.test('the top level is laid out as the product asks', async (t) => {
  for (const folder of ['core', 'plugins', 'views', 'config', 'migrations', 'test', 'bench', 'docs', '.ci']) {
    t.ok(existsSync(join(repoRoot, folder)) && statSync(join(repoRoot, folder)).isDirectory(), `${folder}/`)
  }
  for (const file of ['Dockerfile', 'docker-compose.yml', 'package.json', 'tsconfig.json', 'README.md', '.ci/run']) {
    t.ok(existsSync(join(repoRoot, file)), file)
  }
  for (const dialect of ['sqlite', 'postgresql']) t.ok(readdirSync(join(repoRoot, 'migrations', dialect)).length > 0, `migrations/${dialect}`)
})

t.test('TypeScript strict, ES modules, every dependency pinned exactly', async (t) => {
  t.equal(pkg.type, 'module')
  t.equal(JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')).compilerOptions.strict, true)
  const all = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>
  for (const [name, version] of Object.entries(all)) t.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned (${version})`)
  for (const name of Object.keys(all).filter((n) => n.startsWith('@mikro-orm/'))) t.equal(all[name], '6.6.16', name)
  t.match(all.typescript, /^5\.9\.\d+$/)
})

t.test('every message key used in a template exists in the English catalogue', async (t) => {
  const { default: messages } = await import('../../core/messages/en.js')
  const templates = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? templates(path) : path.endsWith('.hbs') ? [path] : []
    })
  for (const file of templates(join(repoRoot, 'views'))) {
    for (const [, key] of readFileSync(file, 'utf8').matchAll(/\{\{t "([^"]+)"/g)) {
      t.ok(key in messages, `${key} (${file.slice(repoRoot.length + 1)})`)
    }
  }
})

t.test('no page or stylesheet refers to another host', async (t) => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : [path]
    })
  for (const file of files(join(repoRoot, 'views')).filter((f) => /\.(hbs|css|svg)$/.test(f))) {
    const text = readFileSync(file, 'utf8').replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')
    t.notMatch(text, /https?:\/\/|@import|url\(\s*['"]?\/\//, file.slice(repoRoot.length + 1))
  }
})
