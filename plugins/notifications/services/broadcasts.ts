import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { Broadcast } from '../entities/notifications.entity.js'
import type { Notifier } from './notify.js'

/** The mail keys of a broadcast share this prefix: its progress is counted by it. */
export const broadcastKeyPrefix = (id: string) => `broadcast:${id}:`

/**
 * Sends a broadcast: one delivery per recipient, each mail keyed by (broadcast, member), so a retried
 * or doubled job never mails anyone twice. Runs as a job; a recipient who cannot be mailed does not
 * hold up the others (their mail fails on its own, later, in the mail queue).
 */
export async function sendBroadcast(app: FastifyInstance, em: EntityManager, notify: Notifier, payload: { tenantId: string; broadcastId: string }): Promise<number> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const broadcast = await em.findOne(Broadcast, { id: payload.broadcastId })
  if (!broadcast || broadcast.status === 'draft') return 0
  const everyone = await app.auth.membersWithRole(em)
  const followers = broadcast.topicIds.length ? new Set(await app.feeds.followers(em, broadcast.topicIds)) : undefined
  const recipients = followers ? everyone.filter((member) => followers.has(member.id)) : everyone
  const origin = await notify.originOf(em, payload.tenantId)
  for (const member of recipients) {
    await notify.deliver(em, {
      tenantId: payload.tenantId,
      memberId: member.id,
      category: 'broadcast',
      notice: { messageKey: 'notifications.notice.broadcast', params: { subject: broadcast.subject }, link: `/notifications` },
      mail: { template: 'notifications/broadcast', key: `${broadcastKeyPrefix(broadcast.id)}${member.id}`, data: { subject: broadcast.subject, body: broadcast.body, paragraphs: broadcast.body.split(/\n{2,}/), origin } }
    })
  }
  broadcast.recipients = recipients.length
  broadcast.status = 'sent'
  broadcast.sentAt = new Date()
  await em.flush()
  return recipients.length
}
