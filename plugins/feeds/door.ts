import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { Post } from './entities/post.entity.js'
import { findPost, shareTextsFor } from './services/posts.js'

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
  live: post.status === 'published' && (!post.expiresAt || post.expiresAt > now),
  disclosure: post.disclosure ?? null,
  textsLocked: post.textsLocked,
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
    shareTexts: shareTextsFor
  } satisfies FeedsDoor)
}
