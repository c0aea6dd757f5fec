import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/**
 * When a member of an instance was last erased or anonymised (no one's id is kept). A rollup that
 * counted before that moment counts the instance again inside its transaction
 * (services/rollup.ts), so counters it writes never name a member her erasure took them from.
 */
export const AnalyticsForgotten = defineEntity({
  name: 'AnalyticsForgotten',
  tableName: 'analytics_forgotten',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().primary().length(36),
    at: p.datetime()
  })
})
export type AnalyticsForgottenEntity = InferEntity<typeof AnalyticsForgotten>
