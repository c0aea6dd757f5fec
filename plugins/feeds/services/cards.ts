import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { PostTopic, type PostEntity } from '../entities/post.entity.js'
import { Reaction } from '../entities/social.entity.js'
import type { TopicEntity } from '../entities/topic.entity.js'

export interface PostCard {
  id: string
  url: string
  host: string
  title: string
  summary: string | null
  imageUrl: string | null
  pinned: boolean
  publishedAt: Date | null
  status: string
  topics: { id: string; name: string; colour: string }[]
  likeCount: number
  commentCount: number
  liked: boolean
  isNew: boolean
  suggestedBy: string | null
}

const hostOf = (url: string) => {
  try {
    return new URL(url).hostname.replace(/^www\./, '')
  } catch {
    return ''
  }
}

/**
 * What the feed shows of each post: its topics, whether the reader liked it, who suggested it, and
 * whether it is new since their previous visit. A few queries for the whole page, never one per post.
 */
/** A post's topics in the instance's order, from its topic links (those of other posts are passed over). */
export function topicsOfPost(postId: string, links: readonly { postId: string; topicId: string }[], topicById: ReadonlyMap<string, TopicEntity>) {
  return links
    .filter((link) => link.postId === postId)
    .map((link) => topicById.get(link.topicId))
    .filter((topic): topic is TopicEntity => Boolean(topic))
    .sort((a, b) => a.position - b.position)
    .map(({ id, name, colour }) => ({ id, name, colour }))
}

export async function postCards(app: FastifyInstance, em: EntityManager, posts: PostEntity[], topics: TopicEntity[], reader: { memberId: string; since?: Date | null }): Promise<PostCard[]> {
  if (posts.length === 0) return []
  const ids = posts.map((post) => post.id)
  const [links, likes, people] = await Promise.all([
    em.find(PostTopic, { postId: { $in: ids } }, { fields: ['postId', 'topicId'] }),
    em.find(Reaction, { postId: { $in: ids }, memberId: reader.memberId }, { fields: ['postId'] }),
    app.auth.members(em, posts.map((post) => post.suggestedById ?? '').filter(Boolean))
  ])
  const topicById = new Map(topics.map((topic) => [topic.id, topic]))
  const liked = new Set(likes.map((like) => like.postId))
  return posts.map((post) => ({
    id: post.id,
    url: post.url,
    host: hostOf(post.url),
    title: post.title,
    summary: post.summary ?? null,
    imageUrl: post.imageId ? `/media/${post.imageId}` : null,
    pinned: post.pinned,
    publishedAt: post.publishedAt ?? null,
    status: post.status,
    topics: topicsOfPost(post.id, links, topicById),
    likeCount: post.likeCount,
    commentCount: post.commentCount,
    liked: liked.has(post.id),
    isNew: Boolean(reader.since && post.publishedAt && post.publishedAt > reader.since),
    suggestedBy: post.suggestedById ? (people.get(post.suggestedById)?.name ?? null) : null
  }))
}
