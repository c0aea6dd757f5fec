import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { defineEntity, MikroORM, type EntityMetadata } from '@mikro-orm/core'
import { SqliteDriver } from '@mikro-orm/sqlite'
import t from 'tap'
import { TENANT_FILTER, tenantFilter } from '../../../core/api.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { build, fixturePlugin, repoRoot } from '../../helper.js'
import { setUp } from './helpers.js'

/**
 * Tables that carry a tenant id on purpose without being scoped by it, each with the reason. Nothing
 * else may: a tenant-owned entity without the filter would let one instance's queries read another's.
 */
const CROSS_TENANT: Record<string, string> = {
  TenantDomain: 'which instance owns an email domain: read to place a sign-up or a request before any tenant is known'
}

/** Entities that have a `tenantId` property but no tenant filter that is on by default, by name. */
function unscoped(metadata: EntityMetadata[]): string[] {
  return metadata
    .filter((meta) => !meta.embeddable && !meta.virtual && meta.properties.tenantId)
    .filter((meta) => {
      const filter = meta.filters?.[TENANT_FILTER]
      return !filter || filter.default !== true || typeof filter.cond !== 'function'
    })
    .map((meta) => meta.className)
    .filter((name) => !(name in CROSS_TENANT))
    .sort()
}

/** Every plugin folder under plugins/, so a plugin added later is checked without touching this test. */
const builtIns = () => readdirSync(join(repoRoot, 'plugins')).filter((name) => existsSync(join(repoRoot, 'plugins', name, 'index.ts')))

t.test('every tenant-owned entity of every built-in plugin has the tenant filter, on by default', async (t) => {
  const plugins = builtIns()
  t.ok(plugins.includes('tenancy') && plugins.includes('auth'))
  const app = await build(t, { plugins })
  t.same(app.kaiku.plugins.map((p) => p.manifest.name).sort(), [...plugins].sort(), 'all of them loaded')
  const all = Object.values(app.kaiku.orm.getMetadata().getAll())
  const owned = all.filter((meta) => meta.properties.tenantId).map((meta) => meta.className)
  t.ok(owned.includes('Member') && owned.includes('AuthToken') && owned.includes('AuditEntry'), `tenant-owned: ${owned.join(', ')}`)
  t.same(unscoped(all), [], 'no tenant-owned entity without the filter')
  for (const name of Object.keys(CROSS_TENANT)) t.ok(owned.includes(name), `${name} is still an exception worth listing`)
})

t.test('entities of a plugin from outside plugins/ are checked the same way', async (t) => {
  const app = await build(t, { plugins: [fixturePlugin()] })
  const all = Object.values(app.kaiku.orm.getMetadata().getAll())
  t.ok(all.some((meta) => meta.className === 'FixtureNote'), "the fixture's entity is enumerated")
  t.same(unscoped(all), [])
})

t.test('the check catches a tenant-owned entity that forgot the filter', async (t) => {
  const Leaky = defineEntity({
    name: 'Leaky',
    properties: (p) => ({ id: p.string().primary(), tenantId: p.string(), secret: p.string() })
  })
  const Scoped = defineEntity({
    name: 'Scoped',
    filters: tenantFilter,
    properties: (p) => ({ id: p.string().primary(), tenantId: p.string() })
  })
  const OffByDefault = defineEntity({
    name: 'OffByDefault',
    filters: { [TENANT_FILTER]: { ...tenantFilter[TENANT_FILTER], default: false } },
    properties: (p) => ({ id: p.string().primary(), tenantId: p.string() })
  })
  const orm = await MikroORM.init({ driver: SqliteDriver, dbName: ':memory:', entities: [Leaky, Scoped, OffByDefault], connect: false })
  t.teardown(() => orm.close())
  t.same(unscoped(Object.values(orm.getMetadata().getAll())), ['Leaky', 'OffByDefault'])
})

t.test('a query on members without a tenant throws instead of reading every instance', async (t) => {
  const app = await build(t, { plugins: ['tenancy', 'auth'] })
  await setUp(app)
  const em = app.kaiku.orm.em.fork()
  const globex = await app.tenancy.create(em, { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const { memberService } = await import('../../../plugins/auth/services/members.js')
  await memberService((text) => app.tenancy.parseEmail(text)).create(em, globex, { email: 'gina@globex.com', name: 'Gina', role: 'owner', status: 'active' })

  await t.rejects(app.kaiku.orm.em.fork().find(Member, {}), /No arguments provided for filter 'tenant'/, 'find')
  await t.rejects(app.kaiku.orm.em.fork().findOne(Member, { email: 'gina@globex.com' }), /No arguments provided for filter 'tenant'/, 'findOne by a unique-looking key')
  await t.rejects(app.kaiku.orm.em.fork().count(Member, {}), /No arguments provided for filter 'tenant'/, 'count')

  const scoped = app.kaiku.orm.em.fork()
  scoped.setFilterParams(TENANT_FILTER, { tenantId: globex.id })
  t.same((await scoped.find(Member, {})).map((m) => m.email), ['gina@globex.com'], 'with the parameter, only that instance')
  const acme = await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'acme')
  const crossing = await app.kaiku.orm.em.fork().find(Member, {}, { filters: { [TENANT_FILTER]: { tenantId: acme!.id } } })
  t.same(crossing.map((m) => m.email), ['olivia@acme.com'], 'a query that names another instance explicitly reads that one only')
})
