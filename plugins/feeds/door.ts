import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { TENANT_FILTER } from '../../core/api.js'
import { Post, PostTopic } from './entities/post.entity.js'
import { FavouriteTopic } from './entities/topic.entity.js'
import { findPost, isLive, shareTextsFor } from './services/posts.js'
import { favouritesOf, listTopics } from './services/topics.js'

/** What other plugins (sharing, analytics) may know of a post. */
export interface SharedPost {
  id: string
  tenantId: string
  url: string
  title: string
  summary: string | null
  imageUrl: string | null
  status: 'draft' | 'scheduled' | 'published' | 'archived'
  /** Published and not expired: members may see and share it. */
  live: boolean
  disclosure: string | null
  textsLocked: boolean
  pinned: boolean
  publishedAt: Date | null
}

/** Feeds' declared door for other plugins: `app.feeds`. */
export interface FeedsDoor {
  /** A post of `em`'s instance, or null. */
  post(em: EntityManager, id: string): Promise<SharedPost | null>
  /** Posts by id (of `em`'s instance), for lists and dashboards. */
  posts(em: EntityManager, ids: readonly string[]): Promise<Map<string, SharedPost>>
  /** The suggested share texts for a network: its own, else those written for any network. */
  shareTexts(em: EntityManager, postId: string, network: string): Promise<string[]>
  /**
   * Live posts published in [since, until), newest first, with their topic ids: what a digest lists.
   * At most `limit` of them.
   */
  publishedBetween(em: EntityManager, range: { since: Date; until: Date; limit: number }): Promise<(SharedPost & { topicIds: string[] })[]>
  /** Members of `em`'s instance whose favourite topics include one of `topicIds`. */
  followers(em: EntityManager, topicIds: readonly string[]): Promise<string[]>
  /** A member's favourite topic ids (active topics). */
  favourites(em: EntityManager, memberId: string): Promise<string[]>
  /** The instance's active topics, in order. */
  topics(em: EntityManager): Promise<{ id: string; name: string }[]>
  /** The topics of posts by id (of `em`'s instance), for breakdowns by topic; posts without one are missing. */
  topicsOf(em: EntityManager, postIds: readonly string[]): Promise<Map<string, { id: string; name: string }[]>>
}

declare module 'fastify' {
  interface FastifyInstance {
    feeds: FeedsDoor
  }
}

type PostRow = NonNullable<Awaited<ReturnType<typeof findPost>>>

const shared = (post: PostRow, now = new Date()): SharedPost => ({
  id: post.id,
  tenantId: post.tenantId,
  url: post.url,
  title: post.title,
  summary: post.summary ?? null,
  imageUrl: post.imageId ? `/media/${post.imageId}` : null,
  status: post.status,
  live: isLive(post, now),
  disclosure: post.disclosure ?? null,
  textsLocked: post.textsLocked,
  pinned: post.pinned,
  publishedAt: post.publishedAt ?? null
})

export function feedsDoor(app: FastifyInstance): void {
  app.decorate('feeds', {
    async post(em, id) {
      const post = await findPost(em, id)
      return post ? shared(post) : null
    },
    async posts(em, ids) {
      const unique = [...new Set(ids)].filter(Boolean)
      const rows = unique.length ? await em.find(Post, { id: { $in: unique } }) : []
      return new Map(rows.map((row) => [row.id, shared(row)]))
    },
    shareTexts: shareTextsFor,
    async publishedBetween(em, { since, until, limit }) {
      const now = new Date()
      const rows = await em.find(
        Post,
        { status: 'published', publishedAt: { $gte: since, $lt: until }, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
        { orderBy: { publishedAt: 'desc', id: 'desc' }, limit }
      )
      const links = rows.length ? await em.find(PostTopic, { postId: { $in: rows.map((row) => row.id) } }, { fields: ['postId', 'topicId'] }) : []
      return rows.map((row) => ({ ...shared(row), topicIds: links.filter((link) => link.postId === row.id).map((link) => link.topicId) }))
    },
    async followers(em, topicIds) {
      if (topicIds.length === 0) return []
      const rows = await em.find(FavouriteTopic, { topicId: { $in: [...topicIds] } }, { fields: ['memberId'] })
      return [...new Set(rows.map((row) => row.memberId))]
    },
    favourites: favouritesOf,
    async topics(em) {
      return (await listTopics(em)).map(({ id, name }) => ({ id, name }))
    },
    async topicsOf(em, postIds) {
      const unique = [...new Set(postIds)].filter(Boolean)
      const result = new Map<string, { id: string; name: string }[]>()
      // Dashboards ask for every post of a year: plain rows of one join, no entities to hydrate, for
      // the instance `em` is scoped to (an unscoped `em` fails as the tenant filter would).
      const tenantId = (em.getFilterParams(TENANT_FILTER) as { tenantId?: string } | undefined)?.tenantId
      if (!tenantId) throw new Error('topicsOf needs an entity manager scoped to an instance')
      // In slices, so a dashboard over thousands of posts stays under SQLite's limit on bound values.
      for (let start = 0; start < unique.length; start += 500) {
        const slice = unique.slice(start, start + 500)
        const rows = await em
          .getConnection()
          .execute<{ post_id: string; topic_id: string; name: string }[]>(
            `select pt.post_id, pt.topic_id, t.name from feeds_post_topic pt join feeds_topic t on t.id = pt.topic_id and t.tenant_id = pt.tenant_id
             where pt.tenant_id = ? and pt.post_id in (${slice.map(() => '?').join(', ')}) order by pt.post_id, t.position, t.name`,
            [tenantId, ...slice],
            'all',
            em.getTransactionContext()
          )
        for (const row of rows) result.set(row.post_id, [...(result.get(row.post_id) ?? []), { id: row.topic_id, name: row.name }])
      }
      return result
    }
  } satisfies FeedsDoor)
}
