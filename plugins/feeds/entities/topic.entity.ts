import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/** The colours a topic may take (classes `topic--<colour>` in the feeds stylesheet). */
export const TOPIC_COLOURS = ['teal', 'blue', 'violet', 'rose', 'orange', 'amber', 'green', 'slate'] as const
export type TopicColour = (typeof TOPIC_COLOURS)[number]

/** A subject the company's content is filed under; admins order and archive them. */
export const Topic = defineEntity({
  name: 'Topic',
  tableName: 'feeds_topic',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'name'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    name: p.string().length(60),
    description: p.string().length(280).nullable(),
    colour: p.string().length(16).$type<TopicColour>(),
    position: p.integer(),
    archived: p.boolean(),
    createdAt: p.datetime()
  })
})
export type TopicEntity = InferEntity<typeof Topic>

/** A member's favourite topic: "For you" shows these first. */
export const FavouriteTopic = defineEntity({
  name: 'FavouriteTopic',
  tableName: 'feeds_favourite',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId', 'topicId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36).index(),
    topicId: p.string().length(36).index()
  })
})
export type FavouriteTopicEntity = InferEntity<typeof FavouriteTopic>

/**
 * What the feed remembers of a member: whether they went through the topic onboarding, and their
 * visits, so the feed can mark what is new since the previous one.
 */
export const Reader = defineEntity({
  name: 'Reader',
  tableName: 'feeds_reader',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    onboardedAt: p.datetime().nullable(),
    lastVisitAt: p.datetime().nullable(),
    previousVisitAt: p.datetime().nullable()
  })
})
export type ReaderEntity = InferEntity<typeof Reader>
