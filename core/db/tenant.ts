/** Name of the filter that scopes every query on a tenant-owned entity to the request's tenant. */
export const TENANT_FILTER = 'tenant'

/**
 * Spread into a tenant-owned entity's definition (`filters: tenantFilter`), next to a `tenantId`
 * property. On by default and without a default value: a query that does not know its tenant fails
 * instead of reading every tenant's rows. Code that must cross tenants (operator console, jobs) says
 * so with `filters: { tenant: false }` or sets the parameter itself.
 */
export const tenantFilter: Record<string, { name: string; cond: (args: { tenantId?: string }) => { tenantId?: string }; default: boolean }> = {
  [TENANT_FILTER]: {
    name: TENANT_FILTER,
    cond: (args: { tenantId?: string }) => ({ tenantId: args.tenantId }),
    default: true
  }
}

/** The company instance a request is for, as the tenancy plugin resolves it from the Host header. */
export interface TenantContext {
  id: string
  slug: string
  name: string
  status: 'active' | 'suspended'
  timeZone: string
  locale: string
  brandName: string
  brandColour: string
  invitationMessage: string
  /** The logo's file, relative to the data folder (`logos/<id>.<ext>`), or null for the default mark. */
  logoPath: string | null
  createdAt: Date
  domains: string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Null on the bare host without a default tenant, and before a tenancy plugin has run. */
    tenant: TenantContext | null
  }
}
