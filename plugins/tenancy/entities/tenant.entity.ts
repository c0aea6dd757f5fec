import { defineEntity, type InferEntity } from '@mikro-orm/core'

export type TenantStatus = 'active' | 'suspended'

/** A company instance. Not tenant-filtered itself: it is what the filter is about. */
export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'tenancy_tenant',
  properties: (p) => ({
    id: p.string().primary().length(36),
    slug: p.string().length(40).unique(),
    name: p.string().length(120),
    timeZone: p.string().length(64),
    locale: p.string().length(8),
    brandName: p.string().length(120),
    brandColour: p.string().length(7),
    logoPath: p.string().length(255).nullable(),
    invitationMessage: p.text(),
    status: p.string().length(16).$type<TenantStatus>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime()
  })
})

export type TenantEntity = InferEntity<typeof Tenant>

/** An email domain that defines a company instance; one domain belongs to one instance only. */
export const TenantDomain = defineEntity({
  name: 'TenantDomain',
  tableName: 'tenancy_domain',
  properties: (p) => ({
    domain: p.string().primary().length(253),
    tenantId: p.string().length(36).index(),
    createdAt: p.datetime()
  })
})

export type TenantDomainEntity = InferEntity<typeof TenantDomain>
