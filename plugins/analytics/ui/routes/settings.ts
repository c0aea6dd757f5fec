import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../../core/api.js'
import { saveSettings, settingsOf } from '../../services/settings.js'
import { effectivePoints } from '../services/points.js'
import { tenantOf } from './common.js'

/** A point value above this is a typing mistake; the board would stop meaning anything. */
export const MAX_POINTS = 10_000
/** Cost per click at most 1000.00 in the chosen currency. */
export const MAX_COST_CENTS = 100_000

const SettingsBody = Type.Object(
  {
    _csrf: Type.Optional(Type.String({ maxLength: 200 })),
    costPerClick: Type.Optional(Type.String({ maxLength: 20 })),
    currency: Type.Optional(Type.String({ maxLength: 10 })),
    leaderboardAnonymous: Type.Optional(Type.String({ maxLength: 5 })),
    beacons: Type.Optional(Type.String({ maxLength: 5 }))
  },
  { additionalProperties: Type.String({ maxLength: 20 }), maxProperties: 200 }
)

const currencies = (() => {
  try {
    return new Set(Intl.supportedValuesOf('currency'))
  } catch {
    return null
  }
})()
const isCurrency = (code: string) => /^[A-Z]{3}$/.test(code) && (!currencies || currencies.has(code))

/** "0.5", "0,50" or "2" → cents; null when it is not an amount of money. */
export function parseCents(text: string): number | null {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(text.trim())
  if (!match) return null
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'))
}

const centsText = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`

/**
 * Analytics settings of an instance (/admin/analytics/settings), owners and admins only: what a click
 * is worth, the points of every activity (custom ones included), an anonymous leaderboard, and web
 * beacons. Every field is checked before anything is saved.
 */
export function settingsRoutes(app: FastifyInstance, ctx: PluginContext): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const page = (request: FastifyRequest, reply: FastifyReply, values: { costPerClick: string; currency: string; points: Record<string, string>; leaderboardAnonymous: boolean; beacons: boolean }, errors: FieldErrors = {}) =>
      reply.page(
        'analytics/settings',
        {
          values,
          errors,
          activities: app.analytics.activities().map((activity) => ({
            type: activity.type,
            label: activity.label,
            name: `points_${activity.type}`,
            id: `points_${activity.type.replace(/\./g, '_')}`,
            value: values.points[activity.type] ?? '0',
            builtIn: activity.builtIn,
            error: errors[`points_${activity.type}`]
          })),
          maxPoints: MAX_POINTS,
          errorCount: Object.keys(errors).length
        },
        { title: 'analytics.settings.title', status: Object.keys(errors).length ? 400 : 200 }
      )

    routes.get('/admin/analytics/settings', async (request, reply) => {
      // The form shows what is stored, not what this process last cached.
      const settings = await settingsOf(request.em, tenantOf(request), { fresh: true })
      const points = effectivePoints(app, settings.points)
      return page(request, reply, {
        costPerClick: centsText(settings.costPerClickCents),
        currency: settings.currency,
        points: Object.fromEntries(Object.entries(points).map(([type, value]) => [type, String(value)])),
        leaderboardAnonymous: settings.leaderboardAnonymous,
        beacons: settings.beacons
      })
    })

    routes.post('/admin/analytics/settings', { schema: { body: SettingsBody } }, async (request, reply) => {
      const tenantId = tenantOf(request)
      const body = request.body as Record<string, string | undefined>
      const activities = app.analytics.activities()
      const errors: FieldErrors = {}
      const costPerClick = (body.costPerClick ?? '').trim()
      const cents = parseCents(costPerClick)
      if (cents === null || cents > MAX_COST_CENTS) errors.costPerClick = 'analytics.settings.costInvalid'
      const currency = (body.currency ?? '').trim().toUpperCase()
      if (!isCurrency(currency)) errors.currency = 'analytics.settings.currencyInvalid'
      const pointsText: Record<string, string> = {}
      const points: Record<string, number> = {}
      for (const activity of activities) {
        const field = `points_${activity.type}`
        const text = (body[field] ?? '').trim()
        pointsText[activity.type] = text
        if (!/^\d{1,5}$/.test(text) || Number(text) > MAX_POINTS) errors[field] = 'analytics.settings.pointsInvalid'
        else points[activity.type] = Number(text)
      }
      const known = new Set(['_csrf', 'costPerClick', 'currency', 'leaderboardAnonymous', 'beacons', ...activities.map((activity) => `points_${activity.type}`)])
      if (Object.keys(body).some((field) => !known.has(field))) errors.form = 'analytics.settings.unknownField'
      const leaderboardAnonymous = Boolean(body.leaderboardAnonymous)
      const beacons = Boolean(body.beacons)
      if (Object.keys(errors).length) return page(request, reply, { costPerClick, currency, points: pointsText, leaderboardAnonymous, beacons }, errors)
      await saveSettings(request.em, tenantId, { costPerClickCents: cents!, currency, points, leaderboardAnonymous, beacons })
      request.flash('success', ctx.t(request.locale, 'analytics.settings.saved'))
      return reply.redirect('/admin/analytics/settings', 303)
    })
  })
}
