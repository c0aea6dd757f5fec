import type { FastifyInstance, FastifyRequest } from 'fastify'
import { InvalidInputError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../../core/api.js'
import { settingsOf } from '../../services/settings.js'
import { formatters } from '../lib/format.js'
import { activityLabels, effectivePoints, isPeriod, LEADERBOARD_ROWS, leaderboard, periodRange, PERIODS } from '../services/points.js'
import { board } from '../services/rollups.js'
import { tenantOf, today, viewerOf } from './common.js'

const PeriodQuery = Type.Object({ period: Type.Optional(Type.String({ maxLength: 10 })) })

/**
 * The leaderboard (/leaderboard) of one instance: points this week, this month or of all time, as
 * the instance weighs its activities. Weeks start on Monday and both periods follow UTC days, the
 * days of the rollup.
 */
export function leaderboardRoutes(app: FastifyInstance, ctx: PluginContext): void {
  const t = (request: FastifyRequest, key: string, params?: Record<string, unknown>) => ctx.t(request.locale, `analytics.${key}`, params)

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember())
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/leaderboard', { schema: { querystring: PeriodQuery } }, async (request, reply) => {
      const period = request.query.period ?? 'week'
      if (!isPeriod(period)) throw new InvalidInputError(t(request, 'leaderboard.badPeriod'))
      const tenantId = tenantOf(request)
      const range = periodRange(period, today())
      // Settings come from a cache of a few seconds: the points are weighed and ranked in the database.
      const settings = await settingsOf(request.em, tenantId)
      const format = formatters(request.locale, settings.currency)
      const points = effectivePoints(app, settings.points)
      const labels = activityLabels(app)
      const viewerId = viewerOf(request)
      const ranking = await board(request.em, tenantId, range, points, { dialect: ctx.settings.dialect, limit: LEADERBOARD_ROWS, viewerId })
      const standing = await leaderboard(app, request.em, {
        viewerId,
        board: ranking,
        anonymous: settings.leaderboardAnonymous,
        labels: { anonymous: t(request, 'leaderboard.anonymous'), you: t(request, 'leaderboard.you') }
      })
      const weights = Object.entries(points)
        .filter(([event, value]) => value !== 0 && labels.has(event))
        .map(([event, value]) => ({ event, label: labels.get(event), points: format.number(value) }))
      return reply.page(
        'analytics/leaderboard',
        {
          tabs: PERIODS.map((id) => ({ id, label: t(request, `leaderboard.period.${id}`), href: `/leaderboard?period=${id}`, active: id === period })),
          period,
          periodLabel: t(request, `leaderboard.period.${period}`),
          range,
          rows: standing.rows.map((row) => ({ ...row, points: format.number(row.points) })),
          mine: standing.mine ? { rank: standing.mine.rank, points: format.number(standing.mine.points) } : null,
          ranked: standing.ranked,
          anonymousBoard: settings.leaderboardAnonymous,
          weights
        },
        { title: 'analytics.leaderboard.title' }
      )
    })
  })
}
