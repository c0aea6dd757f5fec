import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { definePlugin, Type, type PluginContext } from '../../core/api.js'
import { Tenant, TenantDomain } from './entities/tenant.entity.js'
import { resolveTenants } from './routes/resolve.js'
import { createTenantService, type TenantService } from './services/tenant.service.js'
import messages from './messages/en.js'

const config = Type.Object({
  defaultTenant: Type.String({
    default: '',
    pattern: '^[a-z0-9-]*$',
    env: 'KAIKU_DEFAULT_TENANT',
    description: 'Slug of the instance the bare host serves when there are several (with one instance, the bare host serves it anyway).'
  }),
  invitationMessage: Type.String({
    default: 'You are invited to our employee advocacy space: company news, ready to share with your network.',
    minLength: 1,
    maxLength: 2000,
    description: 'Default invitation message of new instances; each instance can change its own.'
  })
})

type TenancyConfig = { defaultTenant: string; invitationMessage: string }

const serviceFor = (ctx: PluginContext<TenancyConfig>): TenantService =>
  createTenantService({ publicUrl: ctx.settings.publicUrl, timeZone: ctx.settings.timeZone, locale: ctx.settings.locale, invitationMessage: ctx.config.invitationMessage })

declare module 'fastify' {
  interface FastifyInstance {
    /** The tenancy plugin's service: other plugins use it through this decorator only. */
    tenancy: TenantService
  }
}

/**
 * Company instances: defined by their email domains, reached at `<slug>.<host>`. Resolves the tenant
 * of every request and scopes the request's queries to it.
 */
export default definePlugin({
  name: 'tenancy',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Company instances by email domain and subdomain.',
  config,
  entities: [Tenant, TenantDomain],
  // Resolving a request's host to its instance happens before any tenant is known.
  unscopedEntities: { TenantDomain: 'maps a host name to its instance before the tenant is known' },
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  messages: { en: messages },
  on: {
    filters: {
      // Mail to a member of an instance wears the instance's name and colour.
      'mail.brand': async (brand, { tenant, em }, ctx) => {
        if (!tenant) return brand
        // The sender's EntityManager: on SQLite a second connection would wait for its transaction.
        const row = await (em ?? ctx.orm.em.fork()).findOne(Tenant, { id: tenant })
        return row ? { name: row.brandName, colour: row.brandColour } : brand
      }
    }
  },
  commands: [
    {
      name: 'tenant',
      description: 'Manage company instances: create, list, suspend, activate, add or remove a domain.',
      usage: 'kaiku tenant create --slug S --name N --domain D [--domain D…] | list | suspend S | activate S | domain add|remove S D',
      async run(args, ctx, io) {
        const service = serviceFor(ctx as PluginContext<TenancyConfig>)
        const em = ctx.orm.em.fork()
        const [action, ...rest] = args
        const show = (t: { slug: string; name: string; status: string; domains: string[] }) =>
          io.out(`${t.slug}  ${t.status.padEnd(9)}  ${t.name}  (${t.domains.join(', ')})`)
        if (action === 'create') {
          const { values } = parseArgs({
            args: rest,
            options: { slug: { type: 'string' }, name: { type: 'string' }, domain: { type: 'string', multiple: true }, timezone: { type: 'string' }, locale: { type: 'string' } }
          })
          show(await service.create(em, { slug: values.slug ?? '', name: values.name ?? '', domains: values.domain ?? [], timeZone: values.timezone, locale: values.locale }))
          return 0
        }
        if (action === 'list') {
          for (const tenant of await service.list(em)) show(tenant)
          return 0
        }
        if ((action === 'suspend' || action === 'activate') && rest[0]) {
          show(await service.setStatus(em, rest[0], action === 'suspend' ? 'suspended' : 'active'))
          return 0
        }
        if (action === 'domain' && (rest[0] === 'add' || rest[0] === 'remove') && rest[1] && rest[2]) {
          show(rest[0] === 'add' ? await service.addDomain(em, rest[1], rest[2]) : await service.removeDomain(em, rest[1], rest[2]))
          return 0
        }
        io.out('usage: ' + this.usage)
        return 2
      }
    }
  ],
  async register(app, ctx) {
    const service = serviceFor(ctx)
    app.decorate('tenancy', service)
    resolveTenants(app, { service, baseHost: new URL(ctx.settings.publicUrl).hostname.toLowerCase(), defaultTenant: ctx.config.defaultTenant })
    // Per-tenant schedules (digests, rollups) run once per active instance, in its own time zone.
    ctx.jobs.provideScopes(async () =>
      (await service.list(ctx.orm.em.fork())).filter((t) => t.status === 'active').map((t) => ({ scope: t.id, timeZone: t.timeZone }))
    )
  }
})
