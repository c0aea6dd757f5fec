import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KaikuError, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { CATEGORIES, Notice, WEEKDAYS, type Category, type DigestFrequency } from '../entities/notifications.entity.js'
import { preferencesOf } from '../services/preferences.js'

const MEMBERS = ['owner', 'admin', 'curator', 'member'] as const
const PAGE = 50
const Many = Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Array(Type.String({ maxLength: 20 }), { maxItems: 20 })]))
const PrefsBody = Type.Object({
  on: Many,
  digest: Type.Optional(Type.String({ maxLength: 10 })),
  digestHour: Type.Optional(Type.String({ maxLength: 4 })),
  digestDay: Type.Optional(Type.String({ maxLength: 4 })),
  countOpens: Type.Optional(Type.String({ maxLength: 4 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 }))
})
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const Csrf = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value])
const who = (request: FastifyRequest) => {
  if (!request.viewer || !request.tenant) throw new KaikuError('UNAUTHORIZED')
  return { memberId: request.viewer.id, tenantId: request.tenant.id }
}

/** The notification centre (/notifications, with the unread count in the header) and preferences (/me/notifications). */
export function memberRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.notifications', href: '/notifications', roles: [...MEMBERS], order: 940 })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...MEMBERS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/notifications', async (request, reply) => {
      const { memberId } = who(request)
      const notices = await request.em.find(Notice, { memberId }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: PAGE })
      const rows = notices.map((notice) => ({ ...notice, text: ctx.t(request.locale, notice.messageKey, notice.params), unread: !notice.readAt }))
      return reply.page('notifications/centre', { rows, unread: rows.some((row) => row.unread) }, { title: 'notifications.centre.title' })
    })

    routes.post('/notifications/read', { schema: { body: Csrf } }, async (request, reply) => {
      await request.em.nativeUpdate(Notice, { memberId: who(request).memberId, readAt: null }, { readAt: new Date() })
      return reply.redirect('/notifications', 303)
    })

    routes.post('/notifications/:id/open', { schema: { params: IdParams, body: Csrf } }, async (request, reply) => {
      const notice = /^[0-9a-f-]{36}$/.test(request.params.id) ? await request.em.findOne(Notice, { id: request.params.id, memberId: who(request).memberId }) : null
      if (!notice) throw new NotFoundError()
      notice.readAt ??= new Date()
      await request.em.flush()
      // Only local paths are stored as links; anything else goes back to the list.
      return reply.redirect(notice.link && /^\/(?![/\\])/.test(notice.link) ? notice.link : '/notifications', 303)
    })

    const prefsPage = async (request: FastifyRequest, reply: FastifyReply, status = 200) => {
      const { memberId, tenantId } = who(request)
      const p = await preferencesOf(request.em, tenantId, memberId)
      // The digest has one control, its frequency: "Never" also stands for a digest switched off by
      // its unsubscribe link.
      const frequency = p.off.includes('digest') ? 'off' : p.digest
      return reply.page(
        'notifications/preferences',
        {
          categories: CATEGORIES.filter((category) => category !== 'digest').map((category) => ({ id: category, label: `notifications.category.${category}`, hint: `notifications.category.${category}Hint`, on: !p.off.includes(category) })),
          frequencies: (['daily', 'weekly', 'off'] as const).map((value) => ({ value, label: `notifications.prefs.${value}`, selected: frequency === value })),
          hours: Array.from({ length: 24 }, (_, hour) => ({ value: hour, label: `${String(hour).padStart(2, '0')}:00`, selected: p.digestHour === hour })),
          days: WEEKDAYS.map((value) => ({ value, label: `notifications.day.${value}`, selected: p.digestDay === value })),
          timeZone: request.tenant?.timeZone,
          countOpens: p.countOpens,
          beaconsOn: await app.analytics.beaconsOn(request.em, tenantId)
        },
        { title: 'notifications.prefs.title', status }
      )
    }

    routes.get('/me/notifications', async (request, reply) => prefsPage(request, reply))

    routes.post('/me/notifications', { schema: { body: PrefsBody } }, async (request, reply) => {
      const { memberId, tenantId } = who(request)
      const digest = request.body.digest as DigestFrequency
      const hour = Number(request.body.digestHour)
      const day = request.body.digestDay ?? 'mon'
      if (!['daily', 'weekly', 'off'].includes(digest) || !Number.isInteger(hour) || hour < 0 || hour > 23 || !(WEEKDAYS as readonly string[]).includes(day)) {
        request.flash('error', ctx.t(request.locale, 'notifications.prefs.invalid'))
        return prefsPage(request, reply, 400)
      }
      const on = new Set(list(request.body.on))
      const p = await preferencesOf(request.em, tenantId, memberId)
      const off = CATEGORIES.filter((c: Category) => (c === 'digest' ? digest === 'off' : !on.has(c)))
      Object.assign(p, { digest, digestHour: hour, digestDay: day, off, countOpens: request.body.countOpens === '1', updatedAt: new Date() })
      await request.em.flush()
      request.flash('success', ctx.t(request.locale, 'notifications.prefs.saved'))
      return reply.redirect('/me/notifications', 303)
    })
  })
}
