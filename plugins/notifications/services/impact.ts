import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { localClock } from './digests.js'
import type { Notifier } from './notify.js'

const DAY = 86_400_000

const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10)
const shown = (day: string) => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`))

/**
 * The week before the one `at` falls in, Monday to Sunday of the instance's calendar. Analytics counts
 * by UTC day, so the figures are those of these seven UTC days.
 */
export function previousWeek(at: Date, timeZone: string): { from: string; to: string } {
  const monday = localClock(at, timeZone).week.slice('week-of-'.length)
  return { from: addDays(monday, -7), to: addDays(monday, -1) }
}

/**
 * The weekly "your impact" summary of one instance: every member who shared or brought clicks last
 * week gets their shares, clicks, unique visitors and points, with a link to their stats. Nothing is
 * sent to a member with nothing to report, nor to one who switched "impact" off. The figures of the
 * whole instance come from analytics in two grouped reads; each mail is keyed by member and week,
 * so a job run twice (or by two instances) mails no one twice.
 */
export async function sendImpact(app: FastifyInstance, em: EntityManager, notify: Notifier, payload: { tenantId: string; at: Date }): Promise<number> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const tenant = await app.tenancy.byId(em, payload.tenantId)
  if (!tenant || tenant.status !== 'active') return 0
  const week = previousWeek(payload.at, tenant.timeZone)
  const members = await app.auth.membersWithRole(em)
  const figures = await app.analytics.summary(em, { tenantId: payload.tenantId, memberIds: members.map((member) => member.id), ...week })
  let sent = 0
  for (const member of members) {
    const mine = figures.get(member.id)
    if (!mine || (mine.shares === 0 && mine.clicks === 0)) continue
    const outcome = await notify.deliver(em, {
      tenantId: payload.tenantId,
      memberId: member.id,
      category: 'impact',
      mail: { template: 'notifications/impact', key: `impact:${payload.tenantId}:${member.id}:${week.from}`, data: { ...mine, from: shown(week.from), to: shown(week.to) } }
    })
    if (outcome === 'sent') sent++
  }
  return sent
}
