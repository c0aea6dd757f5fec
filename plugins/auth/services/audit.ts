import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { AuditEntry, type AuditEntryEntity } from '../entities/token.entity.js'
import type { OperatorEntity } from '../entities/member.entity.js'
import { cleanText } from './forms.js'

/** What an operator may look at in an instance; each has a message key `auth.audit.action.<action>`. */
export const AUDIT_ACTIONS = ['inspect.members'] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export const REASON_MIN = 5
export const REASON_MAX = 500

/**
 * A stated reason for looking into an instance: 5 to 500 characters on one line (line breaks from a
 * text area become spaces), no other control characters. Returns the reason or a message key.
 */
export function checkReason(text: unknown): { value: string; error?: string } {
  const oneLine = typeof text === 'string' ? text.replace(/[\t\n\r\v\f]+/g, ' ').replace(/ {2,}/g, ' ') : ''
  const cleaned = cleanText(oneLine, REASON_MAX)
  if (cleaned.error) return cleaned
  if (cleaned.value.length < REASON_MIN) return { value: cleaned.value, error: 'auth.operator.inspect.reasonShort' }
  return cleaned
}

/**
 * Writes an audit entry and commits it before returning, so the look it records is on file before
 * any of the instance's data is read. The operator's name is copied: the entry outlives the account.
 */
export async function recordLook(
  em: EntityManager,
  look: { tenantId: string; operator: OperatorEntity; action: AuditAction; subject: string; reason: string }
): Promise<AuditEntryEntity> {
  const entry = em.create(AuditEntry, {
    id: randomUUID(),
    tenantId: look.tenantId,
    operatorId: look.operator.id,
    operatorName: look.operator.name,
    action: look.action,
    subject: look.subject.slice(0, 200),
    reason: look.reason,
    createdAt: new Date()
  })
  await em.flush()
  return entry
}

/** The request's instance's audit entries, newest first (the tenant filter keeps other instances' out). */
export async function auditTrail(em: EntityManager, limit = 500): Promise<AuditEntryEntity[]> {
  return em.find(AuditEntry, {}, { orderBy: { createdAt: 'desc', id: 'asc' }, limit })
}
