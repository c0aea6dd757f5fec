import { randomUUID } from 'node:crypto'
import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/**
 * A raw event analytics keeps itself, append-only: email opens, page views, joins, activations,
 * approved suggestions and custom activities. Clicks and shares stay in sharing's tables.
 */
export const AnalyticsEvent = defineEntity({
  name: 'AnalyticsEvent',
  tableName: 'analytics_event',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'at'] }, { properties: ['at'] }],
  properties: (p) => ({
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    tenantId: p.string().length(36),
    at: p.datetime(),
    type: p.string().length(60),
    postId: p.string().length(36).nullable(),
    memberId: p.string().length(36).nullable(),
    network: p.string().length(20).nullable(),
    /** What the event is about beyond a post (a mail's key, a page's path), or null. */
    subject: p.string().length(200).nullable()
  })
})
export type AnalyticsEventEntity = InferEntity<typeof AnalyticsEvent>
