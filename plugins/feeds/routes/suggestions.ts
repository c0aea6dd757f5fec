import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cleanText, cleanUrl, NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Suggestion } from '../entities/social.entity.js'
import { isId } from '../services/posts.js'
import { createSuggestion, rejectSuggestion } from '../services/suggestions.js'
import { Csrf, CURATORS, MEMBERS, originOf, Text, tenantOf, viewerOf } from './common.js'

const SuggestBody = Type.Object({ url: Text(4000), comment: Text(5000), ...Csrf })
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const RejectBody = Type.Object({ note: Text(5000), ...Csrf })

/**
 * Members suggest links (/suggest, with their own suggestions and what became of them); curators work
 * through the review queue (/review): approve by editing the link into a post, or reject with a note.
 */
export function suggestionRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.suggest', href: '/suggest', roles: [...MEMBERS], order: 300 })
  ctx.nav.add({ label: 'nav.review', href: '/review', roles: [...CURATORS], order: 220 })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...MEMBERS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const suggestPage = async (request: FastifyRequest, reply: FastifyReply, values = { url: '', comment: '' }, errors: FieldErrors = {}) => {
      const found = await request.em.find(Suggestion, { memberId: viewerOf(request).id }, { orderBy: { createdAt: 'desc' }, limit: 50 })
      // An approved suggestion's post is linked once it is live; until then it is "to be published".
      const mine = found.map((suggestion) => ({ ...suggestion, live: Boolean(suggestion.creditedAt), upcoming: suggestion.status === 'approved' && !suggestion.creditedAt }))
      return reply.page('feeds/suggest', { values, errors, mine, statusKeys: { pending: 'feeds.suggest.pending', approved: 'feeds.suggest.approved', rejected: 'feeds.suggest.rejected' } }, { title: 'feeds.suggest.title', status: Object.keys(errors).length ? 400 : 200 })
    }

    routes.get('/suggest', async (request, reply) => suggestPage(request, reply))

    routes.post('/suggest', { schema: { body: SuggestBody }, config: { rateLimit: { max: 20, timeWindow: 60_000 } } }, async (request, reply) => {
      const values = { url: request.body.url ?? '', comment: request.body.comment ?? '' }
      const url = cleanUrl(values.url)
      const comment = cleanText(values.comment, 1000, false, true)
      const errors: FieldErrors = {}
      if (url.error) errors.url = url.error
      if (comment.error) errors.comment = comment.error
      if (Object.keys(errors).length) return suggestPage(request, reply, values, errors)
      const tenantId = tenantOf(request)
      await request.em.transactional((em) => createSuggestion(em, ctx, tenantId, { url: url.value, comment: comment.value || null, memberId: viewerOf(request).id }))
      request.flash('success', ctx.t(request.locale, 'feeds.suggest.sent'))
      return reply.redirect('/suggest', 303)
    })
  })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...CURATORS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/review', async (request, reply) => {
      const pending = await request.em.find(Suggestion, { status: 'pending' }, { orderBy: { createdAt: 'asc' }, limit: 100 })
      const people = await app.auth.members(request.em, pending.map((s) => s.memberId ?? ''))
      const rows = pending.map((suggestion) => ({ ...suggestion, by: suggestion.memberId ? people.get(suggestion.memberId)?.name : undefined, fromSource: Boolean(suggestion.sourceId) }))
      return reply.page('feeds/review', { rows }, { title: 'feeds.review.title' })
    })

    routes.post('/review/:id/reject', { schema: { params: IdParams, body: RejectBody } }, async (request, reply) => {
      const id = request.params.id
      const note = cleanText(request.body.note, 1000, false, true)
      if (note.error) {
        request.flash('error', ctx.t(request.locale, 'feeds.review.noteTooLong'))
        return reply.redirect('/review', 303)
      }
      const found = await request.em.transactional(async (em) => {
        const suggestion = isId(id) ? await em.findOne(Suggestion, { id: id.toLowerCase(), status: 'pending' }) : null
        if (!suggestion) return false
        await rejectSuggestion(app, em, ctx, suggestion.id, note.value, viewerOf(request).id, originOf(request, ctx.settings.publicUrl))
        return true
      })
      if (!found) throw new NotFoundError()
      request.flash('success', ctx.t(request.locale, 'feeds.review.rejected'))
      return reply.redirect('/review', 303)
    })
  })
}
