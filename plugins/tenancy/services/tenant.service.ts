import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { canonicalTimeZone, ConflictError, InvalidInputError, NotFoundError, type TenantContext } from '../../../core/api.js'
import { Tenant, TenantDomain, type TenantEntity, type TenantStatus } from '../entities/tenant.entity.js'
import { isPublicMail, normaliseDomain, parseEmail } from './domains.js'

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
  /** Kaiku's public URL: an instance lives at its slug's subdomain of it. */
  publicUrl: string
  timeZone: string
  locale: string
  invitationMessage: string
}

/** What an instance's owners and admins may change about it (see `update`). */
export interface TenantSettings {
  name: string
  brandName: string
  brandColour: string
  invitationMessage: string
  timeZone: string
  locale: string
}

const CONTROL = /[\u0000-\u001f\u007f]/
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f]/
const COLOUR = /^#[0-9a-f]{6}$/
const LOCALE = /^[a-z]{2}(-[A-Z]{2})?$/


/** Checks and normalises the settings given; throws InvalidInputError naming the first bad field. */
export function checkSettings(fields: Partial<TenantSettings>): Partial<TenantSettings> {
  const out: Partial<TenantSettings> = {}
  const line = (field: 'name' | 'brandName', value: unknown) => {
    const text = String(value ?? '').trim()
    if (!text || text.length > 120 || CONTROL.test(text)) throw new InvalidInputError(`${field}: 1 to 120 characters, no control characters`)
    return text
  }
  if (fields.name !== undefined) out.name = line('name', fields.name)
  if (fields.brandName !== undefined) out.brandName = line('brandName', fields.brandName)
  if (fields.brandColour !== undefined) {
    const colour = String(fields.brandColour ?? '').trim().toLowerCase()
    if (!COLOUR.test(colour)) throw new InvalidInputError('brandColour: a colour as #rrggbb')
    out.brandColour = colour
  }
  if (fields.invitationMessage !== undefined) {
    const message = String(fields.invitationMessage ?? '').replace(/\r\n?/g, '\n').trim()
    if (!message || message.length > 2000 || CONTROL_BUT_NEWLINE.test(message)) throw new InvalidInputError('invitationMessage: 1 to 2000 characters, no control characters but line breaks')
    out.invitationMessage = message
  }
  if (fields.timeZone !== undefined) {
    const zone = String(fields.timeZone ?? '').trim()
    const canonical = zone && zone.length <= 64 ? canonicalTimeZone(zone) : undefined
    if (!canonical || canonical.length > 64) throw new InvalidInputError(`timeZone: '${zone.slice(0, 80)}' is not an IANA time zone`)
    out.timeZone = canonical
  }
  if (fields.locale !== undefined) {
    const locale = String(fields.locale ?? '').trim()
    if (!LOCALE.test(locale)) throw new InvalidInputError('locale: a language code such as en or fi-FI')
    out.locale = locale
  }
  return out
}

/** A domain an instance may take as its own, normalised; refuses what is no domain and public mail services. */
function ownDomain(input: unknown): string {
  const domain = normaliseDomain(String(input ?? ''))
  if (!domain) throw new InvalidInputError(`domain: '${String(input).slice(0, 80)}' is not a valid domain`)
  if (isPublicMail(domain)) throw new InvalidInputError(`domain: ${domain} is a public mail service: anyone can have an address there`)
  return domain
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

  /** One instance by id or slug, or a 404 that names what was asked for. */
  const load = async (em: EntityManager, where: { id: string } | { slug: string }) => {
    const tenant = await em.findOne(Tenant, where)
    if (!tenant) throw new NotFoundError('slug' in where ? `no instance '${where.slug}'` : 'no such instance')
    return tenant
  }

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
    logoPath: tenant.logoPath ?? null,
    createdAt: tenant.createdAt,
    domains
  })

  return {
    /** Addresses and domains in the one form they are stored and compared in (see domains.ts). */
    parseEmail,
    normaliseDomain,
    isPublicMail,

    /** Whether `slug` may be an instance's address (its form, and not a reserved name; taken or not). */
    isSlug(slug: string): boolean {
      return SLUG.test(slug) && !RESERVED.has(slug)
    },

    /**
     * Where an instance lives, for links in mail and jobs (`https://acme.kaiku.example`): its own
     * subdomain, which keeps serving it when the bare host no longer does.
     */
    origin(slug: string): string {
      const url = new URL(defaults.publicUrl)
      url.hostname = `${slug}.${url.hostname}`
      return url.origin
    },

    async count(em: EntityManager): Promise<number> {
      return em.count(Tenant, {})
    },

    async create(em: EntityManager, input: TenantInput): Promise<TenantContext> {
      const slug = checkSlug(input.slug)
      const name = String(input.name ?? '').trim()
      if (!name || name.length > 120 || /[\u0000-\u001f\u007f]/.test(name)) throw new InvalidInputError('name: 1 to 120 characters, no control characters')
      const domains = [...new Set((input.domains ?? []).map(ownDomain))]
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

    /**
     * Changes an instance's settings (name, branding, default invitation message, time zone, locale);
     * fields left out stay as they are. Everything is checked before anything is saved.
     */
    async update(em: EntityManager, id: string, fields: Partial<TenantSettings>): Promise<TenantContext> {
      const checked = checkSettings(fields)
      const tenant = await load(em, { id })
      Object.assign(tenant, checked, { updatedAt: new Date() })
      await em.flush()
      return toContext(tenant, await domainsOf(em, tenant.id))
    },

    /**
     * Sets or clears the instance's logo file (a path relative to the data folder, which the caller
     * has written and checked). Only a plain relative `logos/` path is accepted.
     */
    async setLogo(em: EntityManager, id: string, path: string | null): Promise<TenantContext> {
      if (path !== null && !/^logos\/[A-Za-z0-9-]{1,64}\.(png|jpg|webp)$/.test(path)) throw new InvalidInputError('logoPath: a file under logos/')
      const tenant = await load(em, { id })
      tenant.logoPath = path
      tenant.updatedAt = new Date()
      await em.flush()
      return toContext(tenant, await domainsOf(em, tenant.id))
    },

    async setStatus(em: EntityManager, slug: string, status: TenantStatus): Promise<TenantContext> {
      const tenant = await load(em, { slug })
      tenant.status = status
      tenant.updatedAt = new Date()
      await em.flush()
      return toContext(tenant, await domainsOf(em, tenant.id))
    },

    async addDomain(em: EntityManager, slug: string, domain: string): Promise<TenantContext> {
      const tenant = await load(em, { slug })
      const normalised = ownDomain(domain)
      if (await em.count(TenantDomain, { domain: normalised })) throw new ConflictError(`domain: ${normalised} already belongs to an instance`)
      em.create(TenantDomain, { domain: normalised, tenantId: tenant.id, createdAt: new Date() })
      await em.flush()
      return toContext(tenant, await domainsOf(em, tenant.id))
    },

    async removeDomain(em: EntityManager, slug: string, domain: string): Promise<TenantContext> {
      const tenant = await load(em, { slug })
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
