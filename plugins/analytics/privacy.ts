import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { KaikuActions, KaikuFilters, PersonalDataDeclaration, PrivacyErasePart, PrivacyExportPart } from '../../core/api.js'
import { AnalyticsDaily } from './entities/daily.entity.js'
import { AnalyticsEvent } from './entities/event.entity.js'
import { AnalyticsMember } from './entities/member.entity.js'
import { AnalyticsRequest } from './entities/request.entity.js'
import { addDays } from './lib/days.js'
import { markForgotten, type Dialect } from './services/rollup.js'
import { withSummaries } from './services/summaries.js'

/** The events web beacons record: what the 'opens' category declares. */
const BEACON_EVENTS = new Set(['email_open', 'page_view'])

const days = (count: number) => (count === 1 ? 'one day' : `${count} days`)

/**
 * What analytics keeps about a member, for the privacy policy and `/me/data`: the retention is the
 * number of days this server keeps, as its settings say.
 */
export const analyticsPersonalData = ({ eventDays, requestLogDays, clickDays }: { eventDays: number; requestLogDays: number; clickDays: number }): PersonalDataDeclaration[] => [
  {
    category: 'activity',
    title: 'Your activity counts and points',
    purpose: 'To show you and your admins the reach your shares bring, and to award points for the leaderboard.',
    fields: ['daily counts (and their monthly and all-time sums) of your shares, the clicks they brought, approved suggestions and other activities', 'when you joined and first shared'],
    retention: `Raw events for ${days(eventDays)}, and the raw clicks on your links for ${days(clickDays)}; the daily counts and their sums as long as you are a member, and without your name after erasure or anonymisation.`,
    visibleTo: ['member', 'admins']
  },
  {
    category: 'opens',
    title: 'Email opens and post views',
    purpose: 'To count how many people read what the company sends and publishes (web beacons). Not recorded when your browser sends Do Not Track or Global Privacy Control, or when your admins switch beacons off.',
    fields: ['time', 'which mail or post'],
    retention: `As raw events for ${days(eventDays)}, then only as daily counts.`,
    visibleTo: ['member', 'admins']
  },
  {
    category: 'requests',
    title: 'Request log',
    purpose: 'To see which pages are used. Each entry is linked to your account (so it is in your export and goes when you are erased), with your address cut to its network and only the kind of browser and the referring site; no page shows it per person, and it is deleted after the days below.',
    fields: ['page path (no query)', 'referring site', 'kind of browser', 'shortened network address'],
    retention: `Deleted after ${days(requestLogDays)}.`,
    visibleTo: ['admins']
  },
  {
    category: 'leaderboard',
    title: 'Your leaderboard choices and audience',
    purpose: 'To hide your name on the leaderboard when you ask, and to estimate reach from the follower counts you declare.',
    fields: ['hide my name', 'followers per network'],
    retention: 'As long as you are a member.',
    visibleTo: ['member']
  }
]

export async function exportAnalytics(parts: PrivacyExportPart[], { em, memberId }: KaikuFilters['privacy.export']['context']): Promise<PrivacyExportPart[]> {
  const daily = await em.find(AnalyticsDaily, { memberId }, { orderBy: { day: 'asc', event: 'asc' } })
  const events = await em.find(AnalyticsEvent, { memberId }, { orderBy: { at: 'asc' } })
  const requests = await em.find(AnalyticsRequest, { memberId }, { orderBy: { at: 'asc' } })
  const choices = await em.find(AnalyticsMember, { memberId })
  // Raw events are opens and views (beacons), or other activities (joining, a first share, an
  // approved suggestion, a plugin's own): each goes with the category that declares it.
  const opens = events.filter((e) => BEACON_EVENTS.has(e.type))
  const activities = events.filter((e) => !BEACON_EVENTS.has(e.type))
  return [
    ...parts,
    {
      plugin: 'analytics',
      category: 'activity',
      rows: [
        ...daily.map((d) => ({ day: d.day, event: d.event, postId: d.postId || null, network: d.network || null, count: d.count })),
        ...activities.map((e) => ({ at: e.at, event: e.type, postId: e.postId, network: e.network }))
      ]
    },
    { plugin: 'analytics', category: 'opens', rows: opens.map((e) => ({ at: e.at, type: e.type, postId: e.postId, network: e.network, subject: e.subject })) },
    { plugin: 'analytics', category: 'requests', rows: requests.map((r) => ({ at: r.at, path: r.path, referrerHost: r.referrerHost, agentClass: r.agentClass, ipNet: r.ipNet })) },
    { plugin: 'analytics', category: 'leaderboard', rows: choices.map((c) => ({ hideName: c.hideName, audience: c.audience })) }
  ]
}

/**
 * The member's counters keep counting but belong to nobody: each daily row moves to the "no member"
 * row of its group (added to it when one exists, so the unique key holds), raw events and requests
 * lose the member, and the activation event's id, derived from the member, is replaced.
 */
export async function eraseAnalytics(parts: PrivacyErasePart[], { em, tenantId, memberId, mode }: KaikuFilters['privacy.erase']['context'], dialect: Dialect): Promise<PrivacyErasePart[]> {
  // First: a rollup that counted sharing's activity before this moment counts her instance again.
  await markForgotten(em, dialect, tenantId)
  return [...parts, ...(await forgetMember(em, memberId, mode))]
}

/**
 * After the erasure committed (`privacy.erased`): beacon hits and request-log rows of the member that
 * were still in a batch while it ran are written by now (`drain`), with her id; they lose it like the
 * rest. In a transaction of its own, on the member's instance.
 */
export async function eraseLateRows(em: EntityManager, { tenantId, memberId, mode }: KaikuActions['privacy.erased'], drain: () => Promise<void>): Promise<number> {
  await drain()
  const scoped = em.fork()
  scoped.setFilterParams('tenant', { tenantId })
  const parts = await scoped.transactional((tx) => forgetMember(tx, memberId, mode))
  return parts.reduce((sum, part) => sum + part.affected, 0)
}

/**
 * Rows since `since` that name a member who no longer exists lose her, like an erasure's rows: an
 * email-open beacon of an old mail opened after its reader was erased, or a row another instance had
 * in a batch while the erasure ran there. `exists` answers, per instance, which of the ids are
 * members (auth's door). Run before each rollup, so counters never name them either.
 */
export async function forgetVanishedMembers(em: EntityManager, since: Date, exists: (em: EntityManager, ids: string[]) => Promise<Set<string>>): Promise<number> {
  const at = em.getPlatform().processDateProperty(since)
  const named = await em
    .getConnection()
    .execute<{ tenant_id: string; member_id: string }[]>(
      'select distinct tenant_id, member_id from analytics_event where at >= ? and member_id is not null union select distinct tenant_id, member_id from analytics_request where at >= ? and member_id is not null',
      [at, at]
    )
  const byTenant = new Map<string, string[]>()
  for (const row of named) byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row.member_id])
  let forgotten = 0
  for (const [tenantId, ids] of byTenant) {
    const scoped = em.fork()
    scoped.setFilterParams('tenant', { tenantId })
    const members = await exists(scoped, ids)
    for (const memberId of ids.filter((id) => !members.has(id))) {
      await scoped.transactional((tx) => forgetMember(tx, memberId, 'erase'))
      forgotten += 1
    }
  }
  return forgotten
}

async function forgetMember(em: EntityManager, memberId: string, mode: 'erase' | 'anonymise'): Promise<PrivacyErasePart[]> {
  const daily = await anonymiseDaily(em, memberId)
  const activations = await em.find(AnalyticsEvent, { memberId, type: 'member_activated' }, { fields: ['id'] })
  for (const activation of activations) await em.nativeUpdate(AnalyticsEvent, { id: activation.id }, { id: randomUUID() })
  const events = await em.nativeUpdate(AnalyticsEvent, { memberId }, { memberId: null })
  const requests = await em.nativeUpdate(AnalyticsRequest, { memberId }, { memberId: null })
  const result = [
    { plugin: 'analytics', category: 'activity', affected: daily },
    { plugin: 'analytics', category: 'opens', affected: events },
    { plugin: 'analytics', category: 'requests', affected: requests }
  ]
  if (mode !== 'erase') return result
  return [...result, { plugin: 'analytics', category: 'leaderboard', affected: await em.nativeDelete(AnalyticsMember, { memberId }) }]
}

async function anonymiseDaily(em: EntityManager, memberId: string): Promise<number> {
  const rows = await em.find(AnalyticsDaily, { memberId })
  if (rows.length === 0) return 0
  const groupOf = (row: { day: string; postId: string; network: string; event: string }) => `${row.day}|${row.postId}|${row.network}|${row.event}`
  const nobody = await em.find(AnalyticsDaily, { memberId: '', day: { $in: [...new Set(rows.map((row) => row.day))] } })
  const existing = new Map(nobody.map((row) => [groupOf(row), row]))
  for (const row of rows) {
    const target = existing.get(groupOf(row))
    if (target) {
      target.count += row.count
      em.remove(row)
    } else {
      row.memberId = ''
      existing.set(groupOf(row), row)
    }
  }
  // The summaries of the days she had activity on are counted again without her.
  const days = rows.map((row) => row.day).sort()
  await withSummaries(em, { tenantId: rows[0].tenantId, from: days[0], to: addDays(days[days.length - 1], 1) }, () => em.flush())
  return rows.length
}
