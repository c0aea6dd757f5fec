import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

export type TokenKind = 'verify' | 'magic' | 'reset' | 'invite' | 'login'

/**
 * A single-use token sent by mail (or printed by the CLI). Only its SHA-256 is stored; it belongs to
 * one instance (the tenant filter), so a token never works on another instance's host.
 */
export const AuthToken = defineEntity({
  name: 'AuthToken',
  tableName: 'auth_token',
  filters: tenantFilter,
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    hash: p.string().length(64).unique(),
    kind: p.string().length(16).$type<TokenKind>(),
    memberId: p.string().length(36).nullable().index(),
    email: p.string().length(254),
    /** Kind-specific details (an invitation's role and message), as JSON. */
    data: p.text(),
    createdBy: p.string().length(36).nullable(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    createdAt: p.datetime()
  })
})

export type AuthTokenEntity = InferEntity<typeof AuthToken>

/** An operator's look into an instance's data: who, what, when and why; readable by its admins. */
export const AuditEntry = defineEntity({
  name: 'AuditEntry',
  tableName: 'auth_audit',
  filters: tenantFilter,
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    operatorId: p.string().length(36),
    operatorName: p.string().length(120),
    action: p.string().length(80),
    subject: p.string().length(200),
    reason: p.string().length(500),
    createdAt: p.datetime().index()
  })
})

export type AuditEntryEntity = InferEntity<typeof AuditEntry>
