import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

export const POST_STATUSES = ['draft', 'scheduled', 'published', 'archived'] as const
export type PostStatus = (typeof POST_STATUSES)[number]

/**
 * A content item: a link with its title, summary and image, filed under topics, with suggested share
 * texts. The feed reads it by `(status, publishedAt, id)`, newest first, a page at a time.
 */
export const Post = defineEntity({
  name: 'Post',
  tableName: 'feeds_post',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'status', 'publishedAt', 'id'] }, { properties: ['tenantId', 'status', 'pinned', 'publishedAt', 'id'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    url: p.string().length(2000),
    title: p.string().length(300),
    summary: p.text().nullable(),
    imageId: p.string().length(36).nullable(),
    /** Always appended to the share text, e.g. "#iworkforacme". */
    disclosure: p.string().length(120).nullable(),
    /** Members share the suggested texts as they are. */
    textsLocked: p.boolean(),
    status: p.string().length(16).$type<PostStatus>(),
    pinned: p.boolean(),
    publishAt: p.datetime().nullable(),
    publishedAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
    authorId: p.string().length(36).nullable(),
    /** The member whose suggestion became this post: credited on it. */
    suggestedById: p.string().length(36).nullable(),
    sourceId: p.string().length(36).nullable(),
    likeCount: p.integer(),
    commentCount: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime()
  })
})
export type PostEntity = InferEntity<typeof Post>

/** A post filed under a topic. */
export const PostTopic = defineEntity({
  name: 'PostTopic',
  tableName: 'feeds_post_topic',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'postId', 'topicId'] }],
  indexes: [{ properties: ['topicId', 'postId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    postId: p.string().length(36),
    topicId: p.string().length(36)
  })
})
export type PostTopicEntity = InferEntity<typeof PostTopic>

/** A suggested share text, for one network or for any ('any'); one is picked at random when sharing. */
export const ShareText = defineEntity({
  name: 'ShareText',
  tableName: 'feeds_share_text',
  filters: tenantFilter,
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    postId: p.string().length(36).index(),
    network: p.string().length(20),
    text: p.string().length(1000),
    position: p.integer()
  })
})
export type ShareTextEntity = InferEntity<typeof ShareText>

/** An image shown with a post: fetched once, checked, resized, stored here and served by Kaiku. */
export const Image = defineEntity({
  name: 'Image',
  tableName: 'feeds_image',
  filters: tenantFilter,
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    contentType: p.string().length(32),
    width: p.integer(),
    height: p.integer(),
    bytes: p.blob(),
    createdAt: p.datetime()
  })
})
export type ImageEntity = InferEntity<typeof Image>
