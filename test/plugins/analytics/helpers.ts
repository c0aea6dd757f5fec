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

/**
 * The monthly (and per-day) summaries as stored, and as the daily counters say they must be: each
 * as sorted lines `tenant|period|keys…|values…`.
 */
export async function summaryCheck(app: App) {
  const daily = await stored.daily(app)
  const pivot = ['share', 'click', 'unique_click']
  type Daily = (typeof daily)[number]
  const shapes: { name: string; table: string; where?: string; period: 'day' | 'month' | 'all'; keys: string[]; of: (row: Daily) => string[]; pivot: boolean }[] = [
    { name: 'monthly members', table: 'analytics_monthly', where: "dimension = 'member'", period: 'month', keys: ['member_id', 'network', 'post_id'], of: (row) => [row.memberId, '', ''], pivot: true },
    { name: 'monthly networks', table: 'analytics_monthly', where: "dimension = 'network'", period: 'month', keys: ['member_id', 'network', 'post_id'], of: (row) => ['', row.network, ''], pivot: true },
    { name: 'monthly posts', table: 'analytics_monthly', where: "dimension = 'post'", period: 'month', keys: ['member_id', 'network', 'post_id'], of: (row) => ['', '', row.postId], pivot: true },
    { name: 'monthly members by network', table: 'analytics_monthly', where: "dimension = 'member_network'", period: 'month', keys: ['member_id', 'network', 'post_id'], of: (row) => [row.memberId, row.network, ''], pivot: true },
    { name: 'monthly activity', table: 'analytics_month_activity', period: 'month', keys: ['member_id', 'event'], of: (row) => [row.memberId, row.event], pivot: false },
    { name: 'daily totals', table: 'analytics_day_total', period: 'day', keys: [], of: () => [], pivot: true },
    { name: 'all-time activity', table: 'analytics_total_activity', period: 'all', keys: ['member_id', 'event'], of: (row) => [row.memberId, row.event], pivot: false }
  ]
  const connection = app.kaiku.orm.em.fork().getConnection()
  const result: Record<string, { stored: string[]; expected: string[] }> = {}
  for (const shape of shapes) {
    const values = shape.pivot ? ['shares', 'clicks', 'unique_clicks'] : ['count']
    const rows = await connection.execute<Record<string, unknown>[]>(`select * from ${shape.table}${shape.where ? ` where ${shape.where}` : ''}`)
    const storedLines = rows.map((row: Record<string, unknown>) => [row.tenant_id, shape.period === 'all' ? 'all' : row[shape.period], ...shape.keys.map((key) => row[key]), ...values.map((value) => Number(row[value]))].join('|')).sort()
    const sums = new Map<string, number[]>()
    for (const row of daily) {
      if (shape.pivot ? !pivot.includes(row.event) : row.memberId === '') continue
      const key = [row.tenantId, shape.period === 'all' ? 'all' : shape.period === 'month' ? row.day.slice(0, 7) : row.day, ...shape.of(row)].join('|')
      const sum = sums.get(key) ?? values.map(() => 0)
      sum[shape.pivot ? pivot.indexOf(row.event) : 0] += row.count
      sums.set(key, sum)
    }
    result[shape.name] = { stored: storedLines, expected: [...sums].map(([key, sum]) => [key, ...sum].join('|')).sort() }
  }
  return result
}

/** A small seeded generator (mulberry32), so a failing round can be replayed. */
export function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  return { next, pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)], int: (n: number) => Math.floor(next() * n) }
}
