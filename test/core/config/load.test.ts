import { spawnSync } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { configurationMarkdown, coreSettingRows, pluginSettingRows } from '../../../core/config/docs.js'
import { ConfigError, loadConfig } from '../../../core/config/load.js'
import { resolveSecret } from '../../../core/config/secret.js'
import { builtInPlugins, discoverPlugins } from '../../../core/host/discover.js'
import { childEnv, repoRoot, tempDir, tsxLoader } from '../../helper.js'

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

t.test('defaults need no setup at all', async (t) => {
  const { config, file } = loadConfig({}, tempDir(t))
  t.equal(config.port, 3000)
  t.equal(config.databaseUrl, 'sqlite:./data/kaiku.db')
  t.equal(config.dataDir, './data')
  t.equal(config.plugins, '')
  t.equal(config.publicUrl, 'http://localhost:3000')
  t.equal(config.viewCache, true)
  t.notOk(file)
})

t.test('environment variables are typed and win over the config file', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'kaiku.json'), JSON.stringify({ port: 4000, logLevel: 'warn', pluginConfig: { polls: { max: 3 } } }))
  const { config, pluginConfig, file } = loadConfig({ KAIKU_CONFIG: 'kaiku.json', PORT: '5000', KAIKU_VIEW_CACHE: 'false' }, dir)
  t.equal(config.port, 5000)
  t.equal(config.logLevel, 'warn', 'from the file')
  t.equal(config.viewCache, false)
  t.same(pluginConfig, { polls: { max: 3 } })
  t.equal(file, join(dir, 'kaiku.json'))
})

t.test('a wrong value is one line naming the variable, the problem and what is expected', async (t) => {
  const dir = tempDir(t)
  t.same(problemsOf(() => loadConfig({ PORT: 'abc' }, dir)), ["PORT: 'abc' is not valid; expected a whole number from 0 to 65535"])
  t.same(problemsOf(() => loadConfig({ PORT: '70000', LOG_LEVEL: 'loud' }, dir)), [
    "PORT: '70000' is not valid; expected a whole number from 0 to 65535",
    "LOG_LEVEL: 'loud' is not valid; expected one of fatal, error, warn, info, debug, trace, silent"
  ])
  t.same(problemsOf(() => loadConfig({ DATABASE_URL: 'mysql://x' }, dir)), [
    'DATABASE_URL: the given value is not valid; expected sqlite:PATH or postgres://…'
  ], 'secret-bearing values are not echoed')
  t.same(problemsOf(() => loadConfig({ KAIKU_PUBLIC_URL: 'ftp://x' }, dir)), [
    "KAIKU_PUBLIC_URL: 'ftp://x' is not valid; expected an http(s) URL without a path, e.g. https://kaiku.example.com"
  ])
  t.same(problemsOf(() => loadConfig({ KAIKU_SECRET: 'short' }, dir)), [
    'KAIKU_SECRET: the given value is not valid; expected text of at least 32 characters'
  ])
  t.same(problemsOf(() => loadConfig({ KAIKU_TRUST_PROXY: 'true' }, dir)), [
    "KAIKU_TRUST_PROXY: 'true' is not valid; expected a comma-separated list of IP addresses or CIDR ranges"
  ])
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ prot: 1 }))
  t.match(problemsOf(() => loadConfig({ KAIKU_CONFIG: 'bad.json' }, dir)), [/bad.json: unknown setting 'prot'/])
  writeFileSync(join(dir, 'broken.json'), '{ nope')
  t.match(problemsOf(() => loadConfig({ KAIKU_CONFIG: 'broken.json' }, dir)), [/KAIKU_CONFIG: cannot read .*broken.json as JSON/])
  t.match(problemsOf(() => loadConfig({ KAIKU_CONFIG: 'missing.json' }, dir)), [/KAIKU_CONFIG: no file at/])
})

t.test('the server refuses to start on a wrong value, with a non-zero exit and one line', async (t) => {
  const result = spawnSync(process.execPath, ['--import', tsxLoader, join(repoRoot, 'core/server.ts')], {
    cwd: tempDir(t),
    env: childEnv({ PORT: 'abc' }),
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(result.status, 1)
  t.equal(result.stderr.trim(), "kaiku: PORT: 'abc' is not valid; expected a whole number from 0 to 65535")
})

t.test('the secret: generated once over http, required over https', async (t) => {
  const dir = tempDir(t)
  const { config } = loadConfig({ KAIKU_DATA_DIR: 'store' }, dir)
  const first = resolveSecret(config, dir)
  t.ok(first.length >= 32)
  t.equal(resolveSecret(config, dir), first, 'kept in the data folder and reused')
  t.equal(statSync(join(dir, 'store', 'secret')).mode & 0o777, 0o600, 'readable by the owner only')
  const https = loadConfig({ KAIKU_PUBLIC_URL: 'https://kaiku.example.com' }, dir).config
  t.match(problemsOf(() => resolveSecret(https, dir)), [/^KAIKU_SECRET: missing; required when KAIKU_PUBLIC_URL is https/])
  const given = loadConfig({ KAIKU_PUBLIC_URL: 'https://kaiku.example.com', KAIKU_SECRET: 'x'.repeat(40) }, dir).config
  t.equal(resolveSecret(given, dir), 'x'.repeat(40))
})

t.test('docs/configuration.md is generated from the schemas and up to date', async (t) => {
  const plugins = await discoverPlugins(builtInPlugins().join(','))
  const expected = configurationMarkdown(
    coreSettingRows(),
    plugins.map(({ manifest }) => ({ name: manifest.name, rows: pluginSettingRows(manifest.name, manifest.config) }))
  )
  const actual = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8')
  t.equal(actual.trim(), expected.trim(), 'stale: run `npm run docs:config`')
  for (const row of coreSettingRows()) t.ok(row.description, `${row.env} is described`)
})
