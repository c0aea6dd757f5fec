import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import type { Notifier } from './notify.js'

/**
 * A pinned post, at once, to the members following its topics (to everyone when it has none): an
 * in-app notice and a mail in the "important" category. Keyed per (post, member): sent once.
 */
export async function importantPost(app: FastifyInstance, em: EntityManager, notify: Notifier, payload: { tenantId: string; postId: string }): Promise<number> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const post = await app.feeds.post(em, payload.postId)
  if (!post || !post.live || !post.pinned) return 0
  const topics = (await app.feeds.topicsOf(em, [post.id])).get(post.id) ?? []
  const members = topics.length ? await app.feeds.followers(em, topics.map((topic) => topic.id)) : (await app.auth.membersWithRole(em)).map((member) => member.id)
  const sharePath = app.hasDecorator('sharing') ? `/posts/${post.id}/share` : `/posts/${post.id}`
  for (const memberId of members) {
    await notify.deliver(em, {
      tenantId: payload.tenantId,
      memberId,
      category: 'important',
      notice: { messageKey: 'notifications.notice.important', params: { title: post.title }, link: `/posts/${post.id}` },
      mail: { template: 'notifications/important', key: `important:${post.id}:${memberId}`, postId: post.id, data: { title: post.title, summary: post.summary, path: `/posts/${post.id}`, sharePath, topics: topics.map((t) => t.name) } }
    })
  }
  return members.length
}

/** The header's unread count, asked for on every page: one plain count, no query building. */
export async function unreadCount(em: EntityManager, tenantId: string, memberId: string): Promise<number> {
  const [row] = await em.getConnection().execute<{ n: number | string }[]>(
    'select count(*) as n from notifications_notice where tenant_id = ? and member_id = ? and read_at is null',
    [tenantId, memberId],
    'all',
    em.getTransactionContext()
  )
  return Number(row?.n ?? 0)
}
