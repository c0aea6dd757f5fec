import type { EntityManager, FilterQuery } from '@mikro-orm/core'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import { FormLead, LEAD_STATUSES, type FormLeadEntity, type FormName, type LeadStatus } from '../entities/lead.entity.js'
import { FormSettings } from '../entities/settings.entity.js'
import type { LeadAnswers } from './answers.js'

export interface LeadFilter {
  form?: FormName
  status?: LeadStatus
}

const DAY_MS = 24 * 60 * 60_000
/** The inbox shows this many at once; the CSV export has them all. */
export const INBOX_PAGE = 200

const where = (filter: LeadFilter): FilterQuery<FormLeadEntity> => ({
  ...(filter.form ? { form: filter.form } : {}),
  ...(filter.status ? { status: filter.status } : {})
})

/**
 * The lead of a form's first step. Its id was chosen when the step was shown, so the same step sent
 * twice (a double click, a replay, Back and again) inserts one row; the caller then saves the email.
 */
export async function startLead(
  em: EntityManager,
  start: { id: string; tenantId: string; form: FormName; email: string; network: string; now: Date }
): Promise<FormLeadEntity | null> {
  await (em as SqlEntityManager)
    .createQueryBuilder(FormLead)
    .insert({
      id: start.id,
      tenantId: start.tenantId,
      form: start.form,
      status: 'new',
      email: start.email,
      step: 0,
      network: start.network,
      createdAt: start.now,
      updatedAt: start.now
    })
    .onConflict('id')
    .ignore()
    .execute()
  return em.findOne(FormLead, { id: start.id }, { refresh: true })
}

/**
 * The last step: its answers and the completion in one conditional update, so of two identical last
 * steps only one completes the lead (and announces it).
 */
export async function completeLead(em: EntityManager, id: string, answers: LeadAnswers, step: number, now: Date): Promise<boolean> {
  const changed = await em.nativeUpdate(FormLead, { id, completedAt: null }, { ...answers, step, completedAt: now, updatedAt: now })
  return changed === 1
}

export async function listLeads(em: EntityManager, filter: LeadFilter, limit?: number): Promise<FormLeadEntity[]> {
  return em.find(FormLead, where(filter), { orderBy: { createdAt: 'desc', id: 'asc' }, limit })
}

/** Leads per status (and in all) for one form or every form. */
export async function countLeads(em: EntityManager, form?: FormName): Promise<Record<LeadStatus | 'all', number>> {
  const counts = await Promise.all(LEAD_STATUSES.map((status) => em.count(FormLead, where({ form, status }))))
  const byStatus = Object.fromEntries(LEAD_STATUSES.map((status, i) => [status, counts[i]])) as Record<LeadStatus, number>
  return { ...byStatus, all: counts.reduce((a, b) => a + b, 0) }
}

/**
 * Retention, across every scope on purpose: instances that chose a number of days keep their leads
 * that long, every other scope (the platform included) `defaultDays`.
 */
export async function deleteExpiredLeads(em: EntityManager, defaultDays: number, now = Date.now()): Promise<number> {
  const own = await em.find(FormSettings, { retentionDays: { $ne: null } }, { filters: false, fields: ['tenantId', 'retentionDays'] })
  let deleted = 0
  for (const { tenantId, retentionDays } of own) {
    deleted += await em.nativeDelete(FormLead, { tenantId, createdAt: { $lt: new Date(now - retentionDays! * DAY_MS) } }, { filters: false })
  }
  const others: FilterQuery<FormLeadEntity> = own.length > 0 ? { tenantId: { $nin: own.map((row) => row.tenantId) } } : {}
  deleted += await em.nativeDelete(FormLead, { ...others, createdAt: { $lt: new Date(now - defaultDays * DAY_MS) } }, { filters: false })
  return deleted
}
