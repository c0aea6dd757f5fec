import type { EntityManager } from '@mikro-orm/core'
import { AnalyticsSettings } from '../entities/settings.entity.js'

export interface AnalyticsSettingsValues {
  beacons: boolean
  costPerClickCents: number
  currency: string
  points: Record<string, number>
  leaderboardAnonymous: boolean
}

/** What an instance gets until an admin saves its analytics settings. */
export const defaultSettings = (): AnalyticsSettingsValues => ({
  beacons: true,
  costPerClickCents: 50,
  currency: 'EUR',
  points: { share: 10, unique_click: 1, suggestion_approved: 5 },
  leaderboardAnonymous: false
})

/** An instance's analytics settings, or the defaults when it has saved none. */
export async function settingsOf(em: EntityManager, tenantId: string): Promise<AnalyticsSettingsValues> {
  const row = await em.findOne(AnalyticsSettings, { tenantId }, { filters: false })
  if (!row) return defaultSettings()
  return { beacons: row.beacons, costPerClickCents: row.costPerClickCents, currency: row.currency, points: { ...row.points }, leaderboardAnonymous: row.leaderboardAnonymous }
}

/** Saves the given fields of an instance's settings (the others keep their value or default). */
export async function saveSettings(em: EntityManager, tenantId: string, patch: Partial<AnalyticsSettingsValues>): Promise<AnalyticsSettingsValues> {
  let row = await em.findOne(AnalyticsSettings, { tenantId }, { filters: false })
  if (!row) row = em.create(AnalyticsSettings, { tenantId, ...defaultSettings(), updatedAt: new Date() })
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined))
  Object.assign(row, defined, { updatedAt: new Date() })
  await em.flush()
  return settingsOf(em, tenantId)
}
