import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { builtInPlugins, discoverPlugins, PluginError } from '../../../core/host/discover.js'
import { orderPlugins, personalDataOf, preparePlugins } from '../../../core/host/prepare.js'
import { definePlugin, PLUGIN_API_VERSION, type PersonalDataDeclaration, type PluginManifest } from '../../../core/host/manifest.js'
import { childEnv, fixturePlugin, repoRoot, tempDir, tsxLoader } from '../../helper.js'

const plugin = (name: string, extra: Partial<PluginManifest> = {}): PluginManifest => ({ name, version: '1.0.0', api: '^1.0.0', ...extra })
const discovered = (...manifests: PluginManifest[]) => manifests.map((manifest) => ({ spec: manifest.name, manifest }))
const refusal = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    if (error instanceof PluginError) return error.message
    throw error
  }
  return 'no error'
}

t.test('plugins are ordered by what they require, not by name or list order', async (t) => {
  const ordered = orderPlugins([
    plugin('analytics', { requires: ['sharing'] }),
    plugin('sharing', { requires: ['feeds', 'auth'] }),
    plugin('auth', { requires: ['tenancy'] }),
    plugin('feeds', { requires: ['auth'] }),
    plugin('tenancy')
  ])
  t.same(
    ordered.map((p) => p.name),
    ['tenancy', 'auth', 'feeds', 'sharing', 'analytics']
  )
})

t.test('the host refuses to boot, naming the plugin, for each broken manifest', async (t) => {
  t.equal(
    refusal(() => preparePlugins(discovered(plugin('feeds', { requires: ['auth'] })), {}, {})),
    "plugin feeds: requires 'auth', which is not loaded (add it to KAIKU_PLUGINS)"
  )
  t.equal(
    refusal(() => preparePlugins(discovered(plugin('alpha', { requires: ['beta'] }), plugin('beta', { requires: ['gamma'] }), plugin('gamma', { requires: ['alpha'] })), {}, {})),
    'plugin alpha: requirement cycle: alpha → beta → gamma → alpha'
  )
  t.equal(
    refusal(() => preparePlugins(discovered(plugin('polls', { api: '^2.0.0' })), {}, {})),
    `plugin polls: targets plugin API ^2.0.0, but this Kaiku provides ${PLUGIN_API_VERSION}; use a version of the plugin made for it`
  )
  t.equal(refusal(() => preparePlugins(discovered(plugin('Bad Name')), {}, {})), "plugin Bad Name: invalid manifest at /name: Expected string to match '^[a-z][a-z0-9-]{1,39}$'")
  t.equal(refusal(() => preparePlugins(discovered(plugin('twice'), plugin('twice')), {}, {})), 'plugin twice: is loaded twice')
  const configured = plugin('polls', { config: Type.Object({ max: Type.Integer({ minimum: 1, maximum: 9, default: 3 }) }) })
  t.equal(
    refusal(() => preparePlugins(discovered(configured), {}, { KAIKU_POLLS_MAX: '12' })),
    "plugin polls: invalid config: KAIKU_POLLS_MAX: '12' is not valid; expected a whole number from 1 to 9"
  )
  t.equal(
    refusal(() => preparePlugins(discovered(configured), { polls: { mx: 2 } }, {})),
    "plugin polls: invalid config: pluginConfig.polls.mx: unknown setting 'mx'"
  )
  t.equal(refusal(() => preparePlugins(discovered(configured), { other: {} }, {})), 'plugin other: has settings in the config file but is not loaded')
  t.same(preparePlugins(discovered(configured), { polls: { max: 5 } }, {})[0].config, { max: 5 })
})

t.test('personal data declared as a function of the settings reads the values in effect, checked like a list', async (t) => {
  const settings = Object.freeze({ publicUrl: 'http://localhost:3000', locale: 'en', timeZone: 'UTC', dataDir: './data', dialect: 'sqlite' as const, sessionMaxDays: 14, mailHost: null })
  const answers = (retention: string): PersonalDataDeclaration => ({ category: 'answers', title: 'Your answers', purpose: 'To count them.', fields: ['answers'], retention, visibleTo: ['member'] })
  const keeping = definePlugin({
    name: 'polls',
    version: '1.0.0',
    api: '^1.10.0',
    config: Type.Object({ keepDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }) }),
    personalData: (config, core) => [answers(`${config.keepDays} days; sessions ${core.sessionMaxDays} days.`)]
  }) as unknown as PluginManifest
  const [loaded] = preparePlugins(discovered(keeping), {}, { KAIKU_POLLS_KEEP_DAYS: '45' })
  t.same(personalDataOf(loaded, settings).map((d) => d.retention), ['45 days; sessions 14 days.'], 'the operator’s value, not the default or a name')
  const [defaults] = preparePlugins(discovered(keeping), {}, {})
  t.same(personalDataOf(defaults, settings).map((d) => d.retention), ['90 days; sessions 14 days.'])
  const [listed] = preparePlugins(discovered(plugin('survey', { personalData: [answers('As long as the survey exists.')] })), {}, {})
  t.same(personalDataOf(listed, settings).map((d) => d.retention), ['As long as the survey exists.'], 'a list is taken as it is')

  const broken = (personalData: unknown) => ({ manifest: plugin('polls', { personalData } as Partial<PluginManifest>), config: {} })
  t.equal(refusal(() => personalDataOf(broken(() => [{ ...answers('x'), retention: 7 }]), settings)), 'plugin polls: personalData returned an invalid list at /0/retention: Expected string')
  t.equal(refusal(() => personalDataOf(broken(() => 'forever'), settings)), 'plugin polls: personalData returned an invalid list at /: Expected array')
  t.equal(
    refusal(() => personalDataOf(broken(() => { throw new Error('no days') }), settings)),
    'plugin polls: personalData failed: no days'
  )
  t.equal(
    refusal(() => preparePlugins(discovered(plugin('survey', { personalData: [{ ...answers(''), category: 'answers' }] })), {}, {})),
    'plugin survey: invalid manifest at /personalData/0/retention: Expected string length greater or equal to 1',
    'a list is still checked with the manifest, before any plugin code runs'
  )
})

t.test('KAIKU_PLUGINS takes built-in names, paths and packages; empty means every built-in plugin', async (t) => {
  t.same((await discoverPlugins('')).map((p) => p.manifest.name), builtInPlugins())
  const fromPath = await discoverPlugins(`${fixturePlugin()}, ${fixturePlugin()}`)
  t.same(fromPath.map((p) => p.manifest.name), ['fixture'], 'a path, listed once')
  await t.rejects(discoverPlugins('./nowhere', tempDir(t)), /plugin \.\/nowhere: no plugin found at/)
  await t.rejects(discoverPlugins('kaiku-plugin-that-does-not-exist'), /plugin kaiku-plugin-that-does-not-exist: cannot be loaded/)
})

t.test('a real start with a broken plugin exits non-zero with one line naming it', async (t) => {
  const start = (plugins: string) =>
    spawnSync(process.execPath, ['--import', tsxLoader, join(repoRoot, 'core/server.ts')], {
      cwd: tempDir(t),
      env: childEnv({ KAIKU_PLUGINS: plugins, PORT: '0' }),
      encoding: 'utf8',
      timeout: 60_000
    })
  const missing = start(fixturePlugin('needs-missing'))
  t.equal(missing.status, 1)
  t.equal(missing.stderr.trim(), "kaiku: plugin needs-missing: requires 'nowhere', which is not loaded (add it to KAIKU_PLUGINS)")
  const old = start(fixturePlugin('old-api'))
  t.equal(old.status, 1)
  t.ok(old.stderr.trim().startsWith(`kaiku: plugin old-api: targets plugin API ^2.0.0, but this Kaiku provides ${PLUGIN_API_VERSION};`), old.stderr)
  const badConfig = spawnSync(process.execPath, ['--import', tsxLoader, join(repoRoot, 'core/server.ts')], {
    cwd: tempDir(t),
    env: childEnv({ KAIKU_PLUGINS: fixturePlugin(), KAIKU_FIXTURE_LIMIT: 'many', PORT: '0' }),
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(badConfig.status, 1)
  t.equal(badConfig.stderr.trim(), "kaiku: plugin fixture: invalid config: KAIKU_FIXTURE_LIMIT: 'many' is not valid; expected a whole number from 1 to 10")
})
