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

/**
 * Settings are read by every analytics page: each process keeps an instance's for 5 seconds, as
 * tenancy keeps its instances. A change applies at once in the process that saved it, and within
 * those seconds in the others (points, the anonymous board, whether mail counts opens).
 */
const CACHE_MS = 5_000
const cache = new Map<string, { values: AnalyticsSettingsValues; until: number }>()

const copyOf = (values: AnalyticsSettingsValues): AnalyticsSettingsValues => ({ ...values, points: { ...values.points } })

/** An instance's analytics settings, or the defaults when it has saved none; `fresh` skips the cache. */
export async function settingsOf(em: EntityManager, tenantId: string, options: { fresh?: boolean } = {}): Promise<AnalyticsSettingsValues> {
  const hit = cache.get(tenantId)
  if (hit && hit.until > Date.now() && !options.fresh) return copyOf(hit.values)
  // A plain query (mapped for its JSON and booleans) costs a fraction of what findOne spends building one.
  const [found] = await em.getConnection().execute('select * from analytics_settings where tenant_id = ?', [tenantId], 'all', em.getTransactionContext())
  const row = found ? em.map(AnalyticsSettings, found) : null
  const values = row
    ? { beacons: row.beacons, costPerClickCents: row.costPerClickCents, currency: row.currency, points: { ...row.points }, leaderboardAnonymous: row.leaderboardAnonymous }
    : defaultSettings()
  cache.set(tenantId, { values: copyOf(values), until: Date.now() + CACHE_MS })
  return values
}

/** Saves the given fields of an instance's settings (the others keep their value or default). */
export async function saveSettings(em: EntityManager, tenantId: string, patch: Partial<AnalyticsSettingsValues>): Promise<AnalyticsSettingsValues> {
  let row = await em.findOne(AnalyticsSettings, { tenantId }, { filters: false })
  if (!row) row = em.create(AnalyticsSettings, { tenantId, ...defaultSettings(), updatedAt: new Date() })
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined))
  Object.assign(row, defined, { updatedAt: new Date() })
  await em.flush()
  return settingsOf(em, tenantId, { fresh: true })
}
