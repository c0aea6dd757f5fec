import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ConflictError, KaikuError, NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { PostNetworks } from '../entities/sharing.entity.js'
import { isNetwork, NETWORKS, type Network } from '../lib/networks.js'
import type { RedirectDirectory } from '../services/redirects.js'
import { domainTaken, formerDomains, networksFor, releaseDomain, saveSettings, setPostNetworks, settingsOf } from '../services/settings.js'
import { networkLabel } from './share.js'

const Many = Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Array(Type.String({ maxLength: 20 }), { maxItems: 20 })]))
const SettingsBody = Type.Object({ networks: Many, utmCampaign: Type.Optional(Type.String({ maxLength: 500 })), shortDomain: Type.Optional(Type.String({ maxLength: 500 })), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const PostBody = Type.Object({ networks: Many, all: Type.Optional(Type.String({ maxLength: 5 })), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const ReleaseBody = Type.Object({ host: Type.String({ maxLength: 253 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value])
const HOST = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/
const tenantOf = (request: FastifyRequest) => {
  if (!request.tenant) throw new KaikuError('NOT_FOUND')
  return request.tenant.id
}

/**
 * Admins choose the networks their members may share to, the UTM campaign of their links and an
 * optional short domain of their own (/admin/networks); curators narrow the networks of one post.
 */
export function adminRoutes(app: FastifyInstance, ctx: PluginContext, directory: RedirectDirectory): void {
  ctx.nav.add({ label: 'nav.networks', href: '/admin/networks', roles: ['owner', 'admin'], order: 640 })
  const baseHost = new URL(ctx.settings.publicUrl).hostname.toLowerCase()

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const page = async (request: FastifyRequest, reply: FastifyReply, values: { networks: string[]; utmCampaign: string; shortDomain: string }, errors: FieldErrors = {}) =>
      reply.page(
        'sharing/admin-networks',
        {
          networks: NETWORKS.map((id) => ({ id, label: networkLabel(id), checked: values.networks.includes(id) })),
          values,
          errors,
          baseHost,
          former: await formerDomains(request.em, tenantOf(request))
        },
        { title: 'sharing.admin.title', status: Object.keys(errors).length ? 400 : 200 }
      )

    routes.get('/admin/networks', async (request, reply) => {
      const settings = await settingsOf(request.em, tenantOf(request))
      return page(request, reply, { networks: settings.networks, utmCampaign: settings.utmCampaign, shortDomain: settings.shortDomain ?? '' })
    })

    routes.post('/admin/networks', { schema: { body: SettingsBody } }, async (request, reply) => {
      const tenantId = tenantOf(request)
      const networks = list(request.body.networks)
      const utmCampaign = (request.body.utmCampaign ?? '').trim()
      const shortDomain = (request.body.shortDomain ?? '').trim().toLowerCase().replace(/\.$/, '')
      const values = { networks, utmCampaign, shortDomain }
      const errors: FieldErrors = {}
      if (networks.some((network) => !isNetwork(network))) errors.networks = 'sharing.admin.unknownNetwork'
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(utmCampaign)) errors.utmCampaign = 'sharing.admin.campaignInvalid'
      if (shortDomain && (!HOST.test(shortDomain) || shortDomain === baseHost || shortDomain.endsWith(`.${baseHost}`))) errors.shortDomain = 'sharing.admin.domainInvalid'
      else if (shortDomain && (await domainTaken(request.em, tenantId, shortDomain))) errors.shortDomain = 'sharing.admin.domainTaken'
      if (Object.keys(errors).length) return page(request, reply, values, errors)
      try {
        await saveSettings(request.em, tenantId, { networks: networks.filter(isNetwork), utmCampaign, shortDomain: shortDomain || null })
      } catch (error) {
        // Another instance took the domain between the check above and the save.
        if (error instanceof ConflictError) return page(request, reply, values, { shortDomain: 'sharing.admin.domainTaken' })
        throw error
      }
      directory.forgetHosts(tenantId)
      request.flash('success', ctx.t(request.locale, 'sharing.admin.saved'))
      return reply.redirect('/admin/networks', 303)
    })

    // A former short domain let go: its links get a 404 here (on other app instances within a minute).
    routes.post('/admin/networks/former/remove', { schema: { body: ReleaseBody } }, async (request, reply) => {
      const tenantId = tenantOf(request)
      const host = request.body.host.trim().toLowerCase()
      if (!(await releaseDomain(request.em, tenantId, host))) throw new NotFoundError()
      directory.forgetHosts(tenantId)
      request.flash('success', ctx.t(request.locale, 'sharing.admin.formerRemoved', { host }))
      return reply.redirect('/admin/networks', 303)
    })
  })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember('owner', 'admin', 'curator'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const postPage = async (request: FastifyRequest, reply: FastifyReply, id: string) => {
      const post = await app.feeds.post(request.em, id)
      if (!post) throw new NotFoundError()
      const tenantId = tenantOf(request)
      const [settings, narrowed, current] = await Promise.all([settingsOf(request.em, tenantId), request.em.findOne(PostNetworks, { postId: post.id }), networksFor(request.em, tenantId, post.id)])
      const networks = settings.networks.filter(isNetwork).map((network) => ({ id: network, label: networkLabel(network), checked: current.includes(network) }))
      return reply.page('sharing/post-networks', { post, networks, narrowed: Boolean(narrowed) }, { title: 'sharing.postNetworks.title' })
    }

    routes.get('/posts/:id/networks', { schema: { params: IdParams } }, async (request, reply) => postPage(request, reply, request.params.id))

    routes.post('/posts/:id/networks', { schema: { params: IdParams, body: PostBody } }, async (request, reply) => {
      const post = await app.feeds.post(request.em, request.params.id)
      if (!post) throw new NotFoundError()
      const tenantId = tenantOf(request)
      const allowed = (await settingsOf(request.em, tenantId)).networks
      // A post can only narrow the instance's choice, never widen it.
      const chosen = request.body.all ? null : list(request.body.networks).filter((n): n is Network => isNetwork(n) && allowed.includes(n))
      await setPostNetworks(request.em, tenantId, post.id, chosen)
      request.flash('success', ctx.t(request.locale, 'sharing.postNetworks.saved'))
      return reply.redirect(`/posts/${post.id}#share`, 303)
    })
  })
}
