import type { EntityManager } from '@mikro-orm/core'
import type { PrivacyConfig } from '../config.js'
import { DataExport } from '../entities/privacy.entity.js'

const DAY_MS = 86_400_000

export interface RetentionResult {
  mailLog: number
  auditLog: number
  exports: number
}

/**
 * The daily retention sweep, across every instance (it says so: `filters: false`): mail that was sent
 * or died long enough ago, operators' audit entries past their time, and export archives whose link
 * expired. Queued or retrying mail is never touched. Leads have their own sweep in the forms plugin;
 * raw clicks are folded into daily totals and deleted by analytics, which knows when a day is counted.
 */
export async function enforceRetention(em: EntityManager, config: PrivacyConfig, now = new Date()): Promise<RetentionResult> {
  const mailBefore = new Date(now.getTime() - config.mailLogDays * DAY_MS)
  const auditBefore = new Date(now.getTime() - config.auditLogDays * DAY_MS)
  const mailLog = await em.nativeDelete('MailRecord', { status: { $in: ['sent', 'mailbox', 'dead'] }, createdAt: { $lt: mailBefore } } as never, { filters: false })
  // The audit log is the auth plugin's table; without auth loaded there is none.
  const auditLog = em.getMetadata().find('AuditEntry') ? await em.nativeDelete('AuditEntry', { createdAt: { $lt: auditBefore } } as never, { filters: false }) : 0
  const exports = await em.nativeUpdate(
    DataExport,
    { status: { $in: ['queued', 'ready'] }, expiresAt: { $lte: now } },
    { status: 'expired', openKey: null, archive: null, tokenHash: null },
    { filters: false }
  )
  return { mailLog, auditLog, exports }
}
