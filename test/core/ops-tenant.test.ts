import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { App } from '../plugins/auth/helpers.js'
import { owner, signedIn } from '../plugins/auth/helpers.js'
import { build, onPostgres, testEnv } from '../helper.js'
import { filesOf, kaiku, opsPlugins, populate, readTarGz, tablesOf } from './ops-support.js'

/** The rows of one instance, table by table (its own row is the one whose key is its id). */
async function rowsOfTenant(app: App, tenantId: string) {
  const tables = await tablesOf(app, (table) => !table.startsWith('kaiku_'))
  const mine = (row: unknown) => (row as { tenantId?: string }).tenantId === tenantId || (row as { id?: string }).id === tenantId
  return Object.fromEntries(Object.entries(tables).map(([table, rows]) => [table, rows.filter(mine)]).filter(([, rows]) => rows.length > 0))
}

async function createTenant(app: App, slug: string) {
  return app.tenancy.create(app.kaiku.orm.em.fork(), { slug, name: slug.toUpperCase(), domains: [`${slug}.com`] })
}

/**
 * An installation with two instances, acme and globex, always on SQLite: an export from it goes to
 * the database the suite runs on, so under PostgreSQL this moves an instance from SQLite to PostgreSQL.
 */
async function sourceInstallation(t: Test) {
  const dir = (await testEnv(t)).dir
  const source = await testEnv(t, { plugins: opsPlugins, env: { DATABASE_URL: `sqlite:${join(dir, 'source.db')}` } })
  const app = await build(t, { plugins: opsPlugins, env: source.env })
  const acme = await populate(app)
  await createTenant(app, 'globex')
  const globex = await populate(app, 'globex')
  return { app, source, acme, globex }
}

t.test(`export-tenant moves one instance to another installation (SQLite to ${onPostgres() ? 'PostgreSQL' : 'SQLite'})`, async (t) => {
  const { app, source, acme, globex } = await sourceInstallation(t)
  const file = join(source.dir, 'acme.tar.gz')
  const exported = await kaiku(source.env, source.dir, 'export-tenant', '--tenant', 'acme', '--out', file)
  t.equal(exported.code, 0, exported.err)
  t.match(exported.out, /instance acme exported to .*: \d+ tables, \d+ rows, 1 files/)
  const manifest = JSON.parse((await readTarGz(file))[0].data.toString('utf8'))
  t.match(manifest, { kind: 'tenant', dialect: 'sqlite', tenant: { id: acme.tenantId, slug: 'acme' } })
  t.same(manifest.files.map((f: { path: string }) => f.path), [`pictures/${acme.tenantId}.bin`], "only the files acme's rows point at")
  t.notOk(manifest.tables.some((table: { table: string }) => table.table.startsWith('kaiku_')), "no server housekeeping, no other instance's mail")

  const target = await testEnv(t, { plugins: opsPlugins })
  const other = await build(t, { plugins: opsPlugins, env: target.env })
  const initech = await createTenant(other, 'initech')
  const imported = await kaiku(target.env, target.dir, 'import-tenant', '--in', file)
  t.equal(imported.code, 0, imported.err)
  t.match(imported.out, /instance acme imported/)

  t.same(await rowsOfTenant(other, acme.tenantId), await rowsOfTenant(app, acme.tenantId), "acme's rows, column for column")
  t.same(await rowsOfTenant(other, globex.tenantId), {}, 'nothing of globex')
  t.ok(await other.tenancy.bySlug(other.kaiku.orm.em.fork(), 'initech'), 'the installation keeps its own instance')
  t.same(Object.keys(filesOf(target.env.KAIKU_DATA_DIR)), [`pictures/${acme.tenantId}.bin`])
  t.not(initech.id, acme.tenantId)

  other.tenancyCache.clear()
  const browser = await signedIn(other, owner.email, owner.password)
  t.equal((await browser.get('/me')).statusCode, 200, "acme's owner signs in on the new installation")

  const again = await kaiku(target.env, target.dir, 'import-tenant', '--in', file)
  t.equal(again.code, 1)
  t.match(again.err, /import-tenant refused: this installation already has the instance acme .*nothing imported/)
})

t.test('an instance whose slug is taken here is refused, all or nothing', async (t) => {
  const { source } = await sourceInstallation(t)
  const file = join(source.dir, 'acme.tar.gz')
  t.equal((await kaiku(source.env, source.dir, 'export-tenant', '--tenant', 'acme', '--out', file)).code, 0)
  const target = await testEnv(t, { plugins: opsPlugins })
  const other = await build(t, { plugins: opsPlugins, env: target.env })
  const local = await populate(other)
  const before = await tablesOf(other, (table) => !table.startsWith('kaiku_'))

  const refused = await kaiku(target.env, target.dir, 'import-tenant', '--in', file)
  t.equal(refused.code, 1)
  t.match(refused.err, /import-tenant refused: the instance conflicts with data already here \(.+\); nothing imported/)
  t.same(await tablesOf(other, (table) => !table.startsWith('kaiku_')), before, 'nothing written')
  t.ok(local.tenantId)
})

t.test('unknown instances and the wrong kind of archive are refused', async (t) => {
  const { app, source } = await sourceInstallation(t)
  const unknown = await kaiku(source.env, source.dir, 'export-tenant', '--tenant', 'nope', '--out', join(source.dir, 'x.tar.gz'))
  t.equal(unknown.code, 1)
  t.match(unknown.err, /no company instance 'nope' here/)

  const backup = join(source.dir, 'all.tar.gz')
  t.equal((await kaiku(source.env, source.dir, 'backup', '--out', backup)).code, 0)
  const target = await testEnv(t, { plugins: opsPlugins })
  const wrong = await kaiku(target.env, target.dir, 'import-tenant', '--in', backup)
  t.equal(wrong.code, 1)
  t.match(wrong.err, /backup of a whole installation; bring it back with `kaiku restore`/)

  const globex = (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'globex'))!
  const byId = await kaiku(source.env, source.dir, 'export-tenant', '--tenant', globex.id, '--out', join(source.dir, 'g.tar.gz'))
  t.equal(byId.code, 0, 'an instance can be named by its id too')
})
