import { randomUUID } from 'node:crypto'
import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/**
 * One page request, anonymised: the path without its query, the referring host only, the kind of
 * browser, the address cut to its network. Kept `requestLogDays` days.
 */
export const AnalyticsRequest = defineEntity({
  name: 'AnalyticsRequest',
  tableName: 'analytics_request',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'at'] }, { properties: ['at'] }],
  properties: (p) => ({
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    tenantId: p.string().length(36),
    at: p.datetime(),
    path: p.string().length(500),
    referrerHost: p.string().length(253).nullable(),
    agentClass: p.string().length(16),
    ipNet: p.string().length(64),
    memberId: p.string().length(36).nullable()
  })
})
export type AnalyticsRequestEntity = InferEntity<typeof AnalyticsRequest>
