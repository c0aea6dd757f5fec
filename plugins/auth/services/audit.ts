import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { AuditEntry, type AuditEntryEntity } from '../entities/token.entity.js'
import { Operator, type OperatorEntity } from '../entities/member.entity.js'
import { cleanText } from './forms.js'

/** What an operator may look at in an instance; each has a message key `auth.audit.action.<action>`. */
export const AUDIT_ACTIONS = ['inspect.members', 'read.mail'] as const
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

/** Reads of one thing by one operator within this time are one look, recorded once (a page and its parts). */
const SAME_LOOK_MS = 5 * 60_000

/**
 * Core's `operator.look`: an operator reads something of the instance outside its pages (a mail in
 * core's mailbox). Recorded like a look into the members, without a reason asked for: the entry says
 * what was read. Returns whether it is on file.
 */
export async function recordOperatorLook(recorded: boolean, look: { em: EntityManager; tenantId: string; operatorId: string; subject: string }): Promise<boolean> {
  const { em, tenantId, operatorId } = look
  const operator = await em.findOne(Operator, { id: operatorId })
  if (!operator) return recorded
  const subject = look.subject.slice(0, 200)
  const same = await em.findOne(AuditEntry, { tenantId, operatorId, action: 'read.mail', subject, createdAt: { $gt: new Date(Date.now() - SAME_LOOK_MS) } }, { filters: false })
  if (!same) await recordLook(em, { tenantId, operator, action: 'read.mail', subject, reason: '' })
  return true
}
