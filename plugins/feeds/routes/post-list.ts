import type { FastifyInstance } from 'fastify'
import { InvalidInputError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { PostTopic, POST_STATUSES, type PostStatus } from '../entities/post.entity.js'
import { topicsOfPost } from '../services/cards.js'
import { LIST_PAGE_SIZE, postList } from '../services/post-list.js'
import { isLive } from '../services/posts.js'
import { listTopics } from '../services/topics.js'
import { CURATORS, tenantOf, Text } from './common.js'

const ListQuery = Type.Object({ status: Text(40), q: Text(400), page: Text(40) })
const SEARCH_MAX = 100
const PAGE_MAX = 10_000

/** The date a row shows: what is next for a scheduled post, when it went out for a published one. */
const whenOf = (post: { status: PostStatus; publishAt?: Date | null; publishedAt?: Date | null; updatedAt: Date }) =>
  post.status === 'scheduled' && post.publishAt
    ? { key: 'feeds.posts.publishes', at: post.publishAt }
    : post.status === 'published' && post.publishedAt
      ? { key: 'feeds.posts.publishedAt', at: post.publishedAt }
      : { key: 'feeds.posts.changed', at: post.updatedAt }

/**
 * `/posts`: every post of the instance for its curators, by status (drafts, scheduled, published,
 * archived) with a count on each tab, searchable by title, 50 a page. The feed shows only what is
 * published; this is where a draft or a scheduled post is found again.
 */
export function postListRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.posts', href: '/posts', roles: [...CURATORS], order: 210 })

  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...CURATORS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/posts', { schema: { querystring: ListQuery } }, async (request, reply) => {
      const t = (key: string, params?: Record<string, unknown>) => ctx.t(request.locale, key, params)
      const wanted = request.query.status ?? ''
      const status = POST_STATUSES.find((candidate) => candidate === wanted)
      if (wanted !== '' && !status) throw new InvalidInputError(t('feeds.posts.badStatus'))
      const search = (request.query.q ?? '').trim()
      if (search.length > SEARCH_MAX) throw new InvalidInputError(t('feeds.posts.searchTooLong', { max: SEARCH_MAX }))
      const pageText = request.query.page ?? '1'
      const page = /^[1-9]\d*$/.test(pageText) ? Number(pageText) : NaN
      if (!(page <= PAGE_MAX)) throw new InvalidInputError(t('feeds.posts.badPage'))

      const list = await postList(request.em, { tenantId: tenantOf(request), status, search: search || undefined, page })
      const ids = list.posts.map((post) => post.id)
      const [topics, links, people] = await Promise.all([
        listTopics(request.em, true),
        ids.length ? request.em.find(PostTopic, { postId: { $in: ids } }, { fields: ['postId', 'topicId'] }) : Promise.resolve([]),
        app.auth.members(request.em, list.posts.map((post) => post.authorId ?? '').filter(Boolean))
      ])
      const topicById = new Map(topics.map((topic) => [topic.id, topic]))
      const now = new Date()
      const rows = list.posts.map((post) => ({
        id: post.id,
        title: post.title,
        status: post.status,
        statusKey: `feeds.status.${post.status}`,
        expired: post.status === 'published' && !isLive(post, now),
        pinned: post.pinned,
        topics: topicsOfPost(post.id, links, topicById),
        author: post.authorId ? (people.get(post.authorId)?.name ?? null) : null,
        when: whenOf(post)
      }))

      const href = (to: { status?: PostStatus; page?: number }) => {
        const query = new URLSearchParams()
        if (to.status) query.set('status', to.status)
        if (search) query.set('q', search)
        if (to.page && to.page > 1) query.set('page', String(to.page))
        const text = query.toString()
        return text ? `/posts?${text}` : '/posts'
      }
      const total = POST_STATUSES.reduce((sum, each) => sum + list.counts[each], 0)
      const tabs = [
        { label: 'feeds.posts.all', count: total, href: href({}), active: !status },
        ...POST_STATUSES.map((each) => ({ label: `feeds.posts.tab.${each}`, count: list.counts[each], href: href({ status: each }), active: status === each }))
      ]
      return reply.page(
        'feeds/posts',
        {
          rows,
          tabs,
          status,
          search,
          searchMax: SEARCH_MAX,
          previous: page > 1 ? href({ status, page: page - 1 }) : null,
          next: list.more ? href({ status, page: page + 1 }) : null,
          shown: rows.length ? { from: (page - 1) * LIST_PAGE_SIZE + 1, to: (page - 1) * LIST_PAGE_SIZE + rows.length } : null
        },
        { title: 'feeds.posts.title' }
      )
    })
  })
}
