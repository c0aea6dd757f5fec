import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KaikuError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { ConnectionService } from '../services/connections.js'
import { linkOrigin } from './share.js'

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) }
const AppBody = Type.Object({ clientId: Type.Optional(Type.String({ maxLength: 500 })), clientSecret: Type.Optional(Type.String({ maxLength: 500 })), ...Csrf })
/** What LinkedIn's developer portal shows as a client id or secret: letters, digits and a few marks. */
const CREDENTIAL = /^[A-Za-z0-9._~+/=-]{4,500}$/

/**
 * Admins enter their own LinkedIn app (/admin/networks/linkedin): members can then connect LinkedIn
 * and post from Kaiku. LinkedIn gives apps to companies, not to Kaiku: each instance brings its own.
 */
export function adminLinkedinRoutes(app: FastifyInstance, ctx: PluginContext, connections: ConnectionService): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()
    const tenantOf = (request: FastifyRequest) => {
      if (!request.tenant) throw new KaikuError('NOT_FOUND')
      return request.tenant.id
    }

    const page = async (request: FastifyRequest, reply: FastifyReply, values?: { clientId: string }, errors: FieldErrors = {}) => {
      const current = await connections.linkedinApp(request.em)
      const redirectUri = `${linkOrigin(request, ctx.settings.publicUrl)}/me/connections/linkedin/callback`
      return reply.page(
        'sharing/admin-linkedin',
        { configured: Boolean(current), values: values ?? { clientId: current?.clientId ?? '' }, redirectUri, errors },
        { title: 'sharing.linkedinApp.title', status: Object.keys(errors).length ? 400 : 200 }
      )
    }

    routes.get('/admin/networks/linkedin', async (request, reply) => page(request, reply))

    routes.post('/admin/networks/linkedin', { schema: { body: AppBody } }, async (request, reply) => {
      const tenantId = tenantOf(request)
      const clientId = (request.body.clientId ?? '').trim()
      const clientSecret = (request.body.clientSecret ?? '').trim()
      const configured = Boolean(await connections.linkedinApp(request.em))
      const errors: FieldErrors = {}
      if (!CREDENTIAL.test(clientId)) errors.clientId = 'sharing.linkedinApp.invalid'
      if (clientSecret ? !CREDENTIAL.test(clientSecret) : !configured) errors.clientSecret = 'sharing.linkedinApp.invalid'
      if (Object.keys(errors).length) return page(request, reply, { clientId }, errors)
      await connections.saveLinkedinApp(request.em, tenantId, clientId, clientSecret || null)
      request.flash('success', ctx.t(request.locale, 'sharing.linkedinApp.saved'))
      return reply.redirect('/admin/networks/linkedin', 303)
    })

    routes.post('/admin/networks/linkedin/remove', { schema: { body: Type.Object(Csrf) } }, async (request, reply) => {
      await connections.removeLinkedinApp(request.em)
      request.flash('success', ctx.t(request.locale, 'sharing.linkedinApp.removed'))
      return reply.redirect('/admin/networks/linkedin', 303)
    })
  })
}
