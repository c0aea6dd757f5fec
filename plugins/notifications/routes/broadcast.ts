import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cleanText, KaikuError, NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Broadcast, type BroadcastEntity } from '../entities/notifications.entity.js'
import { broadcastKeyPrefix } from '../services/broadcasts.js'

const Many = Type.Optional(Type.Union([Type.String({ maxLength: 36 }), Type.Array(Type.String({ maxLength: 36 }), { maxItems: 200 })]))
const Body = Type.Object({ subject: Type.Optional(Type.String({ maxLength: 2000 })), body: Type.Optional(Type.String({ maxLength: 100_000 })), topics: Many, _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const Csrf = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value])

const tenantOf = (request: FastifyRequest) => {
  if (!request.tenant || !request.viewer) throw new KaikuError('UNAUTHORIZED')
  return request.tenant.id
}

/**
 * Admin broadcast (/admin/broadcast): write an announcement, preview it as members will read it, send
 * it to everyone or to the followers of some topics. Each member gets it once; the page shows how
 * many mails are queued, sent and failed while it goes out.
 */
export function broadcastRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.broadcast', href: '/admin/broadcast', roles: ['owner', 'admin'], order: 660 })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const formPage = async (request: FastifyRequest, reply: FastifyReply, values: { subject: string; body: string; topicIds: string[] }, errors: FieldErrors = {}) => {
      const topics = (await app.feeds.topics(request.em)).map((topic) => ({ ...topic, checked: values.topicIds.includes(topic.id) }))
      const past = await request.em.find(Broadcast, { status: { $ne: 'draft' } }, { orderBy: { createdAt: 'desc' }, limit: 20 })
      return reply.page('notifications/broadcast', { values, topics, errors, past }, { title: 'notifications.broadcast.title', status: Object.keys(errors).length ? 400 : 200 })
    }

    routes.get('/admin/broadcast', async (request, reply) => formPage(request, reply, { subject: '', body: '', topicIds: [] }))

    routes.post('/admin/broadcast', { schema: { body: Body } }, async (request, reply) => {
      const tenantId = tenantOf(request)
      const values = { subject: request.body.subject ?? '', body: request.body.body ?? '', topicIds: list(request.body.topics) }
      const subject = cleanText(values.subject, 200)
      const body = cleanText(values.body, 20_000, true, true)
      const errors: FieldErrors = {}
      if (subject.error) errors.subject = subject.error
      if (body.error) errors.body = body.error === 'core.form.required' ? 'notifications.broadcast.bodyRequired' : body.error
      if (Object.keys(errors).length) return formPage(request, reply, values, errors)
      const known = new Set((await app.feeds.topics(request.em)).map((topic) => topic.id))
      const broadcast = request.em.create(Broadcast, {
        id: randomUUID(),
        tenantId,
        authorId: request.viewer!.id,
        subject: subject.value,
        body: body.value,
        topicIds: values.topicIds.filter((id) => known.has(id)),
        status: 'draft',
        recipients: 0,
        createdAt: new Date(),
        sentAt: null
      })
      await request.em.flush()
      return reply.redirect(`/admin/broadcast/${broadcast.id}`, 303)
    })

    const find = async (request: FastifyRequest, id: string): Promise<BroadcastEntity> => {
      const broadcast = /^[0-9a-f-]{36}$/.test(id) ? await request.em.findOne(Broadcast, { id }) : null
      if (!broadcast) throw new NotFoundError()
      return broadcast
    }

    const progressOf = (broadcast: BroadcastEntity) => ctx.mail.progress(broadcastKeyPrefix(broadcast.id))

    routes.get('/admin/broadcast/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const broadcast = await find(request, request.params.id)
      const topics = await app.feeds.topics(request.em)
      const audience = broadcast.topicIds.length ? topics.filter((t) => broadcast.topicIds.includes(t.id)).map((t) => t.name) : []
      return reply.page(
        'notifications/broadcast-preview',
        { broadcast, paragraphs: broadcast.body.split(/\n{2,}/), audience, progress: broadcast.status === 'draft' ? undefined : await progressOf(broadcast) },
        { title: 'notifications.broadcast.previewTitle', scripts: broadcast.status === 'draft' ? [] : ['/static/notifications/progress.js'] }
      )
    })

    routes.get('/admin/broadcast/:id/progress', { schema: { params: IdParams } }, async (request) => {
      const broadcast = await find(request, request.params.id)
      return { status: broadcast.status, recipients: broadcast.recipients, ...(await progressOf(broadcast)) }
    })

    routes.post('/admin/broadcast/:id/send', { schema: { params: IdParams, body: Csrf } }, async (request, reply) => {
      const id = request.params.id
      const started = await request.em.transactional(async (em) => {
        const broadcast = /^[0-9a-f-]{36}$/.test(id) ? await em.findOne(Broadcast, { id }) : null
        if (!broadcast) throw new NotFoundError()
        // Sent once: a second press (or a replayed form) finds it no longer a draft.
        if (broadcast.status !== 'draft') return false
        broadcast.status = 'sending'
        await ctx.jobs.enqueue(em, 'notifications.broadcast', { tenantId: broadcast.tenantId, broadcastId: broadcast.id }, { key: `broadcast:${broadcast.id}` })
        await em.flush()
        return true
      })
      request.flash(started ? 'success' : 'info', ctx.t(request.locale, started ? 'notifications.broadcast.sending' : 'notifications.broadcast.already'))
      return reply.redirect(`/admin/broadcast/${id}`, 303)
    })
  })
}
