import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Image, Post, type PostEntity } from '../entities/post.entity.js'
import { Suggestion, type SuggestionEntity } from '../entities/social.entity.js'
import { createPost, findPost, isId, postDetails, updatePost } from '../services/posts.js'
import { readPostForm, textRows, valuesFromBody, valuesFromPost, MAX_TEXTS, type PostFormValues } from '../services/post-form.js'
import { TEXT_NETWORKS } from '../lib/networks.js'
import { previewInto } from '../services/post-preview.js'
import { approveSuggestion } from '../services/suggestions.js'
import { fetchLimits, type FetchSettings } from '../sources.js'
import { listTopics } from '../services/topics.js'
import { Csrf, CURATORS, originOf, Text, tenantOf, viewerOf } from './common.js'

const Many = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Array(Type.String({ maxLength: max }), { maxItems: 200 })]))

const PostBody = Type.Object({
  url: Text(4000),
  title: Text(2000),
  summary: Text(10_000),
  imageId: Text(36),
  disclosure: Text(1000),
  textsLocked: Text(10),
  pinned: Text(10),
  publish: Text(20),
  publishAt: Text(40),
  expiresAt: Text(40),
  topics: Many(36),
  textNetwork: Many(20),
  textBody: Many(5000),
  suggestionId: Text(36),
  /** "preview" fetches the page's title, summary and image; anything else saves. */
  action: Text(20),
  ...Csrf
})
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const NewQuery = Type.Object({ suggestion: Text(100), url: Text(4000) })

const timeZoneOf = (request: FastifyRequest) => request.tenant?.timeZone ?? 'UTC'

/**
 * Curators and admins write posts at /posts/new and /posts/:id/edit. The form works without script:
 * "Fetch preview" posts it back and fills the empty fields from the page; with script, pasting a URL
 * does the same through /posts/preview. Approving a suggestion opens this form filled from it.
 */
export function postRoutes(app: FastifyInstance, ctx: PluginContext<FetchSettings>): void {
  const limits = fetchLimits(ctx.config)

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...CURATORS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    // The networks share texts may be written for: those other plugins leave offered ('any' always),
    // and, for a post, those its texts already have (an admin may have disallowed one since).
    const offeredNetworks = async (request: FastifyRequest) => {
      const offered = await ctx.events.filter('post.textNetworks', [...TEXT_NETWORKS], { em: request.em, tenantId: tenantOf(request) })
      return offered.includes('any') ? offered : ['any', ...offered]
    }
    const acceptedNetworks = async (request: FastifyRequest, post?: PostEntity) =>
      new Set([...(await offeredNetworks(request)), ...(post ? (await postDetails(request.em, post.id)).shareTexts.map((text) => text.network) : [])])

    const formPage = async (request: FastifyRequest, reply: FastifyReply, values: PostFormValues, options: { post?: PostEntity; suggestion?: SuggestionEntity | null; errors?: FieldErrors; notice?: string }) => {
      const errors = options.errors ?? {}
      const topics = (await listTopics(request.em)).map((topic) => ({ ...topic, selected: values.topicIds.includes(topic.id) }))
      const image = values.imageId && isId(values.imageId) ? await request.em.findOne(Image, { id: values.imageId }, { fields: ['id'] }) : null
      const credits = options.suggestion?.memberId ? await app.auth.members(request.em, [options.suggestion.memberId]) : undefined
      return reply.page(
        'feeds/post-form',
        {
          post: options.post,
          suggestion: options.suggestion ? { ...options.suggestion, by: credits?.get(options.suggestion.memberId ?? '')?.name } : undefined,
          values: { ...values, imageId: image ? image.id : '' },
          texts: textRows(values, errors, await offeredNetworks(request)),
          maxTexts: MAX_TEXTS,
          topics,
          errors,
          notice: options.notice,
          timeZone: timeZoneOf(request),
          action: options.post ? `/posts/${options.post.id}/edit` : '/posts/new'
        },
        { title: options.post ? 'feeds.post.editTitle' : 'feeds.post.newTitle', status: Object.keys(errors).length ? 400 : 200, scripts: ['/static/feeds/post-form.js'] }
      )
    }

    const pendingSuggestion = async (request: FastifyRequest, id: string | undefined) => {
      if (!id) return null
      const suggestion = isId(id) ? await request.em.findOne(Suggestion, { id: id.toLowerCase(), status: 'pending' }) : null
      if (!suggestion) throw new NotFoundError()
      return suggestion
    }

    routes.get('/posts/new', { schema: { querystring: NewQuery } }, async (request, reply) => {
      const suggestion = await pendingSuggestion(request, request.query.suggestion)
      const values = valuesFromBody({ url: suggestion?.url ?? request.query.url, title: suggestion?.title ?? '', summary: suggestion?.summary ?? '', imageId: suggestion?.imageId ?? '', topics: suggestion?.topicIds, suggestionId: suggestion?.id })
      return formPage(request, reply, values, { suggestion })
    })

    routes.post('/posts/new', { schema: { body: PostBody }, config: { rateLimit: { max: 60, timeWindow: 60_000 } } }, async (request, reply) => {
      const values = valuesFromBody(request.body)
      const suggestion = await pendingSuggestion(request, values.suggestionId || undefined)
      if (request.body.action === 'preview') {
        const { errors, notice } = await previewInto(app, request, values, limits)
        return formPage(request, reply, values, { suggestion, errors, notice })
      }
      const { errors, input } = readPostForm(values, timeZoneOf(request), new Date(), await acceptedNetworks(request))
      if (!input) return formPage(request, reply, values, { suggestion, errors })
      const me = viewerOf(request)
      const tenantId = tenantOf(request)
      const post = await request.em.transactional(async (em) => {
        const created = await createPost(em, ctx, tenantId, { ...input, authorId: me.id, suggestedById: suggestion?.memberId ?? null })
        if (suggestion) await approveSuggestion(app, em, ctx, suggestion.id, created, me.id, originOf(request, ctx.settings.publicUrl))
        return created
      })
      request.flash('success', ctx.t(request.locale, `feeds.post.saved.${post.status}`))
      return reply.redirect(`/posts/${post.id}`, 303)
    })

    const editable = async (request: FastifyRequest, id: string) => {
      const post = await findPost(request.em, id)
      if (!post) throw new NotFoundError()
      return post
    }

    routes.get('/posts/:id/edit', { schema: { params: IdParams } }, async (request, reply) => {
      const post = await editable(request, request.params.id)
      return formPage(request, reply, valuesFromPost(post, await postDetails(request.em, post.id), timeZoneOf(request)), { post })
    })

    routes.post('/posts/:id/edit', { schema: { params: IdParams, body: PostBody } }, async (request, reply) => {
      const post = await editable(request, request.params.id)
      const values = valuesFromBody(request.body)
      if (request.body.action === 'preview') {
        const { errors, notice } = await previewInto(app, request, values, limits)
        return formPage(request, reply, values, { post, errors, notice })
      }
      const { errors, input } = request.body.action === 'archive' ? { errors: {}, input: undefined } : readPostForm(values, timeZoneOf(request), new Date(), await acceptedNetworks(request, post))
      if (!input && request.body.action !== 'archive') return formPage(request, reply, values, { post, errors })
      const status = await request.em.transactional(async (em) => {
        const fresh = await em.findOneOrFail(Post, { id: post.id })
        if (!input) {
          fresh.status = 'archived'
          fresh.updatedAt = new Date()
        } else {
          // Saving a published post as "publish now" keeps its place in the feed.
          await updatePost(em, ctx, fresh, { ...input, publish: input.publish === 'now' && fresh.status === 'published' ? 'keep' : input.publish })
        }
        return fresh.status
      })
      request.flash('success', ctx.t(request.locale, `feeds.post.saved.${status}`))
      return reply.redirect(`/posts/${post.id}`, 303)
    })
  })
}
