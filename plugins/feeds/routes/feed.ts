import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cleanText, ForbiddenError, KaikuError, NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Comment, Suggestion } from '../entities/social.entity.js'
import { postCards } from '../services/cards.js'
import { decodeCursor, feedPage } from '../services/feed.js'
import { findPost, isId, isLive, postDetails } from '../services/posts.js'
import { addComment, commentPieces, deleteComment, toggleLike } from '../services/social.js'
import { favouritesOf, listTopics, readerOf } from '../services/topics.js'
import { Csrf, isAdmin, isCurator, MEMBERS, Text, tenantOf, viewerOf } from './common.js'

const FeedQuery = Type.Object({ tab: Text(40), q: Text(200), after: Text(400) })
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const CommentBody = Type.Object({ body: Text(10_000), ...Csrf })

/** A visit more than this long after the last one starts a new "since your last visit". */
const NEW_VISIT_MS = 30 * 60_000

/**
 * The employee feed (/feed: "For you", "All" and one tab per topic; pinned posts first; keyset pages;
 * search; "new since your last visit"), a post's own page with likes and comments.
 */
export function feedRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.feed', href: '/feed', roles: [...MEMBERS], order: 100 })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...MEMBERS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/feed', { schema: { querystring: FeedQuery } }, async (request, reply) => {
      const tenantId = tenantOf(request)
      const me = viewerOf(request)
      const now = new Date()
      const [reader, topics, favourites] = await Promise.all([readerOf(request.em, tenantId, me.id), listTopics(request.em), favouritesOf(request.em, me.id)])
      if (!reader.onboardedAt && topics.length > 0) return reply.redirect('/welcome', 303)

      // Remember the visit (at most once per half hour, so reading the feed rarely writes).
      if (!reader.lastVisitAt || now.getTime() - reader.lastVisitAt.getTime() > NEW_VISIT_MS) {
        reader.previousVisitAt = reader.lastVisitAt ?? null
        reader.lastVisitAt = now
        await request.em.flush()
      }

      const q = (request.query.q ?? '').trim().slice(0, 100)
      const topic = topics.find((candidate) => candidate.id === request.query.tab)
      const tab = topic ? topic.id : request.query.tab === 'all' || favourites.length === 0 ? 'all' : 'for-you'
      const page = await feedPage(request.em, {
        tenantId,
        topicId: topic?.id,
        favourites: tab === 'for-you' ? favourites : undefined,
        search: q || undefined,
        cursor: decodeCursor(request.query.after),
        now
      })
      const since = reader.previousVisitAt
      // One set of queries for the pinned posts and the page together.
      const cards = await postCards(app, request.em, [...page.pinned, ...page.posts], topics, { memberId: me.id, since })
      const pinned = cards.slice(0, page.pinned.length)
      const posts = cards.slice(page.pinned.length)
      // The marker goes before the first post the reader has seen before (when some are new).
      const firstOld = posts.findIndex((post) => !post.isNew)
      const marker = posts.some((post) => post.isNew) && firstOld > 0 ? posts[firstOld].id : undefined
      // An approved suggestion is news once its post is live (credited), not while it is a draft.
      const decisions = await request.em.find(Suggestion, { memberId: me.id, seenAt: null, $or: [{ status: 'rejected' }, { status: 'approved', creditedAt: { $ne: null } }] }, { orderBy: { decidedAt: 'desc' }, limit: 5 })
      if (decisions.length) {
        for (const decision of decisions) decision.seenAt = now
        await request.em.flush()
      }
      const cardLinks = await ctx.events.filter('post.cardLinks', [], { tenantId })
      const query = (extra: Record<string, string>) => new URLSearchParams({ ...(tab !== 'for-you' ? { tab } : {}), ...(q ? { q } : {}), ...extra }).toString()
      return reply.page(
        'feeds/feed',
        {
          tabs: [
            ...(favourites.length ? [{ href: '/feed', key: 'feeds.feed.forYou', active: tab === 'for-you' }] : []),
            { href: '/feed?tab=all', key: 'feeds.feed.all', active: tab === 'all' },
            ...topics.map((t) => ({ href: `/feed?tab=${t.id}`, name: t.name, colour: t.colour, active: tab === t.id }))
          ],
          tab,
          q,
          topic,
          pinned: withLinks(pinned, cardLinks),
          posts: withLinks(posts, cardLinks),
          marker,
          first: !request.query.after,
          next: page.next ? `/feed?${query({ after: page.next })}` : undefined,
          decisions: decisions.map((d) => ({ approved: d.status === 'approved', title: d.title ?? d.url, note: d.note, postId: d.postId })),
          canSuggest: true,
          canWrite: isCurator(me.role),
          noFavourites: favourites.length === 0 && topics.length > 0
        },
        { title: 'feeds.feed.title' }
      )
    })

    const visiblePost = async (request: FastifyRequest, id: string) => {
      const post = await findPost(request.em, id)
      // Drafts, scheduled and archived posts are for curators; members get the same 404 as for nothing.
      if (!post || (post.status !== 'published' && !isCurator(viewerOf(request).role))) throw new NotFoundError()
      return post
    }

    // Likes and comments are the feed's conversation: a draft, a scheduled or an archived post (seen by
    // curators only) takes none, so none is counted, awarded or announced before members can see it.
    const openPost = async (request: FastifyRequest, id: string) => {
      const post = await visiblePost(request, id)
      if (post.status !== 'published') throw new KaikuError('CONFLICT', ctx.t(request.locale, post.status === 'archived' ? 'feeds.social.archived' : 'feeds.social.notYet'))
      return post
    }

    const postPage = async (request: FastifyRequest, reply: FastifyReply, id: string, values: { body: string } = { body: '' }, errors: FieldErrors = {}) => {
      const me = viewerOf(request)
      const post = await visiblePost(request, id)
      const topics = await listTopics(request.em, true)
      const [card] = await postCards(app, request.em, [post], topics, { memberId: me.id })
      const comments = await request.em.find(Comment, { postId: post.id }, { orderBy: { createdAt: 'asc', id: 'asc' } })
      const people = await app.auth.members(request.em, [...comments.map((c) => c.memberId), post.authorId ?? ''])
      const details = isCurator(me.role) ? await postDetails(request.em, post.id) : undefined
      const expired = Boolean(post.expiresAt && post.expiresAt <= new Date())
      const live = isLive(post)
      const sections = await ctx.events.filter('post.sections', [], { em: request.em, tenantId: post.tenantId, postId: post.id, memberId: me.id, role: me.role, locale: request.locale, status: post.status, live })
      return reply.page(
        'feeds/post',
        {
          post: card,
          expired,
          publishAt: post.publishAt,
          expiresAt: post.expiresAt,
          disclosure: post.disclosure,
          author: post.authorId ? people.get(post.authorId)?.name : undefined,
          statusKey: `feeds.status.${post.status}`,
          shareTexts: details?.shareTexts.map((text) => ({ ...text, key: `feeds.network.${text.network}` })),
          comments: comments.map((comment) => ({
            id: comment.id,
            author: people.get(comment.memberId) ?? { name: ctx.t(request.locale, 'feeds.comment.formerMember'), avatar: { initials: '?', colour: 0 } },
            createdAt: comment.createdAt,
            edited: Boolean(comment.editedAt),
            body: commentPieces(comment.body),
            canEdit: comment.memberId === me.id,
            canDelete: comment.memberId === me.id || isAdmin(me.role)
          })),
          sections,
          values,
          errors,
          canEdit: isCurator(me.role)
        },
        { title: post.title, status: Object.keys(errors).length ? 400 : 200 }
      )
    }

    routes.get('/posts/:id', { schema: { params: IdParams } }, async (request, reply) => postPage(request, reply, request.params.id))

    routes.post('/posts/:id/like', { schema: { params: IdParams, body: Type.Object(Csrf) }, config: { rateLimit: { max: 120, timeWindow: 60_000 } } }, async (request, reply) => {
      const post = await openPost(request, request.params.id)
      await toggleLike(request.em, ctx, post, viewerOf(request).id)
      return reply.redirect(safeBack(request.headers.referer ?? '', post.id), 303)
    })

    routes.post('/posts/:id/comments', { schema: { params: IdParams, body: CommentBody }, config: { rateLimit: { max: 30, timeWindow: 60_000 } } }, async (request, reply) => {
      const post = await openPost(request, request.params.id)
      const body = cleanText(request.body.body, 2000, true, true)
      if (body.error) return postPage(request, reply, post.id, { body: request.body.body ?? '' }, { body: body.error })
      const comment = await addComment(request.em, ctx, post, viewerOf(request).id, body.value)
      return reply.redirect(`/posts/${post.id}#comment-${comment.id}`, 303)
    })

    const ownComment = async (request: FastifyRequest, id: string, forDelete = false) => {
      const comment = isId(id) ? await request.em.findOne(Comment, { id: id.toLowerCase() }) : null
      if (!comment) throw new NotFoundError()
      const me = viewerOf(request)
      if (comment.memberId !== me.id && !(forDelete && isAdmin(me.role))) throw new ForbiddenError()
      return comment
    }

    const editPage = (reply: FastifyReply, comment: { id: string; postId: string }, body: string, errors: FieldErrors = {}) =>
      reply.page('feeds/comment-edit', { comment, body, errors }, { title: 'feeds.comment.editTitle', status: Object.keys(errors).length ? 400 : 200 })

    routes.get('/comments/:id/edit', { schema: { params: IdParams } }, async (request, reply) => {
      const comment = await ownComment(request, request.params.id)
      return editPage(reply, comment, comment.body)
    })

    routes.post('/comments/:id/edit', { schema: { params: IdParams, body: CommentBody } }, async (request, reply) => {
      const comment = await ownComment(request, request.params.id)
      const body = cleanText(request.body.body, 2000, true, true)
      if (body.error) return editPage(reply, comment, request.body.body ?? '', { body: body.error })
      comment.body = body.value
      comment.editedAt = new Date()
      await request.em.flush()
      return reply.redirect(`/posts/${comment.postId}#comment-${comment.id}`, 303)
    })

    routes.post('/comments/:id/delete', { schema: { params: IdParams, body: Type.Object(Csrf) } }, async (request, reply) => {
      const comment = await ownComment(request, request.params.id, true)
      await deleteComment(request.em, comment)
      request.flash('success', ctx.t(request.locale, 'feeds.comment.deleted'))
      return reply.redirect(`/posts/${comment.postId}#comments`, 303)
    })
  })
}

/** Each card with the links other plugins add under it (`:id` filled in). */
const withLinks = <C extends { id: string }>(cards: C[], links: { label: string; path: string }[]) =>
  cards.map((card) => ({ ...card, links: links.map((link) => ({ label: link.label, href: link.path.replace(':id', card.id) })) }))

/** After a like, back to the feed page the member was on (same host, /feed only), else to the post. */
function safeBack(referer: string, postId: string): string {
  try {
    const url = new URL(referer, 'http://x')
    return url.pathname === '/feed' ? `/feed${url.search}#post-${postId}` : `/posts/${postId}`
  } catch {
    return `/posts/${postId}`
  }
}
