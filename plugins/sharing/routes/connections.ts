import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KaikuError, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { DirectPost, type DirectPostStatus } from '../entities/connections.entity.js'
import { mastodonHost } from '../lib/networks.js'
import { ProviderUnreachable } from '../lib/outbound.js'
import { DIRECT_NETWORKS, isDirectNetwork, ProviderRefused, type DirectNetwork } from '../providers/index.js'
import { ConnectRefused, LINKEDIN_HOST, ConnectionService, type Viewer } from '../services/connections.js'
import type { DirectPoster } from '../services/direct-posts.js'
import { settingsOf } from '../services/settings.js'
import { profileOf } from '../services/shares.js'
import { linkOrigin, networkLabel } from './share.js'

const MEMBERS = ['owner', 'admin', 'curator', 'member'] as const
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) }
const NetworkParams = Type.Object({ network: Type.String({ maxLength: 40 }) })
const ConnectBody = Type.Object({ instance: Type.Optional(Type.String({ maxLength: 300 })), returnTo: Type.Optional(Type.String({ maxLength: 300 })), ...Csrf })
const CallbackQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 200 })),
  code: Type.Optional(Type.String({ maxLength: 2000 })),
  error: Type.Optional(Type.String({ maxLength: 200 }))
})
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const PageQuery = Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 300 })) })
/** Only a share page of Kaiku's own is a place to come back to. */
const RETURN_TO = /^\/posts\/[0-9a-f-]{36}\/share\/[a-z]{1,20}$/
const returnPath = (value: string | undefined) => (value && RETURN_TO.test(value) ? value : null)
const BADGES: Record<DirectPostStatus, string> = { scheduled: 'queued', posting: 'running', posted: 'done', failed: 'dead', cancelled: 'cancelled' }

/**
 * A member's connected accounts (/me/connections): connect (the OAuth round trip), reconnect,
 * disconnect, and the posts Kaiku made or will make for them, with how each went.
 */
export function connectionRoutes(app: FastifyInstance, ctx: PluginContext, connections: ConnectionService, poster: DirectPoster): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...MEMBERS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const viewer = (request: FastifyRequest): Viewer => {
      if (!request.viewer || !request.tenant) throw new KaikuError('UNAUTHORIZED')
      return { tenantId: request.tenant.id, memberId: request.viewer.id, sessionId: request.session.sessionId }
    }

    /** The networks the instance allows that Kaiku can post to directly. */
    const allowedNetworks = async (request: FastifyRequest) => {
      const allowed = (await settingsOf(request.em, viewer(request).tenantId)).networks
      return DIRECT_NETWORKS.filter((network) => allowed.includes(network))
    }

    /** The page, with what went wrong connecting one network (its message key, the server typed, the status). */
    const page = async (request: FastifyRequest, reply: FastifyReply, returnTo: string | null, failure?: { network: DirectNetwork; error: string; instance: string; status: number }) => {
      const me = viewer(request)
      const [networks, mine, profile, rows] = await Promise.all([
        allowedNetworks(request),
        connections.list(request.em, me.memberId),
        profileOf(request.em, me.tenantId, me.memberId),
        request.em.find(DirectPost, { memberId: me.memberId }, { orderBy: { createdAt: 'desc' }, limit: 50 })
      ])
      const posts = await app.feeds.posts(request.em, rows.map((row) => row.postId))
      const cards = await Promise.all(
        networks.map(async (network) => {
          const connection = mine.find((c) => c.network === network)
          return {
            id: network,
            label: networkLabel(network),
            connection,
            needsReconnect: Boolean(connection && !ConnectionService.usable(connection)),
            available: await connections.available(request.em, network),
            isMastodon: network === 'mastodon',
            error: failure?.network === network ? failure.error : undefined
          }
        })
      )
      const history = rows.map((row) => ({
        ...row,
        title: posts.get(row.postId)?.title ?? '',
        label: networkLabel(row.network),
        statusLabel: `sharing.direct.status.${row.status}`,
        badge: BADGES[row.status],
        failure: row.failure ? `sharing.direct.failure.${row.failure}` : null,
        cancellable: row.status === 'scheduled'
      }))
      const mastodon = mine.find((c) => c.network === 'mastodon')
      return reply.page(
        'sharing/connections',
        { networks: cards, history, returnTo, instance: failure?.instance ?? mastodon?.host ?? profile.mastodonInstance ?? '' },
        { title: 'sharing.connections.title', status: failure?.status ?? 200 }
      )
    }

    const network = async (request: FastifyRequest, name: string): Promise<DirectNetwork> => {
      if (!isDirectNetwork(name)) throw new NotFoundError()
      if (!(await allowedNetworks(request)).includes(name)) throw new NotFoundError()
      return name
    }

    routes.get('/me/connections', { schema: { querystring: PageQuery } }, async (request, reply) => page(request, reply, returnPath(request.query.returnTo)))

    routes.post('/me/connections/:network', { schema: { params: NetworkParams, body: ConnectBody }, config: { rateLimit: { max: 20, timeWindow: 60_000 } } }, async (request, reply) => {
      const name = await network(request, request.params.network)
      const typed = request.body.instance ?? ''
      const host = name === 'mastodon' ? mastodonHost(typed) : LINKEDIN_HOST
      const returnTo = returnPath(request.body.returnTo)
      const refused = (error: string, status: number) => page(request, reply, returnTo, { network: name, error, instance: typed, status })
      if (!host) return refused('sharing.compose.instanceInvalid', 400)
      const redirectUri = `${linkOrigin(request, ctx.settings.publicUrl)}/me/connections/${name}/callback`
      let authorizeUrl: string
      try {
        authorizeUrl = await connections.begin(request.em, viewer(request), { network: name, host, redirectUri, returnTo })
      } catch (error) {
        if (error instanceof ProviderUnreachable) return refused(`sharing.connections.refused.${error.reason}`, error.reason === 'address' ? 400 : 502)
        if (error instanceof ProviderRefused) return refused('sharing.connections.refused.registration', 502)
        if (error instanceof ConnectRefused) return refused(`sharing.connections.refused.${error.reason}`, 409)
        throw error
      }
      // A page with a link, not a redirect: the page's CSP (form-action 'self') would stop a form from being redirected to another site.
      return reply.page('sharing/connect-continue', { network: name, label: networkLabel(name), host, authorizeUrl }, { title: 'sharing.connections.continueTitle' })
    })

    // The provider sends the member back here with a GET; the state (single use, bound to this member and session) is what makes it safe.
    routes.get('/me/connections/:network/callback', { schema: { params: NetworkParams, querystring: CallbackQuery } }, async (request, reply) => {
      const name = await network(request, request.params.network)
      try {
        const { connection, returnTo } = await connections.finish(request.em, viewer(request), name, { state: request.query.state ?? '', code: request.query.code, error: request.query.error })
        request.flash('success', ctx.t(request.locale, 'sharing.connections.connectedAs', { network: ctx.t(request.locale, networkLabel(name)), account: connection.accountName }))
        return reply.redirect(returnTo ? `${returnTo}#direct` : '/me/connections', 303)
      } catch (error) {
        if (error instanceof ConnectRefused && error.reason === 'state') throw new KaikuError('INVALID_INPUT', ctx.t(request.locale, 'sharing.connections.refused.state'))
        if (error instanceof ConnectRefused) request.flash('info', ctx.t(request.locale, `sharing.connections.refused.${error.reason}`))
        else if (error instanceof ProviderRefused || error instanceof ProviderUnreachable) request.flash('error', ctx.t(request.locale, 'sharing.connections.refused.exchange'))
        else throw error
        return reply.redirect('/me/connections', 303)
      }
    })

    routes.post('/me/connections/:network/disconnect', { schema: { params: NetworkParams, body: Type.Object(Csrf) } }, async (request, reply) => {
      if (!isDirectNetwork(request.params.network)) throw new NotFoundError()
      if (await connections.disconnect(request.em, viewer(request).memberId, request.params.network)) {
        request.flash('success', ctx.t(request.locale, 'sharing.connections.disconnected', { network: ctx.t(request.locale, networkLabel(request.params.network)) }))
      }
      return reply.redirect('/me/connections', 303)
    })

    routes.post('/me/direct-posts/:id/cancel', { schema: { params: IdParams, body: Type.Object(Csrf) } }, async (request, reply) => {
      if (!(await poster.cancel(request.em, viewer(request).memberId, request.params.id))) throw new NotFoundError()
      request.flash('success', ctx.t(request.locale, 'sharing.direct.cancelled'))
      return reply.redirect('/me/connections#direct-posts', 303)
    })
  })
}
