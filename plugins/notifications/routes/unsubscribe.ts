import type { FastifyInstance } from 'fastify'
import { Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { preferencesOf } from '../services/preferences.js'
import type { UnsubscribeTokens } from '../services/tokens.js'

const Params = Type.Object({ token: Type.String({ maxLength: 600 }) })
const Body = Type.Object({ 'List-Unsubscribe': Type.Optional(Type.String({ maxLength: 40 })) }, { additionalProperties: true })

/**
 * One-click unsubscribe without signing in (RFC 8058): the mail client POSTs to the link; a person
 * opening it gets a page with a button (so link scanners cannot unsubscribe anyone by fetching it).
 * The signed token switches off its one category, in its own instance, for its own member.
 */
export function unsubscribeRoutes(app: FastifyInstance, ctx: PluginContext, tokens: UnsubscribeTokens): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const claimFor = (request: { tenant: { id: string } | null }, token: string) => {
    const claim = tokens.read(token)
    if (typeof claim === 'string') return claim
    // A token of another instance is refused on this one's host.
    return request.tenant && request.tenant.id === claim.tenantId ? claim : 'invalid'
  }

  routes.get('/unsubscribe/:token', { schema: { params: Params } }, async (request, reply) => {
    const claim = claimFor(request, request.params.token)
    if (typeof claim === 'string') return reply.page('notifications/unsubscribe-invalid', { expired: claim === 'expired' }, { title: 'notifications.unsubscribe.title', status: 400 })
    return reply.page('notifications/unsubscribe', { token: request.params.token, category: `notifications.category.${claim.category}` }, { title: 'notifications.unsubscribe.title' })
  })

  routes.post(
    '/unsubscribe/:token',
    { schema: { params: Params, body: Body }, config: { csrf: false, rateLimit: { max: 30, timeWindow: 60_000 } } },
    async (request, reply) => {
      const claim = claimFor(request, request.params.token)
      if (typeof claim === 'string') return reply.page('notifications/unsubscribe-invalid', { expired: claim === 'expired' }, { title: 'notifications.unsubscribe.title', status: 400 })
      const em = request.em
      em.setFilterParams('tenant', { tenantId: claim.tenantId })
      if (!(await app.auth.members(em, [claim.memberId])).has(claim.memberId)) return reply.page('notifications/unsubscribe-invalid', { expired: false }, { title: 'notifications.unsubscribe.title', status: 400 })
      const preferences = await preferencesOf(em, claim.tenantId, claim.memberId)
      if (!preferences.off.includes(claim.category)) preferences.off = [...preferences.off, claim.category]
      preferences.updatedAt = new Date()
      await em.flush()
      return reply.page('notifications/unsubscribed', { category: `notifications.category.${claim.category}` }, { title: 'notifications.unsubscribe.title' })
    }
  )
}
