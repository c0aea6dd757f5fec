import { randomUUID } from 'node:crypto'
import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/** What a member chose for analytics: hide their name on the leaderboard, their declared audience. */
export const AnalyticsMember = defineEntity({
  name: 'AnalyticsMember',
  tableName: 'analytics_member',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    tenantId: p.string().length(36),
    memberId: p.string().length(36),
    hideName: p.boolean().onCreate(() => false),
    /** Network → follower count the member declared, for "reach". */
    audience: p.json<Record<string, number>>().onCreate(() => ({}))
  })
})
export type AnalyticsMemberEntity = InferEntity<typeof AnalyticsMember>
