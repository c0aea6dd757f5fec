import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInputError, type PluginContext, type TypeBoxTypeProvider } from '../../../../core/api.js'
import { settingsOf } from '../../services/settings.js'
import { lineChart } from '../lib/chart.js'
import { toCsv } from '../lib/csv.js'
import { formatters, trendOf } from '../lib/format.js'
import { lengthOf, PRESETS, type DayRange } from '../lib/range.js'
import { dashboardOf, TABLES, tableOf, type TableName, type TableRow } from '../services/dashboard.js'
import { seriesOf, type Series } from '../services/series.js'
import { askedRange, RangeQuery, tenantOf, today } from './common.js'

const rangeQuery = (range: DayRange) => `from=${range.from}&to=${range.to}`

/**
 * The admin dashboard (/admin/analytics): totals with their trend, a chart of the days (or weeks),
 * and four tables, each with a CSV file that holds the same rows. Only owners and admins, of their
 * own instance; every figure comes from the daily rollup.
 */
export function dashboardRoutes(app: FastifyInstance, ctx: PluginContext): void {
  const t = (request: FastifyRequest, key: string, params?: Record<string, unknown>) => ctx.t(request.locale, `analytics.${key}`, params)
  const labelsFor = (request: FastifyRequest) => ({ noTopic: t(request, 'table.noTopic'), formerMember: t(request, 'table.formerMember'), deletedPost: t(request, 'table.deletedPost') })

  const presetsFor = (range: DayRange | undefined) =>
    PRESETS.map((days) => ({ days, href: `/admin/analytics?days=${days}`, active: Boolean(range && range.to === today() && lengthOf(range) === days) }))

  const chartOf = (request: FastifyRequest, series: Series, format: (n: number) => string) =>
    lineChart({
      id: 'analytics-trend',
      title: t(request, series.grain === 'week' ? 'chart.titleWeekly' : 'chart.titleDaily'),
      description: t(request, 'chart.description', { from: series.buckets[0]?.key ?? '', to: series.buckets[series.buckets.length - 1]?.key ?? '' }),
      series: [
        { key: 'click', label: t(request, 'metric.clicks'), tone: 'a' },
        { key: 'share', label: t(request, 'metric.shares'), tone: 'b' }
      ],
      buckets: series.buckets,
      format
    })

  const rangeErrorPage = (reply: FastifyReply, query: Record<string, string | undefined>, problem: string) =>
    reply.page('analytics/dashboard', { problem, values: { from: query.from ?? '', to: query.to ?? '' }, presets: presetsFor(undefined), today: today() }, { title: 'analytics.dashboard.title', status: 400 })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/admin/analytics', { schema: { querystring: RangeQuery } }, async (request, reply) => {
      const asked = askedRange(ctx, request, request.query)
      if (!asked.range) return rangeErrorPage(reply, request.query, asked.problem)
      const range = asked.range
      const tenantId = tenantOf(request)
      const labels = labelsFor(request)
      // The settings, the tables and the chart at once: on PostgreSQL each query runs on its own
      // connection instead of after the others.
      const [settings, { current, previous, tables: rowsOf }, series] = await Promise.all([
        settingsOf(request.em, tenantId),
        dashboardOf(app, request.em, tenantId, range, labels),
        seriesOf(request.em, tenantId, range)
      ])
      const format = formatters(request.locale, settings.currency)
      const days = lengthOf(range)
      const card = (key: string, value: number, before: number, shown: string, note?: string) => {
        const trend = trendOf(value, before)
        return { key, label: t(request, `metric.${key}`), value: shown, trend, trendText: t(request, `trend.${trend.direction}`, { percent: trend.percent ?? 0, days }), note }
      }
      const cards = [
        card('shares', current.shares, previous.shares, format.number(current.shares)),
        card('clicks', current.clicks, previous.clicks, format.number(current.clicks)),
        card('uniqueClicks', current.uniqueClicks, previous.uniqueClicks, format.number(current.uniqueClicks)),
        card('reach', current.reach, previous.reach, format.number(current.reach), t(request, 'metric.reachNote', { shares: format.number(current.sharesWithAudience), total: format.number(current.shares) })),
        card('value', current.clicks * settings.costPerClickCents, previous.clicks * settings.costPerClickCents, format.money(current.clicks * settings.costPerClickCents), t(request, 'metric.valueNote', { cost: format.money(settings.costPerClickCents) })),
        card('activeMembers', current.activeMembers, previous.activeMembers, format.number(current.activeMembers))
      ]
      const tables = []
      for (const name of TABLES) {
        const rows = rowsOf[name]
        tables.push({
          name,
          title: t(request, `table.${name}`),
          firstColumn: t(request, `table.${name}.column`),
          csvHref: `/admin/analytics/${name}.csv?${rangeQuery(range)}`,
          rows: rows.map((row) => ({ ...row, shares: format.number(row.shares), clicks: format.number(row.clicks), uniqueClicks: format.number(row.uniqueClicks) }))
        })
      }
      return reply.page(
        'analytics/dashboard',
        {
          range,
          days,
          values: range,
          today: today(),
          presets: presetsFor(range),
          cards,
          chart: chartOf(request, series, format.number),
          grain: series.grain,
          dailyCsv: `/admin/analytics/daily.csv?${rangeQuery(range)}`,
          tables
        },
        { title: 'analytics.dashboard.title' }
      )
    })

    const header = (request: FastifyRequest, name: TableName) => [t(request, `table.${name}.column`), t(request, 'metric.shares'), t(request, 'metric.clicks'), t(request, 'metric.uniqueClicks')]
    const csvReply = (reply: FastifyReply, name: string, range: DayRange, rows: (string | number)[][]) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="analytics-${name}-${range.from}-${range.to}.csv"`)
        .header('cache-control', 'no-store')
        .send(toCsv(rows))

    for (const name of TABLES) {
      routes.get(`/admin/analytics/${name}.csv`, { schema: { querystring: RangeQuery } }, async (request, reply) => {
        const asked = askedRange(ctx, request, request.query)
        if (!asked.range) throw new InvalidInputError(asked.problem)
        const rows: TableRow[] = await tableOf(app, request.em, tenantOf(request), asked.range, name, labelsFor(request))
        return csvReply(reply, name, asked.range, [header(request, name), ...rows.map((row) => [row.name, row.shares, row.clicks, row.uniqueClicks])])
      })
    }

    routes.get('/admin/analytics/daily.csv', { schema: { querystring: RangeQuery } }, async (request, reply) => {
      const asked = askedRange(ctx, request, request.query)
      if (!asked.range) throw new InvalidInputError(asked.problem)
      const series = await seriesOf(request.em, tenantOf(request), asked.range)
      const first = t(request, series.grain === 'week' ? 'chart.week' : 'chart.day')
      return csvReply(reply, 'daily', asked.range, [
        [first, t(request, 'metric.clicks'), t(request, 'metric.shares')],
        ...series.buckets.map((bucket) => [bucket.label, bucket.values.click ?? 0, bucket.values.share ?? 0])
      ])
    })
  })
}
