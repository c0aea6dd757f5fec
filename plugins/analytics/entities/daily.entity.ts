import { randomUUID } from 'node:crypto'
import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/**
 * A daily counter: how many events of one type happened on one UTC day, for one post, member and
 * network ('' when the event has none). Dashboards read only these rows, so their cost grows with
 * the days shown, not with the number of clicks. Rebuilt from raw events by the rollup.
 */
export const AnalyticsDaily = defineEntity({
  name: 'AnalyticsDaily',
  tableName: 'analytics_daily',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'day', 'postId', 'memberId', 'network', 'event'] }],
  // (tenant, member, event, count) covers the all-time leaderboard: points per member read from the index alone.
  indexes: [{ properties: ['tenantId', 'day'] }, { properties: ['tenantId', 'memberId', 'event', 'count'] }],
  properties: (p) => ({
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    tenantId: p.string().length(36),
    /** UTC day, `YYYY-MM-DD`. */
    day: p.string().length(10),
    postId: p.string().length(36),
    memberId: p.string().length(36),
    network: p.string().length(20),
    /** 'share', 'click', 'unique_click', 'bot_click', 'email_open', 'page_view', 'member_joined', … */
    event: p.string().length(60),
    count: p.integer()
  })
})
export type AnalyticsDailyEntity = InferEntity<typeof AnalyticsDaily>
