import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { preparePlugins } from '../../../core/host/prepare.js'
import { PLUGIN_API_VERSION, type PluginManifest } from '../../../core/host/manifest.js'
import { defineEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'
import { PluginError } from '../../../core/host/discover.js'
import { testEnv, tempDir } from '../../helper.js'

/** Writes a plugin folder whose index.ts is `source`; returns its path. */
function pluginAt(dir: string, name: string, source: string): string {
  const folder = join(dir, name)
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `kaiku-plugin-${name}`, version: '1.0.0', type: 'module' }))
  writeFileSync(join(folder, 'index.ts'), source)
  return folder
}

const throwing = (optional: boolean) => `import { definePlugin } from 'kaiku/plugin-api'
export default definePlugin({
  name: 'broken', version: '1.0.0', api: '^1.0.0', optional: ${optional},
  nav: [{ label: 'nav.broken', href: '/broken' }],
  register(app) {
    app.get('/broken', { config: { operational: true } }, async () => 'half registered')
    throw new Error('the flux capacitor is missing')
  }
})`

t.test('a plugin whose register throws stops the boot, naming the plugin and the error, and leaves nothing open', async (t) => {
  const dir = tempDir(t)
  const { env } = await testEnv(t, { plugins: [pluginAt(dir, 'broken', throwing(false))] })
  await t.rejects(buildApp(loadConfig(env, dir), { env, cwd: dir }), { name: 'PluginError', message: 'plugin broken: register failed: the flux capacitor is missing' })
})

t.test('an optional plugin whose register throws is disabled; the rest of the app runs and the reason is kept', async (t) => {
  const dir = tempDir(t)
  const { env } = await testEnv(t, { plugins: [pluginAt(dir, 'broken', throwing(true))] })
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => app.close())
  await app.ready()
  t.equal(app.kaiku.switches.failure('broken'), 'the flux capacitor is missing')
  const listed = await app.kaiku.switches.list(app.kaiku.orm.em.fork(), 'any-tenant')
  t.match(listed, [{ name: 'broken', optional: true, enabled: false, failure: 'the flux capacitor is missing' }])
  t.equal((await app.inject({ url: '/broken', headers: { accept: 'application/json' } })).statusCode, 404, 'its half-registered route is inactive')
  t.equal((await app.inject('/healthz')).statusCode, 200)
})

t.test('a plugin with a malformed plural message stops the boot, naming the plugin and the message, before any connection opens', async (t) => {
  const dir = tempDir(t)
  const source = `import { definePlugin } from 'kaiku/plugin-api'
export default definePlugin({ name: 'plurals', version: '1.0.0', api: '^1.7.0', messages: { en: { 'total': '{count, plural, one {# answer}}' } } })`
  const { env } = await testEnv(t, { plugins: [pluginAt(dir, 'plurals', source)] })
  await t.rejects(buildApp(loadConfig(env, dir), { env, cwd: dir }), {
    name: 'PluginError',
    message: 'plugin plurals: message plurals.total (en): plural {count}: an "other" form is required'
  })
})

t.test('a plugin targeting another API version is refused, naming both versions', async (t) => {
  const manifest: PluginManifest = { name: 'future', version: '1.0.0', api: '^2.0.0' }
  t.throws(() => preparePlugins([{ spec: 'future', manifest }], {}, {}), {
    message: `plugin future: targets plugin API ^2.0.0, but this Kaiku provides ${PLUGIN_API_VERSION}; use a version of the plugin made for it`
  })
})

t.test('an entity that stores tenant data without the tenant filter is refused by the host', async (t) => {
  const Leaky = defineEntity({ name: 'Leaky', tableName: 'leaky_row', properties: (p) => ({ id: p.string().primary(), tenantId: p.string() }) })
  const Scoped = defineEntity({ name: 'Scoped', tableName: 'leaky_scoped', filters: tenantFilter, properties: (p) => ({ id: p.string().primary(), tenantId: p.string() }) })
  const Platform = defineEntity({ name: 'Platform', tableName: 'leaky_platform', properties: (p) => ({ id: p.string().primary() }) })
  const prepare = (extra: Partial<PluginManifest>) => () =>
    preparePlugins([{ spec: 'leaky', manifest: { name: 'leaky', version: '1.0.0', api: '^1.0.0', ...extra } }], {}, {})
  t.throws(prepare({ entities: [Scoped, Leaky] }), { name: 'PluginError', message: /^plugin leaky: entity Leaky stores tenant data \(tenantId\) without the tenant filter/ })
  t.doesNotThrow(prepare({ entities: [Scoped, Platform] }), 'scoped and platform-wide entities pass')
  t.doesNotThrow(prepare({ entities: [Leaky], unscopedEntities: { Leaky: 'read across tenants to resolve hosts' } }), 'an explicit, explained opt-out passes')
  t.throws(prepare({ entities: [Scoped], unscopedEntities: { Nope: 'no such entity at all here' } }), PluginError)
})
