import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { ConflictError, InvalidInputError, NotFoundError, type TenantContext } from '../../../core/api.js'
import { Tenant, TenantDomain, type TenantEntity, type TenantStatus } from '../entities/tenant.entity.js'
import { normaliseDomain, parseEmail } from './domains.js'

/** Host names that may never be a tenant's subdomain. */
const RESERVED = new Set(['www', 'api', 'admin', 'operator', 'static', 'mail', 'smtp', 'app', 'setup', 'kaiku', 'status', 'go'])
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/

export interface TenantInput {
  slug: string
  name: string
  domains: string[]
  timeZone?: string
  locale?: string
  invitationMessage?: string
}

export interface TenantDefaults {
  timeZone: string
  locale: string
  invitationMessage: string
}

export function checkSlug(slug: string): string {
  const value = String(slug ?? '').trim().toLowerCase()
  if (!SLUG.test(value)) throw new InvalidInputError('slug: use 1 to 40 lower-case letters, digits and dashes, starting and ending with a letter or digit')
  if (RESERVED.has(value)) throw new InvalidInputError(`slug: '${value}' is reserved`)
  return value
}

/**
 * Company instances: created, found and changed only through here. Methods that cross tenants
 * (lookups by slug, by domain, lists) are the tenancy plugin's own business; they read tenancy's
 * tables, which are not tenant-filtered.
 */
export function createTenantService(defaults: TenantDefaults) {
  const domainsOf = async (em: EntityManager, tenantId: string) =>
    (await em.find(TenantDomain, { tenantId }, { orderBy: { domain: 'asc' } })).map((d) => d.domain)

  const toContext = (tenant: TenantEntity, domains: string[]): TenantContext => ({
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    timeZone: tenant.timeZone,
    locale: tenant.locale,
    brandName: tenant.brandName,
    brandColour: tenant.brandColour,
    invitationMessage: tenant.invitationMessage,
    domains
  })

  return {
    /** Addresses and domains in the one form they are stored and compared in (see domains.ts). */
    parseEmail,
    normaliseDomain,

    async count(em: EntityManager): Promise<number> {
      return em.count(Tenant, {})
    },

    async create(em: EntityManager, input: TenantInput): Promise<TenantContext> {
      const slug = checkSlug(input.slug)
      const name = String(input.name ?? '').trim()
      if (!name || name.length > 120 || /[\u0000-\u001f\u007f]/.test(name)) throw new InvalidInputError('name: 1 to 120 characters, no control characters')
      const domains = [...new Set((input.domains ?? []).map((d) => {
        const domain = normaliseDomain(d)
        if (!domain) throw new InvalidInputError(`domain: '${String(d).slice(0, 80)}' is not a valid domain`)
        return domain
      }))]
      if (domains.length === 0) throw new InvalidInputError('domain: at least one email domain is needed')
      if (await em.count(Tenant, { slug })) throw new ConflictError(`slug: '${slug}' is already taken`)
      const taken = await em.find(TenantDomain, { domain: { $in: domains } })
      if (taken.length > 0) throw new ConflictError(`domain: ${taken.map((d) => d.domain).join(', ')} already belongs to an instance`)
      const now = new Date()
      const tenant = em.create(Tenant, {
        id: randomUUID(),
        slug,
        name,
        timeZone: input.timeZone ?? defaults.timeZone,
        locale: input.locale ?? defaults.locale,
        brandName: name,
        brandColour: '#0f766e',
        logoPath: null,
        invitationMessage: input.invitationMessage ?? defaults.invitationMessage,
        status: 'active',
        createdAt: now,
        updatedAt: now
      })
      for (const domain of domains) em.create(TenantDomain, { domain, tenantId: tenant.id, createdAt: now })
      await em.flush()
      return toContext(tenant, domains)
    },

    async bySlug(em: EntityManager, slug: string): Promise<TenantContext | undefined> {
      const tenant = await em.findOne(Tenant, { slug: slug.toLowerCase() })
      return tenant ? toContext(tenant, await domainsOf(em, tenant.id)) : undefined
    },

    async byId(em: EntityManager, id: string): Promise<TenantContext | undefined> {
      const tenant = await em.findOne(Tenant, { id })
      return tenant ? toContext(tenant, await domainsOf(em, tenant.id)) : undefined
    },

    /** The only instance, when exactly one exists: then the bare host serves it. */
    async single(em: EntityManager): Promise<TenantContext | undefined> {
      const tenants = await em.find(Tenant, {}, { limit: 2 })
      return tenants.length === 1 ? toContext(tenants[0], await domainsOf(em, tenants[0].id)) : undefined
    },

    async byDomain(em: EntityManager, domain: string): Promise<TenantContext | undefined> {
      const normalised = normaliseDomain(domain)
      if (!normalised) return undefined
      const row = await em.findOne(TenantDomain, { domain: normalised })
      return row ? this.byId(em, row.tenantId) : undefined
    },

    async list(em: EntityManager): Promise<TenantContext[]> {
      const tenants = await em.find(Tenant, {}, { orderBy: { name: 'asc' } })
      const domains = await em.find(TenantDomain, {}, { orderBy: { domain: 'asc' } })
      return tenants.map((tenant) => toContext(tenant, domains.filter((d) => d.tenantId === tenant.id).map((d) => d.domain)))
    },

    async setStatus(em: EntityManager, slug: string, status: TenantStatus): Promise<TenantContext> {
      const tenant = await em.findOne(Tenant, { slug })
      if (!tenant) throw new NotFoundError(`no instance '${slug}'`)
      tenant.status = status
      tenant.updatedAt = new Date()
      await em.flush()
      return toContext(tenant, await domainsOf(em, tenant.id))
    },

    async addDomain(em: EntityManager, slug: string, domain: string): Promise<TenantContext> {
      const tenant = await em.findOne(Tenant, { slug })
      if (!tenant) throw new NotFoundError(`no instance '${slug}'`)
      const normalised = normaliseDomain(domain)
      if (!normalised) throw new InvalidInputError(`domain: '${domain.slice(0, 80)}' is not a valid domain`)
      if (await em.count(TenantDomain, { domain: normalised })) throw new ConflictError(`domain: ${normalised} already belongs to an instance`)
      em.create(TenantDomain, { domain: normalised, tenantId: tenant.id, createdAt: new Date() })
      await em.flush()
      return toContext(tenant, await domainsOf(em, tenant.id))
    },

    async removeDomain(em: EntityManager, slug: string, domain: string): Promise<TenantContext> {
      const tenant = await em.findOne(Tenant, { slug })
      if (!tenant) throw new NotFoundError(`no instance '${slug}'`)
      const domains = await domainsOf(em, tenant.id)
      const normalised = normaliseDomain(domain)
      if (!normalised || !domains.includes(normalised)) throw new NotFoundError(`'${domain.slice(0, 80)}' is not a domain of ${slug}`)
      if (domains.length === 1) throw new ConflictError('an instance keeps at least one domain')
      await em.nativeDelete(TenantDomain, { domain: normalised })
      return toContext(tenant, domains.filter((d) => d !== normalised))
    }
  }
}

export type TenantService = ReturnType<typeof createTenantService>
