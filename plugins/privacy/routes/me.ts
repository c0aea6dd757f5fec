import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { PrivacyConfig } from '../config.js'
import { DataExport } from '../entities/privacy.entity.js'
import { categories } from '../services/declarations.js'
import { countsByCategory, eraseMember, issueLink, LastOwnerError, requestExport, takeArchive } from '../services/member-data.js'

type Ctx = PluginContext<PrivacyConfig>
const CsrfOnly = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const DownloadParams = Type.Object({ id: Type.String({ maxLength: 36 }), token: Type.String({ maxLength: 64 }) })
const TokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) })
const CONFIRM_MS = 30 * 60_000

const who = (role: string) => `privacy.visible.${role}`

/**
 * A member's own privacy pages: what Kaiku holds about them, their export, their erasure. Erasure asks
 * for a link sent to their address, opened in the same browser (the link is bound to the session's
 * member and expires in 30 minutes): it works the same for password and magic-link members.
 */
export function meRoutes(app: FastifyInstance, ctx: Ctx): void {
  const eraseKey = ctx.keys.derive('erase-confirmation')
  const sign = (tenantId: string, memberId: string, expires: number) => createHmac('sha256', eraseKey).update(`${tenantId}\u0000${memberId}\u0000${expires}`).digest('base64url')
  const validToken = (request: FastifyRequest, token: string) => {
    const [expiresText, signature = ''] = token.split('.')
    const expires = Number(expiresText)
    if (!Number.isSafeInteger(expires) || expires < Date.now()) return false
    const expected = Buffer.from(sign(request.tenant!.id, request.member!.id, expires))
    const given = Buffer.from(signature)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }
  const origin = (request: FastifyRequest) => `${new URL(ctx.settings.publicUrl).protocol}//${request.headers.host}`

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember())
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/me/data', async (request, reply) => {
      const member = request.member!
      const counts = await countsByCategory(app, ctx, request.em, member.tenantId, member.id)
      const rows = categories(ctx).map((category) => ({
        ...category,
        count: counts.get(`${category.plugin}/${category.category}`) ?? 0,
        visible: category.visibleTo.map(who)
      }))
      return reply.page('privacy/data', { categories: rows, tenantName: request.tenant!.name }, { title: 'privacy.data.title' })
    })

    routes.get('/me/export', async (request, reply) => {
      const member = request.member!
      const open = await request.em.findOne(DataExport, { memberId: member.id, openKey: member.id })
      const live = open && !(open.expiresAt && open.expiresAt <= new Date()) ? open : null
      const raw = live ? await issueLink(request.em, live) : undefined
      return reply.page(
        'privacy/export',
        { open: live, link: raw ? `/me/export/${live!.id}/${raw}` : undefined, hours: ctx.config.exportHours },
        { title: 'privacy.export.title' }
      )
    })

    routes.post('/me/export', { schema: { body: CsrfOnly } }, async (request, reply) => {
      const member = request.member!
      const { created } = await requestExport(ctx, request.em, member.tenantId, member.id)
      // A new request needs no notice: the page it lands on says the archive is being prepared.
      if (!created) request.flash('info', ctx.t(request.locale, 'privacy.export.already'))
      return reply.redirect('/me/export', 303)
    })

    routes.get('/me/export/:id/:token', { schema: { params: DownloadParams } }, async (request, reply) => {
      try {
        const archive = await takeArchive(request.em, request.member!.id, request.params.id, request.params.token)
        return reply
          .header('content-type', 'application/gzip')
          .header('content-disposition', `attachment; filename="kaiku-export-${new Date().toISOString().slice(0, 10)}.tar.gz"`)
          .header('cache-control', 'no-store')
          .send(archive)
      } catch (error) {
        if (error instanceof NotFoundError) throw error
        return reply.page('privacy/export-gone', {}, { title: 'privacy.export.title', status: 410 })
      }
    })

    routes.get('/me/delete', async (request, reply) =>
      reply.page('privacy/delete', { email: request.member!.email }, { title: 'privacy.delete.title' })
    )

    routes.post('/me/delete', { schema: { body: CsrfOnly } }, async (request, reply) => {
      const member = request.member!
      const expires = Date.now() + CONFIRM_MS
      const token = `${expires}.${sign(member.tenantId, member.id, expires)}`
      await request.em.transactional((tx) =>
        ctx.mail.send(tx, {
          to: member.email,
          template: 'privacy/erase-confirm',
          data: { name: member.name, tenantName: request.tenant!.name, link: `${origin(request)}/me/delete/${token}` },
          tenant: member.tenantId,
          locale: request.locale
        })
      )
      request.flash('info', ctx.t(request.locale, 'privacy.delete.sent', { email: member.email }))
      return reply.redirect('/me/delete', 303)
    })

    routes.get('/me/delete/:token', { schema: { params: TokenParams } }, async (request, reply) => {
      if (!validToken(request, request.params.token)) return reply.page('privacy/delete', { email: request.member!.email, badLink: true }, { title: 'privacy.delete.title', status: 400 })
      return reply.page('privacy/delete-confirm', { token: request.params.token }, { title: 'privacy.delete.confirmTitle' })
    })

    routes.post('/me/delete/:token', { schema: { params: TokenParams, body: CsrfOnly } }, async (request, reply) => {
      const member = request.member!
      if (!validToken(request, request.params.token)) return reply.page('privacy/delete', { email: member.email, badLink: true }, { title: 'privacy.delete.title', status: 400 })
      try {
        await eraseMember(app, ctx, request.em, member.tenantId, member.id, 'erase')
      } catch (error) {
        if (!(error instanceof LastOwnerError)) throw error
        return reply.page('privacy/delete', { email: member.email, lastOwner: true, tenantName: request.tenant!.name }, { title: 'privacy.delete.title', status: 409 })
      }
      // The session row is gone; destroying it here keeps the reply from writing it back. From here on
      // the request is nobody's: what is logged after the reply (e.g. analytics' request log) must not
      // name the member who was just erased.
      await request.session.destroy()
      request.member = null
      return reply.redirect('/privacy/erased', 303)
    })
  })
}
