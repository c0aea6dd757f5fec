import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { toLocalInput, type PluginContext } from '../../../core/api.js'
import { WEEKDAYS } from '../entities/notifications.entity.js'
import type { Notifier } from './notify.js'
import { preferencesOf, preferencesOfMany } from './preferences.js'

const FAVOURITES_MAX = 10
const OTHERS_MAX = 5
const DAY = 86_400_000

/** Local hour, weekday and the period keys of an instant in a time zone. */
export function localClock(instant: Date, timeZone: string) {
  const local = toLocalInput(instant, timeZone)
  const hour = Number(local.slice(11, 13))
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' }).format(instant).toLowerCase().slice(0, 3)
  const date = local.slice(0, 10)
  // The week is named by its Monday, so every day of one week gives the same key.
  const offset = (WEEKDAYS as readonly string[]).indexOf(weekday)
  const monday = new Date(Date.parse(`${date}T00:00:00Z`) - offset * DAY).toISOString().slice(0, 10)
  return { hour, weekday, day: date, week: `week-of-${monday}` }
}

/**
 * The hourly pass for one instance: members whose digest is due at this local hour (daily, or weekly
 * on their day) get a digest job each. Its key names the member and the period, so however many
 * instances and retries run this, one digest per period is made.
 */
export async function queueDigests(app: FastifyInstance, em: EntityManager, ctx: PluginContext, tenantId: string, at: Date): Promise<number> {
  em.setFilterParams('tenant', { tenantId })
  const tenant = await app.tenancy.byId(em, tenantId)
  if (!tenant || tenant.status !== 'active') return 0
  const clock = localClock(at, tenant.timeZone)
  const members = await app.auth.membersWithRole(em)
  const preferences = await preferencesOfMany(em, members.map((m) => m.id))
  let queued = 0
  for (const member of members) {
    const p = preferences.get(member.id)!
    if (p.off.includes('digest') || p.digest === 'off' || p.digestHour !== clock.hour) continue
    if (p.digest === 'weekly' && p.digestDay !== clock.weekday) continue
    const period = p.digest === 'daily' ? clock.day : clock.week
    const { created } = await ctx.jobs.enqueue(em, 'notifications.digest', { tenantId, memberId: member.id, period, frequency: p.digest }, { key: `digest:${tenantId}:${member.id}:${period}` })
    if (created) queued++
  }
  return queued
}

/**
 * One member's digest: posts published since their last digest (at most a day or a week back), their
 * favourite topics first, then other highlights; each with a link straight to its share flow. When
 * nothing is new, nothing is sent.
 */
export async function sendDigest(app: FastifyInstance, em: EntityManager, notify: Notifier, payload: { tenantId: string; memberId: string; period: string; frequency: 'daily' | 'weekly' }): Promise<'sent' | 'empty' | 'off' | 'gone'> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const now = new Date()
  const preferences = await preferencesOf(em, payload.tenantId, payload.memberId)
  const window = payload.frequency === 'daily' ? DAY : 7 * DAY
  const since = new Date(Math.max(preferences.lastDigestAt?.getTime() ?? 0, now.getTime() - window))
  const [posts, favourites, topics] = await Promise.all([
    app.feeds.publishedBetween(em, { since, until: now, limit: 100 }),
    app.feeds.favourites(em, payload.memberId),
    app.feeds.topics(em)
  ])
  if (posts.length === 0) return 'empty'
  const liked = (post: { topicIds: string[] }) => post.topicIds.some((id) => favourites.includes(id))
  const names = new Map(topics.map((topic) => [topic.id, topic.name]))
  const sharePath = app.hasDecorator('sharing') ? '/share' : ''
  const item = (post: (typeof posts)[number]) => ({ title: post.title, summary: post.summary, path: `/posts/${post.id}`, sharePath: `/posts/${post.id}${sharePath}`, topics: post.topicIds.map((id) => names.get(id)).filter(Boolean) })
  const forYou = posts.filter(liked).slice(0, FAVOURITES_MAX).map(item)
  const others = posts.filter((post) => !liked(post)).slice(0, OTHERS_MAX).map(item)
  const outcome = await notify.deliver(em, {
    tenantId: payload.tenantId,
    memberId: payload.memberId,
    category: 'digest',
    mail: { template: 'notifications/digest', key: `digest:${payload.tenantId}:${payload.memberId}:${payload.period}`, data: { forYou, others, count: forYou.length + others.length, daily: payload.frequency === 'daily' } }
  })
  if (outcome === 'sent') {
    preferences.lastDigestAt = now
    await em.flush()
  }
  return outcome
}
