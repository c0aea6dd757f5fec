import { AnalyticsDaily } from '../../../plugins/analytics/entities/daily.entity.js'
import { AnalyticsEvent } from '../../../plugins/analytics/entities/event.entity.js'
import { AnalyticsRequest } from '../../../plugins/analytics/entities/request.entity.js'
import { build, type BuildOptions, type TestLike } from '../../helper.js'
import type { App } from '../auth/helpers.js'

export const analyticsPlugins = ['tenancy', 'auth', 'feeds', 'sharing', 'analytics']

export async function buildAnalytics(t: TestLike, options: BuildOptions = {}) {
  return build(t, { ...options, plugins: [...analyticsPlugins, ...(options.plugins ?? [])] })
}

export const tenantIdOf = async (app: App, slug: string) => (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), slug))!.id

/** Every stored row, across instances, once buffered writes and action handlers have finished. */
export const stored = {
  async events(app: App) {
    await app.kaiku.bus.idle()
    await app.analytics.drain()
    return app.kaiku.orm.em.fork().find(AnalyticsEvent, {}, { filters: false, orderBy: { at: 'asc', id: 'asc' } })
  },
  async requests(app: App) {
    await app.analytics.drain()
    return app.kaiku.orm.em.fork().find(AnalyticsRequest, {}, { filters: false, orderBy: { at: 'asc', id: 'asc' } })
  },
  daily: (app: App) => app.kaiku.orm.em.fork().find(AnalyticsDaily, {}, { filters: false, orderBy: { day: 'asc', event: 'asc', postId: 'asc', memberId: 'asc', network: 'asc' } })
}
