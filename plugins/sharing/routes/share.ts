import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, fromLocalInput, KaikuError, NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { DirectPost } from '../entities/connections.entity.js'
import { Link, Share } from '../entities/sharing.entity.js'
import { composeText, isNetwork, mastodonHost, SPECS, weightOf, type Network } from '../lib/networks.js'
import { linkFor, trackedTarget } from '../services/links.js'
import type { RedirectDirectory } from '../services/redirects.js'
import { networksFor, settingsOf } from '../services/settings.js'
import { profileOf, recordShare, sameShare } from '../services/shares.js'
import type { DirectShare } from './direct-share.js'

const MEMBERS = ['owner', 'admin', 'curator', 'member'] as const
const Params = Type.Object({ id: Type.String({ maxLength: 100 }), network: Type.String({ maxLength: 40 }) })
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const ShareBody = Type.Object({
  text: Type.Optional(Type.String({ maxLength: 20_000 })),
  instance: Type.Optional(Type.String({ maxLength: 300 })),
  /** Absent: the network's share page; `post` and `schedule` post on the member's connected account. */
  action: Type.Optional(Type.Union([Type.Literal('share'), Type.Literal('post'), Type.Literal('schedule')])),
  at: Type.Optional(Type.String({ maxLength: 40 })),
  submission: Type.Optional(Type.String({ maxLength: 40 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 }))
})

const viewer = (request: FastifyRequest) => {
  if (!request.viewer || !request.tenant) throw new KaikuError('UNAUTHORIZED')
  return { id: request.viewer.id, tenantId: request.tenant.id }
}

/** The origin short links are written with: the instance's short domain if it has one, else its own host. */
export function linkOrigin(request: FastifyRequest, publicUrl: string, shortDomain?: string | null): string {
  const protocol = new URL(publicUrl).protocol
  return shortDomain ? `${protocol}//${shortDomain}` : `${protocol}//${request.host}`
}

export const networkLabel = (network: string) => `sharing.network.${network}`

/** Copying a link or mailing it is not sharing "on" a network, so those two get headings of their own. */
const COMPOSE_HEADINGS: Partial<Record<Network, string>> = { copy: 'sharing.compose.headingCopy', email: 'sharing.compose.headingEmail' }

/**
 * The share flow, from any post: pick a network, see (and edit, unless locked) the suggested text with
 * the disclosure line, then Kaiku makes the member's tracked link for (post, network), records the
 * share and offers the network's share page with text and link filled in. With a connected account
 * the member may instead have Kaiku post it, now or at a chosen time (direct-share.ts).
 */
export function shareRoutes(app: FastifyInstance, ctx: PluginContext, direct: DirectShare, directory: RedirectDirectory): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...MEMBERS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    /** The post, if members may share it now, and the network, if allowed for it. */
    const shareable = async (request: FastifyRequest, postId: string, network: string) => {
      const { tenantId } = viewer(request)
      if (!isNetwork(network)) throw new NotFoundError()
      const post = await app.feeds.post(request.em, postId)
      if (!post) throw new NotFoundError()
      if (!post.live) throw new KaikuError('CONFLICT', ctx.t(request.locale, post.status === 'draft' || post.status === 'scheduled' ? 'sharing.error.notYet' : 'sharing.error.notLive'))
      if (!(await networksFor(request.em, tenantId, post.id)).includes(network)) throw new ForbiddenError(ctx.t(request.locale, 'sharing.error.notAllowed'))
      return { post, network }
    }

    routes.get('/posts/:id/share', { schema: { params: IdParams } }, async (request, reply) => {
      const post = await app.feeds.post(request.em, request.params.id)
      if (!post || !post.live) throw new NotFoundError()
      const networks = await networksFor(request.em, viewer(request).tenantId, post.id)
      return reply.page('sharing/choose', { post, networks: networks.map((id) => ({ id, label: networkLabel(id) })) }, { title: 'sharing.choose.title' })
    })

    const composePage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      postId: string,
      networkName: string,
      values?: { text: string; instance: string; at?: string },
      errors: FieldErrors = {},
      failed?: { error: string; detail: string | null; status: number }
    ) => {
      const { post, network } = await shareable(request, postId, networkName)
      const me = viewer(request)
      const spec = SPECS[network]
      let text = values?.text
      if (text === undefined) {
        const texts = await app.feeds.shareTexts(request.em, post.id, network)
        text = texts.length ? texts[Math.floor(Math.random() * texts.length)] : post.title
      }
      const existing = await request.em.findOne(Link, { postId: post.id, memberId: me.id, network })
      const settings = await settingsOf(request.em, me.tenantId)
      const offer = await direct.offer(request, network)
      const instance = values?.instance ?? (network === 'mastodon' ? ((await profileOf(request.em, me.tenantId, me.id)).mastodonInstance ?? offer?.host ?? '') : '')
      // The length the network will count, with a link of the length the member's link will have.
      const sampleUrl = existing ? `${linkOrigin(request, ctx.settings.publicUrl, settings.shortDomain)}/s/${existing.code}` : `${linkOrigin(request, ctx.settings.publicUrl, settings.shortDomain)}/s/0000000000`
      const used = weightOf(network, composeText(text, post.disclosure), sampleUrl)
      return reply.page(
        'sharing/compose',
        {
          post,
          network,
          label: networkLabel(network),
          heading: COMPOSE_HEADINGS[network] ?? 'sharing.compose.heading',
          text,
          instance,
          locked: post.textsLocked,
          disclosure: post.disclosure,
          limit: spec.limit,
          used,
          over: spec.limit !== null && used > spec.limit,
          takesText: spec.takesText,
          linkWeight: spec.linkWeight,
          weighsWide: network === 'x',
          needsInstance: network === 'mastodon',
          direct: offer,
          at: values?.at ?? '',
          failed,
          errors
        },
        { title: 'sharing.compose.title', status: failed?.status ?? (Object.keys(errors).length ? 400 : 200), scripts: ['/static/sharing/compose.js'] }
      )
    }

    routes.get('/posts/:id/share/:network', { schema: { params: Params } }, async (request, reply) => composePage(request, reply, request.params.id, request.params.network))

    routes.post('/posts/:id/share/:network', { schema: { params: Params, body: ShareBody }, config: { rateLimit: { max: 60, timeWindow: 60_000 } } }, async (request, reply) => {
      const { post, network } = await shareable(request, request.params.id, request.params.network)
      const me = viewer(request)
      const spec = SPECS[network]
      // A locked text is shared as the curator wrote it: whatever came with the form is ignored.
      const suggested = await app.feeds.shareTexts(request.em, post.id, network)
      const typed = (request.body.text ?? '').replace(/\r\n?/g, '\n').trim()
      const text = post.textsLocked ? (suggested.includes(typed) ? typed : (suggested[0] ?? post.title)) : typed
      const action = request.body.action ?? 'share'
      const values = { text, instance: request.body.instance ?? '', at: request.body.at ?? '' }
      const errors: FieldErrors = {}
      if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) errors.text = 'core.form.control'
      let instance: string | null = null
      let at: Date | undefined
      if (action === 'schedule') {
        at = fromLocalInput(values.at, request.tenant?.timeZone ?? 'UTC')
        if (!at) errors.at = 'sharing.direct.atInvalid'
        else if (at.getTime() <= Date.now()) errors.at = 'sharing.direct.atPast'
      }
      if (network === 'mastodon' && action === 'share') {
        instance = mastodonHost(values.instance)
        if (!instance) errors.instance = 'sharing.compose.instanceInvalid'
      }
      const settings = await settingsOf(request.em, me.tenantId)
      const origin = linkOrigin(request, ctx.settings.publicUrl, settings.shortDomain)
      const message = composeText(text, post.disclosure)
      if (spec.limit !== null && weightOf(network, message, `${origin}/s/0000000000`) > spec.limit) errors.text = 'sharing.compose.tooLong'
      if (Object.keys(errors).length) return composePage(request, reply, post.id, network, values, errors)

      // A post Kaiku cannot make is refused before anything is made for it, the link included.
      const checked = action === 'share' ? null : await direct.check(request, network, at)
      if (checked?.refused) return composePage(request, reply, post.id, network, values, {}, checked.refused)
      const link = await linkFor(request.em, { tenantId: me.tenantId, postId: post.id, memberId: me.id, network, target: trackedTarget(post.url, network, settings.utmCampaign) }, (code) => directory.forgetLinks([code]))
      if (checked) {
        const outcome = await direct.send(request, { connection: checked.connection, postId: post.id, network, link, message, url: `${origin}/s/${link.code}`, at, submission: request.body.submission })
        if ('redirect' in outcome) return reply.redirect(outcome.redirect, 303)
        return composePage(request, reply, post.id, network, values, {}, outcome)
      }
      const input = { tenantId: me.tenantId, postId: post.id, memberId: me.id, network, linkId: link.id, text: message }
      const share = (await sameShare(request.em, input)) ?? (await recordShare(request.em, ctx, input))
      if (instance) {
        const profile = await profileOf(request.em, me.tenantId, me.id)
        profile.mastodonInstance = instance
        await request.em.flush()
      }
      return reply.redirect(`/shares/${share.id}`, 303)
    })

    routes.get('/shares/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const me = viewer(request)
      const share = /^[0-9a-f-]{36}$/.test(request.params.id) ? await request.em.findOne(Share, { id: request.params.id, memberId: me.id }) : null
      if (!share) throw new NotFoundError()
      const [link, post, settings, profile, posted] = await Promise.all([
        request.em.findOneOrFail(Link, { id: share.linkId }),
        app.feeds.post(request.em, share.postId),
        settingsOf(request.em, me.tenantId),
        profileOf(request.em, me.tenantId, me.id),
        request.em.findOne(DirectPost, { shareId: share.id })
      ])
      const network = share.network as Network
      const url = `${linkOrigin(request, ctx.settings.publicUrl, settings.shortDomain)}/s/${link.code}`
      const full = share.text ? `${share.text}\n\n${url}` : url
      const intent = SPECS[network].intent({ text: share.text, url, full }, profile.mastodonInstance ?? undefined)
      return reply.page(
        'sharing/ready',
        { post, network, label: networkLabel(network), url, full, intent, takesText: SPECS[network].takesText, isEmail: network === 'email', posted },
        { title: 'sharing.ready.title', scripts: ['/static/sharing/compose.js'] }
      )
    })
  })
}
