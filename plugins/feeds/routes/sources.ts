import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cleanUrl, NotFoundError, Type, type FieldErrors, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Source, SourceItem } from '../entities/index.js'
import type { SourceEntity, SourceMode } from '../entities/source.entity.js'
import { isPublicAddress, parseAddress } from '../lib/addresses.js'
import { isId } from '../services/posts.js'
import { enqueuePoll } from '../services/sources.js'
import { listTopics } from '../services/topics.js'
import { ADMINS, Csrf, many, tenantOf, Text } from './common.js'

/** The intervals offered, in minutes: from a quarter of an hour to a day. */
export const INTERVALS = [15, 30, 60, 120, 240, 360, 720, 1440] as const
const MODES: readonly SourceMode[] = ['publish', 'review']

const SourceBody = Type.Object({
  url: Text(4000),
  topics: Type.Optional(Type.Union([Type.String({ maxLength: 36 }), Type.Array(Type.String({ maxLength: 36 }), { maxItems: 200 })])),
  mode: Text(20),
  intervalMinutes: Text(10),
  ...Csrf
})
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const CsrfBody = Type.Object(Csrf)

interface Values {
  url: string
  topicIds: string[]
  mode: string
  intervalMinutes: string
}

interface Checked {
  errors: FieldErrors
  url: string
  topicIds: string[]
  mode: SourceMode
  intervalMinutes: number
}

/** Checks the source form against the instance's topics and sources (the URL is unique per instance). */
async function check(em: EntityManager, values: Values, allow: readonly string[], self?: SourceEntity): Promise<Checked> {
  const errors: FieldErrors = {}
  const url = cleanUrl(values.url)
  if (url.error) errors.url = url.error
  else {
    // A literal private address can be refused now (unless KAIKU_FETCH_ALLOW lets the fetcher reach
    // it); a name is checked at every poll, as it may change.
    const host = new URL(url.value).hostname
    if (parseAddress(host) && !isPublicAddress(host, allow)) errors.url = 'feeds.fetch.address'
    else if (await em.count(Source, { url: url.value, ...(self ? { id: { $ne: self.id } } : {}) })) errors.url = 'feeds.sources.duplicate'
  }
  const ownTopics = new Set((await listTopics(em)).map((topic) => topic.id))
  const topicIds = [...new Set(values.topicIds)]
  if (topicIds.length === 0) errors.topics = 'feeds.sources.topicsRequired'
  else if (!topicIds.every((id) => ownTopics.has(id))) errors.topics = 'feeds.sources.topicsUnknown'
  const mode = MODES.find((candidate) => candidate === values.mode)
  if (!mode) errors.mode = 'feeds.sources.modeRequired'
  const intervalMinutes = Number(values.intervalMinutes)
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < INTERVALS[0] || intervalMinutes > INTERVALS[INTERVALS.length - 1]) errors.intervalMinutes = 'feeds.sources.intervalRange'
  return { errors, url: url.value, topicIds, mode: mode ?? 'review', intervalMinutes }
}

const valuesOf = (body: { url?: string; topics?: string | string[]; mode?: string; intervalMinutes?: string }): Values => ({
  url: body.url ?? '',
  topicIds: many(body.topics),
  mode: body.mode ?? '',
  intervalMinutes: body.intervalMinutes ?? ''
})

type Status = 'off' | 'waiting' | 'error' | 'ok'
/** Core's status badges: green dot, red dot, grey dot; a source that is off wears a plain one. */
const STATUS_BADGES: Record<Status, string> = { ok: 'done', error: 'dead', waiting: 'queued', off: 'off' }
const statusOf = (source: SourceEntity): Status => (!source.enabled ? 'off' : source.lastError ? 'error' : source.lastSuccessAt ? 'ok' : 'waiting')

/**
 * The instance's RSS and Atom sources at /admin/sources, for owners and admins: list with each
 * source's state and last error, add, edit, switch off and on, poll now, delete. Polling itself is a
 * job (services/sources.ts); this page only queues it.
 */
export function sourcesRoutes(app: FastifyInstance, ctx: PluginContext): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember(...ADMINS))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const sourceById = async (em: EntityManager, id: string) => {
      const source = isId(id) ? await em.findOne(Source, { id: id.toLowerCase() }) : null
      if (!source) throw new NotFoundError()
      return source
    }

    /** Changes a source in one transaction, with the poll it asks for (`apply` returns true) queued in it. */
    const change = (request: FastifyRequest, id: string, apply: (source: SourceEntity) => boolean) =>
      request.em.transactional(async (em) => {
        const source = await sourceById(em, id)
        const poll = apply(source)
        await em.flush()
        if (poll) await enqueuePoll(em, ctx, source)
        return source
      })

    const done = (request: FastifyRequest, reply: FastifyReply, key: string, params: Record<string, unknown> = {}) => {
      request.flash('success', ctx.t(request.locale, key, params))
      return reply.redirect('/admin/sources', 303)
    }

    routes.get('/admin/sources', async (request, reply) => {
      const [sources, topics] = await Promise.all([request.em.find(Source, {}, { orderBy: { createdAt: 'asc' } }), listTopics(request.em, true)])
      const topicNames = new Map(topics.map((topic) => [topic.id, topic.name]))
      const rows = sources.map((source) => {
        const status = statusOf(source)
        return {
          ...source,
          statusKey: `feeds.sources.status.${status}`,
          statusClass: STATUS_BADGES[status],
          modeKey: `feeds.sources.mode.${source.mode}`,
          intervalKey: `feeds.sources.interval.${source.intervalMinutes}`,
          intervalKnown: (INTERVALS as readonly number[]).includes(source.intervalMinutes),
          topicNames: source.topicIds.map((id) => topicNames.get(id)).filter(Boolean)
        }
      })
      return reply.page('feeds/sources', { rows, hasTopics: topics.some((topic) => !topic.archived) }, { title: 'feeds.sources.title' })
    })

    const formPage = async (request: FastifyRequest, reply: FastifyReply, values: Values, errors: FieldErrors = {}, source?: SourceEntity) => {
      const topics = (await listTopics(request.em)).map((topic) => ({ id: topic.id, name: topic.name, colour: topic.colour, selected: values.topicIds.includes(topic.id) }))
      const intervals = INTERVALS.map((minutes) => ({ value: minutes, key: `feeds.sources.interval.${minutes}`, selected: String(minutes) === values.intervalMinutes }))
      const modes = MODES.map((mode) => ({ value: mode, key: `feeds.sources.mode.${mode}`, hint: `feeds.sources.mode.${mode}Hint`, selected: mode === values.mode }))
      const status = Object.keys(errors).length > 0 ? 400 : 200
      return reply.page('feeds/sources-form', { source, values, errors, topics, intervals, modes }, { title: source ? 'feeds.sources.editTitle' : 'feeds.sources.newTitle', status })
    }

    routes.get('/admin/sources/new', async (request, reply) => formPage(request, reply, { url: '', topicIds: [], mode: 'review', intervalMinutes: '60' }))

    routes.post('/admin/sources', { schema: { body: SourceBody } }, async (request, reply) => {
      const values = valuesOf(request.body)
      const checked = await check(request.em, values, app.feedsNetwork.allow)
      if (Object.keys(checked.errors).length > 0) return formPage(request, reply, values, checked.errors)
      const now = new Date()
      await request.em.transactional(async (em) => {
        const source = em.create(Source, {
          id: randomUUID(),
          tenantId: tenantOf(request),
          url: checked.url,
          title: null,
          topicIds: checked.topicIds,
          mode: checked.mode,
          intervalMinutes: checked.intervalMinutes,
          enabled: true,
          nextPollAt: now,
          lastPolledAt: null,
          lastSuccessAt: null,
          lastError: null,
          itemCount: 0,
          createdAt: now
        })
        await em.flush()
        await enqueuePoll(em, ctx, source)
      })
      return done(request, reply, 'feeds.sources.added', { url: checked.url })
    })

    routes.get('/admin/sources/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const source = await sourceById(request.em, request.params.id)
      return formPage(request, reply, { url: source.url, topicIds: source.topicIds, mode: source.mode, intervalMinutes: String(source.intervalMinutes) }, {}, source)
    })

    routes.post('/admin/sources/:id', { schema: { params: IdParams, body: SourceBody } }, async (request, reply) => {
      const current = await sourceById(request.em, request.params.id)
      const values = valuesOf(request.body)
      const checked = await check(request.em, values, app.feedsNetwork.allow, current)
      if (Object.keys(checked.errors).length > 0) return formPage(request, reply, values, checked.errors, current)
      const now = new Date()
      await change(request, request.params.id, (source) => {
        const newFeed = checked.url !== source.url
        Object.assign(source, { url: checked.url, topicIds: checked.topicIds, mode: checked.mode, intervalMinutes: checked.intervalMinutes })
        if (newFeed) {
          // Another feed: look at it now, and forget what the old one said about itself.
          Object.assign(source, { title: null, lastError: null, lastSuccessAt: null, nextPollAt: now })
          return source.enabled
        }
        source.nextPollAt = source.lastPolledAt ? new Date(source.lastPolledAt.getTime() + checked.intervalMinutes * 60_000) : now
        return false
      })
      return done(request, reply, 'feeds.sources.saved', { url: checked.url })
    })

    routes.post('/admin/sources/:id/poll', { schema: { params: IdParams, body: CsrfBody } }, async (request, reply) => {
      const source = await change(request, request.params.id, (source) => {
        source.nextPollAt = new Date()
        return source.enabled
      })
      return done(request, reply, source.enabled ? 'feeds.sources.pollQueued' : 'feeds.sources.pollDisabled', { url: source.url })
    })

    routes.post('/admin/sources/:id/disable', { schema: { params: IdParams, body: CsrfBody } }, async (request, reply) => {
      const source = await change(request, request.params.id, (source) => {
        source.enabled = false
        return false
      })
      return done(request, reply, 'feeds.sources.disabled', { url: source.url })
    })

    routes.post('/admin/sources/:id/enable', { schema: { params: IdParams, body: CsrfBody } }, async (request, reply) => {
      const source = await change(request, request.params.id, (source) => {
        if (source.enabled) return false
        Object.assign(source, { enabled: true, nextPollAt: new Date() })
        return true
      })
      return done(request, reply, 'feeds.sources.enabled', { url: source.url })
    })

    // Asks first; the page itself changes nothing.
    routes.get('/admin/sources/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
      const source = await sourceById(request.em, request.params.id)
      return reply.page('feeds/sources-delete', { source }, { title: 'feeds.sources.deleteTitle' })
    })

    routes.post('/admin/sources/:id/delete', { schema: { params: IdParams, body: CsrfBody } }, async (request, reply) => {
      // Posts and suggestions it brought in stay: they are the instance's content now.
      const source = await request.em.transactional(async (em) => {
        const source = await sourceById(em, request.params.id)
        await em.nativeDelete(SourceItem, { sourceId: source.id })
        await em.nativeDelete(Source, { id: source.id })
        return source
      })
      return done(request, reply, 'feeds.sources.deleted', { url: source.url })
    })
  })
}
