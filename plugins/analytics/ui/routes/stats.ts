import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../../core/api.js'
import { AnalyticsMember } from '../../entities/member.entity.js'
import { settingsOf } from '../../services/settings.js'
import { lineChart } from '../lib/chart.js'
import { formatters } from '../lib/format.js'
import { addDays, thisMonth, weekOf } from '../lib/range.js'
import { networkLabel } from '../services/dashboard.js'
import { effectivePoints } from '../services/points.js'
import { board, breakdown, totals } from '../services/rollups.js'
import { seriesOf } from '../services/series.js'
import { tenantOf, today, viewerOf } from './common.js'

/** Networks where "followers" mean something; email and a copied link have no audience to declare. */
const AUDIENCE_NETWORKS = ['linkedin', 'x', 'facebook', 'xing', 'mastodon', 'bluesky']
/** Declared audiences above this are typing mistakes, not people. */
export const MAX_AUDIENCE = 100_000_000
const WEEKS = 12
const BEST_POSTS = 5

const PreferencesBody = Type.Object(
  { _csrf: Type.Optional(Type.String({ maxLength: 200 })), hideName: Type.Optional(Type.String({ maxLength: 5 })) },
  { additionalProperties: Type.String({ maxLength: 30 }), maxProperties: 40 }
)

async function audienceNetworks(app: FastifyInstance, em: EntityManager, tenantId: string, declared: Record<string, number>): Promise<string[]> {
  const allowed = app.hasDecorator('sharing') ? await app.sharing.networks(em, tenantId) : AUDIENCE_NETWORKS
  // Networks the instance no longer allows still show when the member declared one, so it can be cleared.
  return AUDIENCE_NETWORKS.filter((network) => allowed.includes(network) || network in declared)
}

/**
 * A member's own figures (/me/stats): their shares, the clicks and unique visitors these brought,
 * their points and rank, their best posts and a weekly chart; and the form where they declare their
 * audience per network and choose to hide their name on the leaderboard. Nobody sees another's page.
 */
export function statsRoutes(app: FastifyInstance, ctx: PluginContext): void {
  const t = (request: FastifyRequest, key: string, params?: Record<string, unknown>) => ctx.t(request.locale, `analytics.${key}`, params)

  const page = async (request: FastifyRequest, reply: FastifyReply, form?: { values: Record<string, string>; hideName: boolean; errors: FieldErrors }) => {
    const em = request.em
    const tenantId = tenantOf(request)
    const memberId = viewerOf(request)
    const settings = await settingsOf(em, tenantId)
    const format = formatters(request.locale, settings.currency)
    const day = today()
    const points = effectivePoints(app, settings.points)
    const [mine, allTime, month, best, preference] = await Promise.all([
      totals(em, tenantId, null, ['share', 'click', 'unique_click'], memberId),
      board(em, tenantId, null, points, { dialect: ctx.settings.dialect, limit: 1, viewerId: memberId }),
      board(em, tenantId, thisMonth(day), points, { dialect: ctx.settings.dialect, limit: 1, viewerId: memberId }),
      breakdown(em, tenantId, null, 'post_id', { limit: BEST_POSTS, memberId }),
      em.findOne(AnalyticsMember, { tenantId, memberId })
    ])
    const posts = await app.feeds.posts(em, best.map((row) => row.key))
    const weeks = { from: addDays(weekOf(day), -7 * (WEEKS - 1)), to: day }
    const series = await seriesOf(em, tenantId, weeks, { memberId, grain: 'week' })
    const declared = preference?.audience ?? {}
    const networks = await audienceNetworks(app, em, tenantId, declared)
    const values = form?.values ?? Object.fromEntries(networks.map((network) => [network, declared[network] === undefined ? '' : String(declared[network])]))
    return reply.page(
      'analytics/stats',
      {
        figures: [
          { key: 'shares', label: t(request, 'metric.shares'), value: format.number(mine.share) },
          { key: 'clicks', label: t(request, 'metric.clicks'), value: format.number(mine.click) },
          { key: 'uniqueClicks', label: t(request, 'stats.uniqueVisitors'), value: format.number(mine.unique_click) }
        ],
        points: {
          all: format.number(allTime.mine?.points ?? 0),
          allRank: allTime.mine?.rank,
          allRanked: allTime.ranked,
          month: format.number(month.mine?.points ?? 0),
          monthRank: month.mine?.rank,
          monthRanked: month.ranked
        },
        best: best.map((row) => ({ title: posts.get(row.key)?.title ?? t(request, 'table.deletedPost'), href: posts.has(row.key) ? `/posts/${row.key}` : undefined, shares: format.number(row.shares), clicks: format.number(row.clicks), uniqueClicks: format.number(row.uniqueClicks) })),
        chart: lineChart({
          id: 'my-weeks',
          title: t(request, 'stats.chartTitle', { weeks: WEEKS }),
          description: t(request, 'chart.description', { from: weeks.from, to: weeks.to }),
          series: [
            { key: 'click', label: t(request, 'metric.clicks'), tone: 'a' },
            { key: 'share', label: t(request, 'metric.shares'), tone: 'b' }
          ],
          buckets: series.buckets,
          format: format.number
        }),
        audience: networks.map((network) => ({ network, label: networkLabel(network), name: `audience_${network}`, value: values[network] ?? '', error: form?.errors[network] })),
        hideName: form ? form.hideName : Boolean(preference?.hideName),
        anonymousBoard: settings.leaderboardAnonymous,
        maxAudience: MAX_AUDIENCE,
        errors: form?.errors ?? {}
      },
      { title: 'analytics.stats.title', status: form && Object.keys(form.errors).length ? 400 : 200 }
    )
  }

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember())
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/me/stats', async (request, reply) => page(request, reply))

    routes.post('/me/stats', { schema: { body: PreferencesBody } }, async (request, reply) => {
      const em = request.em
      const tenantId = tenantOf(request)
      const memberId = viewerOf(request)
      const body = request.body as Record<string, string | undefined>
      const existing = await em.findOne(AnalyticsMember, { tenantId, memberId })
      const networks = await audienceNetworks(app, em, tenantId, existing?.audience ?? {})
      const errors: FieldErrors = {}
      const values: Record<string, string> = {}
      const audience: Record<string, number> = {}
      for (const [field, raw] of Object.entries(body)) {
        if (field === '_csrf' || field === 'hideName') continue
        const network = field.startsWith('audience_') ? field.slice('audience_'.length) : ''
        if (!networks.includes(network)) {
          errors.form = 'analytics.audience.unknownNetwork'
          continue
        }
        const text = (raw ?? '').replace(/\s/g, '')
        values[network] = (raw ?? '').trim()
        if (text === '') continue
        if (!/^\d{1,9}$/.test(text) || Number(text) > MAX_AUDIENCE) errors[network] = 'analytics.audience.invalid'
        else audience[network] = Number(text)
      }
      const hideName = body.hideName !== undefined && body.hideName !== ''
      if (Object.keys(errors).length) return page(request, reply, { values, hideName, errors })
      if (existing) Object.assign(existing, { audience, hideName })
      else em.create(AnalyticsMember, { id: randomUUID(), tenantId, memberId, audience, hideName })
      await em.flush()
      request.flash('success', t(request, 'stats.saved'))
      return reply.redirect('/me/stats', 303)
    })
  })
}
