import type { FastifyInstance } from 'fastify'
import { NotFoundError, type TenantContext } from '../../../core/api.js'
import type { TenantService } from '../services/tenant.service.js'

export interface ResolveOptions {
  service: TenantService
  /** Host name of KAIKU_PUBLIC_URL, e.g. `localhost` or `kaiku.example.com`. */
  baseHost: string
  /** Slug served on the bare host when several instances exist (KAIKU_DEFAULT_TENANT). */
  defaultTenant: string
}

/** Lookups are cached this long: a suspension takes effect within it on every instance. */
const CACHE_MS = 5_000

/**
 * Which company instance a request is for, from its Host: `<slug>.<base host>`, or the bare host for
 * the default (or only) instance. An unknown host is a 404 and never falls back to another tenant.
 * Sets `request.tenant` and the tenant filter's parameter on the request's EntityManager.
 */
export function resolveTenants(app: FastifyInstance, options: ResolveOptions): void {
  const cache = new Map<string, { tenant: TenantContext | undefined; until: number }>()
  const lookup = async (key: string, find: () => Promise<TenantContext | undefined>) => {
    const hit = cache.get(key)
    if (hit && hit.until > Date.now()) return hit.tenant
    const tenant = await find()
    cache.set(key, { tenant, until: Date.now() + CACHE_MS })
    return tenant
  }

  app.decorate('tenancyCache', { clear: () => cache.clear() })

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.operational) return
    const host = request.hostname.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '')
    const em = request.em
    let tenant: TenantContext | undefined
    if (host === options.baseHost) {
      tenant = options.defaultTenant
        ? await lookup(`slug:${options.defaultTenant}`, () => options.service.bySlug(em, options.defaultTenant))
        : await lookup('single', () => options.service.single(em))
    } else if (host.endsWith(`.${options.baseHost}`) && !host.slice(0, -options.baseHost.length - 1).includes('.')) {
      const slug = host.slice(0, -options.baseHost.length - 1)
      tenant = await lookup(`slug:${slug}`, () => options.service.bySlug(em, slug))
      if (!tenant) throw new NotFoundError()
    } else {
      throw new NotFoundError()
    }
    if (!tenant) return
    request.tenant = tenant
    em.setFilterParams('tenant', { tenantId: tenant.id })
    if (tenant.status === 'suspended' && !request.url.startsWith('/static/')) {
      return reply.page('tenancy/suspended', { tenantName: tenant.name }, { title: 'tenancy.suspended.title', status: 403 })
    }
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Forget cached tenant lookups (after a change made in this process). */
    tenancyCache: { clear(): void }
  }
}
