import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/** An instance's analytics settings; absent until an admin saves them (services/settings.ts has the defaults). */
export const AnalyticsSettings = defineEntity({
  name: 'AnalyticsSettings',
  tableName: 'analytics_settings',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().primary().length(36),
    /** Web beacons (email opens, page views) on or off for the whole instance. */
    beacons: p.boolean().onCreate(() => true),
    /** What a click would cost as an ad, for the "earned media value" shown on the dashboard. */
    costPerClickCents: p.integer().onCreate(() => 50),
    currency: p.string().length(3).onCreate(() => 'EUR'),
    /** Points per occurrence, by event type (built-in or custom activity). */
    points: p.json<Record<string, number>>().onCreate(() => ({ share: 10, unique_click: 1, suggestion_approved: 5 })),
    /** The leaderboard shows ranks without names. */
    leaderboardAnonymous: p.boolean().onCreate(() => false),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date())
  })
})
export type AnalyticsSettingsEntity = InferEntity<typeof AnalyticsSettings>
