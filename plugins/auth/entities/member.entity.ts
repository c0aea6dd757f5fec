import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

export const ROLES = ['owner', 'admin', 'curator', 'member'] as const
export type Role = (typeof ROLES)[number]
export type MemberStatus = 'unverified' | 'active' | 'suspended'

/**
 * A person in one company instance. The same email in two instances is two members (the unique key
 * includes the tenant). `epoch` grows when every session must end (password change, suspension).
 */
export const Member = defineEntity({
  name: 'Member',
  tableName: 'auth_member',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'email'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    email: p.string().length(254),
    name: p.string().length(120),
    passwordHash: p.string().length(255).nullable(),
    role: p.string().length(16).$type<Role>(),
    status: p.string().length(16).$type<MemberStatus>(),
    title: p.string().length(120).nullable(),
    department: p.string().length(120).nullable(),
    epoch: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    verifiedAt: p.datetime().nullable(),
    lastLoginAt: p.datetime().nullable()
  })
})

export type MemberEntity = InferEntity<typeof Member>

/** A platform operator: runs the server, belongs to no instance. */
export const Operator = defineEntity({
  name: 'Operator',
  tableName: 'auth_operator',
  properties: (p) => ({
    id: p.string().primary().length(36),
    email: p.string().length(254).unique(),
    name: p.string().length(120),
    passwordHash: p.string().length(255),
    epoch: p.integer(),
    createdAt: p.datetime()
  })
})

export type OperatorEntity = InferEntity<typeof Operator>
