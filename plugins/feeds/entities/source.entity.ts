import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

export type SourceMode = 'publish' | 'review'

/** An RSS or Atom feed polled for new items, which become posts (publish) or suggestions (review). */
export const Source = defineEntity({
  name: 'Source',
  tableName: 'feeds_source',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'url'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    url: p.string().length(2000),
    title: p.string().length(300).nullable(),
    topicIds: p.json<string[]>(),
    mode: p.string().length(16).$type<SourceMode>(),
    intervalMinutes: p.integer(),
    enabled: p.boolean(),
    nextPollAt: p.datetime().index(),
    lastPolledAt: p.datetime().nullable(),
    lastSuccessAt: p.datetime().nullable(),
    lastError: p.string().length(500).nullable(),
    itemCount: p.integer(),
    createdAt: p.datetime()
  })
})
export type SourceEntity = InferEntity<typeof Source>

/** An item a source has already brought in, by guid (or link): never brought in twice. */
export const SourceItem = defineEntity({
  name: 'SourceItem',
  tableName: 'feeds_source_item',
  filters: tenantFilter,
  uniques: [{ properties: ['sourceId', 'key'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    sourceId: p.string().length(36),
    key: p.string().length(64),
    createdAt: p.datetime()
  })
})
export type SourceItemEntity = InferEntity<typeof SourceItem>
