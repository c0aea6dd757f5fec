import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/** A member likes a post (once). */
export const Reaction = defineEntity({
  name: 'Reaction',
  tableName: 'feeds_reaction',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'postId', 'memberId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    postId: p.string().length(36),
    memberId: p.string().length(36).index(),
    createdAt: p.datetime()
  })
})
export type ReactionEntity = InferEntity<typeof Reaction>

/** A member's comment on a post: plain text, shown to the members of the instance only. */
export const Comment = defineEntity({
  name: 'Comment',
  tableName: 'feeds_comment',
  filters: tenantFilter,
  indexes: [{ properties: ['postId', 'createdAt'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    postId: p.string().length(36),
    memberId: p.string().length(36).index(),
    body: p.text(),
    createdAt: p.datetime(),
    editedAt: p.datetime().nullable()
  })
})
export type CommentEntity = InferEntity<typeof Comment>

export const SUGGESTION_STATUSES = ['pending', 'approved', 'rejected'] as const
export type SuggestionStatus = (typeof SUGGESTION_STATUSES)[number]

/**
 * A link waiting for a curator: suggested by a member (with a comment) or brought in by an RSS source
 * in review mode. Approving turns it into a post; rejecting keeps the curator's note for the suggester.
 */
export const Suggestion = defineEntity({
  name: 'Suggestion',
  tableName: 'feeds_suggestion',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'status', 'createdAt'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    url: p.string().length(2000),
    title: p.string().length(300).nullable(),
    summary: p.text().nullable(),
    imageId: p.string().length(36).nullable(),
    comment: p.string().length(1000).nullable(),
    memberId: p.string().length(36).nullable().index(),
    sourceId: p.string().length(36).nullable(),
    topicIds: p.json<string[]>(),
    status: p.string().length(16).$type<SuggestionStatus>(),
    note: p.string().length(1000).nullable(),
    postId: p.string().length(36).nullable(),
    decidedById: p.string().length(36).nullable(),
    decidedAt: p.datetime().nullable(),
    /**
     * When an approved suggestion's post went live and its suggester was told and credited: at once
     * for a post published on approval, at publication for a draft or a scheduled one.
     */
    creditedAt: p.datetime().nullable(),
    /** When the suggester saw the decision (the feed shows unseen ones once). */
    seenAt: p.datetime().nullable(),
    createdAt: p.datetime()
  })
})
export type SuggestionEntity = InferEntity<typeof Suggestion>
