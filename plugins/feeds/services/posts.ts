import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
import { Image, Post, PostTopic, ShareText, type PostEntity } from '../entities/post.entity.js'
import { Topic } from '../entities/topic.entity.js'
import { raise } from '../events.js'

export type PublishChoice = 'now' | 'draft' | { at: Date }

export interface PostInput {
  url: string
  title: string
  summary?: string | null
  imageId?: string | null
  topicIds: string[]
  shareTexts?: { network: string; text: string }[]
  disclosure?: string | null
  textsLocked?: boolean
  pinned?: boolean
  publish: PublishChoice
  expiresAt?: Date | null
  authorId?: string | null
  suggestedById?: string | null
  sourceId?: string | null
}

/** Topic ids that belong to `em`'s instance (and are not archived): anything else is dropped. */
async function ownTopics(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return []
  const found = await em.find(Topic, { id: { $in: unique }, archived: false }, { fields: ['id'] })
  const known = new Set(found.map((topic) => topic.id))
  return unique.filter((id) => known.has(id))
}

/** The image if it belongs to `em`'s instance, else null: a post never shows another instance's image. */
async function ownImage(em: EntityManager, id: string | null | undefined): Promise<string | null> {
  if (!id) return null
  return (await em.findOne(Image, { id }, { fields: ['id'] })) ? id : null
}

async function writeTopics(em: EntityManager, post: PostEntity, topicIds: readonly string[]): Promise<void> {
  await em.nativeDelete(PostTopic, { postId: post.id })
  for (const topicId of await ownTopics(em, topicIds)) em.create(PostTopic, { id: randomUUID(), tenantId: post.tenantId, postId: post.id, topicId })
}

async function writeTexts(em: EntityManager, post: PostEntity, texts: readonly { network: string; text: string }[]): Promise<void> {
  await em.nativeDelete(ShareText, { postId: post.id })
  texts.forEach(({ network, text }, position) => em.create(ShareText, { id: randomUUID(), tenantId: post.tenantId, postId: post.id, network, text, position }))
}

/**
 * Sets the post's status from the choice and queues what must happen later: publishing at its time,
 * archiving at its expiry. A job that finds the post changed since (rescheduled, edited) does nothing.
 */
async function applySchedule(em: EntityManager, ctx: PluginContext, post: PostEntity, publish: PublishChoice | 'keep', now: Date): Promise<void> {
  const wasPublished = post.status === 'published'
  if (publish === 'draft') {
    post.status = 'draft'
    post.publishAt = null
  } else if (publish === 'now' || (publish !== 'keep' && publish.at <= now)) {
    post.status = 'published'
    post.publishAt = null
    post.publishedAt = wasPublished && post.publishedAt ? post.publishedAt : now
  } else if (publish !== 'keep') {
    post.status = 'scheduled'
    post.publishAt = publish.at
    post.publishedAt = null
    await ctx.jobs.enqueue(em, 'feeds.publish', { tenantId: post.tenantId, postId: post.id, at: publish.at.toISOString() }, { key: `publish:${post.id}:${publish.at.toISOString()}`, runAt: publish.at })
  }
  if (post.expiresAt && post.status !== 'archived' && post.status !== 'draft') {
    const at = post.expiresAt.toISOString()
    await ctx.jobs.enqueue(em, 'feeds.expire', { tenantId: post.tenantId, postId: post.id, at }, { key: `expire:${post.id}:${at}`, runAt: post.expiresAt })
  }
  if (post.status === 'published' && !wasPublished) {
    raise(ctx, em, 'post.published', { tenantId: post.tenantId, postId: post.id, authorId: post.authorId ?? null, suggestedById: post.suggestedById ?? null })
  }
}

/** Writes a post with its topics and texts, in `em`'s transaction (flushes). */
export async function createPost(em: EntityManager, ctx: PluginContext, tenantId: string, input: PostInput): Promise<PostEntity> {
  const now = new Date()
  const post = em.create(Post, {
    id: randomUUID(),
    tenantId,
    url: input.url,
    title: input.title,
    summary: input.summary ?? null,
    imageId: await ownImage(em, input.imageId),
    disclosure: input.disclosure ?? null,
    textsLocked: input.textsLocked ?? false,
    status: 'draft',
    pinned: input.pinned ?? false,
    publishAt: null,
    publishedAt: null,
    expiresAt: input.expiresAt ?? null,
    authorId: input.authorId ?? null,
    suggestedById: input.suggestedById ?? null,
    sourceId: input.sourceId ?? null,
    likeCount: 0,
    commentCount: 0,
    createdAt: now,
    updatedAt: now
  })
  await writeTopics(em, post, input.topicIds)
  await writeTexts(em, post, input.shareTexts ?? [])
  await applySchedule(em, ctx, post, input.publish, now)
  await em.flush()
  return post
}

export type PostChanges = Omit<PostInput, 'authorId' | 'suggestedById' | 'sourceId' | 'publish'> & { publish: PublishChoice | 'keep' | 'archive' }

/**
 * Changes a post (flushes). Archiving takes it out of the feed; publishing a draft raises post.published,
 * and a new URL raises post.moved.
 */
export async function updatePost(em: EntityManager, ctx: PluginContext, post: PostEntity, changes: PostChanges): Promise<void> {
  const now = new Date()
  const moved = post.url !== changes.url
  Object.assign(post, {
    url: changes.url,
    title: changes.title,
    summary: changes.summary ?? null,
    imageId: await ownImage(em, changes.imageId),
    disclosure: changes.disclosure ?? null,
    textsLocked: changes.textsLocked ?? false,
    pinned: changes.pinned ?? false,
    expiresAt: changes.expiresAt ?? null,
    updatedAt: now
  })
  await writeTopics(em, post, changes.topicIds)
  await writeTexts(em, post, changes.shareTexts ?? [])
  if (changes.publish === 'archive') post.status = 'archived'
  else await applySchedule(em, ctx, post, changes.publish, now)
  await em.flush()
  if (moved) raise(ctx, em, 'post.moved', { tenantId: post.tenantId, postId: post.id, url: post.url })
}

export interface PostDetails {
  topicIds: string[]
  shareTexts: { network: string; text: string }[]
}

export async function postDetails(em: EntityManager, postId: string): Promise<PostDetails> {
  const [topics, texts] = await Promise.all([
    em.find(PostTopic, { postId }, { fields: ['topicId'] }),
    em.find(ShareText, { postId }, { orderBy: { position: 'asc' } })
  ])
  return { topicIds: topics.map((row) => row.topicId), shareTexts: texts.map(({ network, text }) => ({ network, text })) }
}

/** Texts suggested for `network` (its own, else those for any network); one is picked at random when sharing. */
export async function shareTextsFor(em: EntityManager, postId: string, network: string): Promise<string[]> {
  const texts = await em.find(ShareText, { postId, network: { $in: [network, 'any'] } }, { orderBy: { position: 'asc' } })
  const own = texts.filter((text) => text.network === network)
  return (own.length ? own : texts).map((text) => text.text)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isId = (value: string) => UUID.test(value)

/** Whether members may read and share a post now: published, and not past its expiry. */
export const isLive = (post: Pick<PostEntity, 'status' | 'expiresAt'>, now = new Date()) => post.status === 'published' && (!post.expiresAt || post.expiresAt > now)

/** A post of `em`'s instance by id, or null (for another instance's id exactly as for a made-up one). */
export async function findPost(em: EntityManager, id: string): Promise<PostEntity | null> {
  return isId(id) ? em.findOne(Post, { id: id.toLowerCase() }) : null
}

/** The scheduled-publication job: publishes the post if it still waits for exactly this time. */
export async function publishDue(em: EntityManager, ctx: PluginContext, payload: { tenantId: string; postId: string; at: string }): Promise<void> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const post = await em.findOne(Post, { id: payload.postId })
  if (!post || post.status !== 'scheduled' || post.publishAt?.toISOString() !== payload.at) return
  await applySchedule(em, ctx, post, 'now', new Date())
  await em.flush()
}

/** The expiry job: an expired post is archived (the feed already hides it from the moment it expires). */
export async function expireDue(em: EntityManager, payload: { tenantId: string; postId: string; at: string }): Promise<void> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const post = await em.findOne(Post, { id: payload.postId })
  if (!post || post.expiresAt?.toISOString() !== payload.at || post.expiresAt > new Date()) return
  if (post.status === 'published' || post.status === 'scheduled') post.status = 'archived'
  await em.flush()
}
