import { randomUUID } from 'node:crypto'
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
import { Source, SourceItem, Suggestion } from '../entities/index.js'
import type { SourceEntity } from '../entities/source.entity.js'
import { raise } from '../events.js'
import type { Network } from '../lib/network.js'
import { FeedError, parseFeed, type FeedItem } from '../lib/rss.js'
import { bodyText, FetchError, safeFetch, type FetchLimits } from '../lib/safe-fetch.js'
import { downloadImage, saveImage, type ProcessedImage } from './images.js'
import { createPost } from './posts.js'

/** What polling needs besides the database: the network and the fetch limits. */
export interface PollTools {
  network: Network
  page: FetchLimits
  image: FetchLimits
}

/**
 * A poll brings in at most this many new items, the newest; older unseen ones are marked seen and
 * skipped, so a new source (or one back after a long silence) does not flood the feed.
 */
export const ITEMS_PER_POLL = 10
/** Images of one poll are downloaded this many at a time. */
const IMAGE_DOWNLOADS = 4
const FEED_TYPES = 'application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5'

export const POLL_JOB = 'feeds.poll-source'
export interface PollPayload {
  tenantId: string
  sourceId: string
}

const minutesLater = (from: Date, minutes: number) => new Date(from.getTime() + minutes * 60_000)

/** Queues a poll of the source for its due time; one job per (source, due time) however often asked. */
export async function enqueuePoll(em: EntityManager, ctx: PluginContext, source: Pick<SourceEntity, 'id' | 'tenantId' | 'nextPollAt'>): Promise<void> {
  const payload: PollPayload = { tenantId: source.tenantId, sourceId: source.id }
  await ctx.jobs.enqueue(em, POLL_JOB, payload, { key: `feeds.poll:${source.id}:${source.nextPollAt.toISOString()}` })
}

/** The recurring sweep: queues a poll for every enabled source that is due, in every instance. */
export async function enqueueDuePolls(em: EntityManager, ctx: PluginContext, now: Date): Promise<number> {
  // Across instances on purpose: one sweep serves them all, and each poll job sets its own tenant.
  const due = await em.find(Source, { enabled: true, nextPollAt: { $lte: now } }, { filters: false, fields: ['id', 'tenantId', 'nextPollAt'], orderBy: { nextPollAt: 'asc' }, limit: 1000 })
  for (const source of due) await enqueuePoll(em, ctx, source)
  return due.length
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let start = 0; start < items.length; start += width) results.push(...(await Promise.all(items.slice(start, start + width).map(work))))
  return results
}

/** An item's image, or null when it has none or it cannot be used: the item is brought in either way. */
async function imageOf(item: FeedItem, tools: PollTools): Promise<ProcessedImage | null> {
  if (!item.imageUrl) return null
  try {
    return await downloadImage(item.imageUrl, tools.network, tools.image)
  } catch (error) {
    if (error instanceof FetchError) return null
    throw error
  }
}

/** Items the source has not brought in yet (each once, even when the feed repeats one), newest first. */
async function unseen(em: EntityManager, source: SourceEntity, items: FeedItem[]): Promise<FeedItem[]> {
  const keys = [...new Set(items.map((item) => item.key))]
  const seen = keys.length === 0 ? [] : await em.find(SourceItem, { sourceId: source.id, key: { $in: keys } }, { fields: ['key'] })
  const known = new Set(seen.map((row) => row.key))
  const fresh: FeedItem[] = []
  for (const item of items) {
    if (known.has(item.key)) continue
    known.add(item.key)
    fresh.push(item)
  }
  return fresh
}

/** Writes one item as a post (publish mode) or a suggestion waiting for a curator (review mode). */
async function bringIn(em: EntityManager, ctx: PluginContext, source: SourceEntity, item: FeedItem, image: ProcessedImage | null): Promise<void> {
  const imageId = image ? await saveImage(em, source.tenantId, image) : null
  if (source.mode === 'publish') {
    await createPost(em, ctx, source.tenantId, { url: item.url, title: item.title, summary: item.summary, imageId, topicIds: source.topicIds, publish: 'now', sourceId: source.id })
    return
  }
  const suggestion = em.create(Suggestion, {
    id: randomUUID(),
    tenantId: source.tenantId,
    url: item.url,
    title: item.title,
    summary: item.summary,
    imageId,
    comment: null,
    memberId: null,
    sourceId: source.id,
    topicIds: source.topicIds,
    status: 'pending',
    note: null,
    postId: null,
    decidedById: null,
    decidedAt: null,
    seenAt: null,
    createdAt: new Date()
  })
  await em.flush()
  raise(ctx, em, 'post.suggested', { tenantId: source.tenantId, suggestionId: suggestion.id, memberId: null })
}

/** The reason a poll failed, as a short sentence for the admin (in the server's language). */
function failureText(ctx: PluginContext, error: unknown): string {
  if (error instanceof FetchError) return ctx.t(ctx.settings.locale, error.messageKey, error.params)
  if (error instanceof FeedError) return ctx.t(ctx.settings.locale, error.messageKey)
  return ctx.t(ctx.settings.locale, 'feeds.sources.pollFailed')
}

export type PollOutcome = { kind: 'skipped' } | { kind: 'failed'; error: string } | { kind: 'done'; added: number }

/**
 * Polls one source: fetches the feed through the safe fetcher (no transaction is open meanwhile),
 * reads it, downloads the images of new items, then in one transaction records the items as seen and
 * writes their posts or suggestions. A fetch or feed error is kept on the source for the admin and
 * nothing is created; either way the next poll is scheduled after the source's interval.
 */
export async function pollSource(em: EntityManager, ctx: PluginContext, tools: PollTools, payload: PollPayload, now = new Date()): Promise<PollOutcome> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const source = await em.findOne(Source, { id: payload.sourceId })
  if (!source || !source.enabled) return { kind: 'skipped' }
  const nextPollAt = minutesLater(now, source.intervalMinutes)
  try {
    const response = await safeFetch(source.url, tools.network, { ...tools.page, accept: FEED_TYPES })
    const feed = parseFeed(bodyText(response), response.url)
    const fresh = await unseen(em, source, feed.items)
    const wanted = fresh.slice(0, ITEMS_PER_POLL)
    const images = await inBatches(wanted, IMAGE_DOWNLOADS, (item) => imageOf(item, tools))
    await em.transactional(async (tx) => {
      // Oldest first, so the feed shows them in the source's order.
      for (let index = wanted.length - 1; index >= 0; index--) await bringIn(tx, ctx, source, wanted[index], images[index])
      for (const item of fresh) tx.create(SourceItem, { id: randomUUID(), tenantId: source.tenantId, sourceId: source.id, key: item.key, createdAt: now })
      await tx.nativeUpdate(
        Source,
        { id: source.id },
        { title: feed.title ?? source.title, lastPolledAt: now, lastSuccessAt: now, lastError: null, nextPollAt, itemCount: source.itemCount + wanted.length }
      )
      await tx.flush()
    })
    return { kind: 'done', added: wanted.length }
  } catch (error) {
    // Another poll of the same source got there first: its items are in, nothing is lost.
    if (error instanceof UniqueConstraintViolationException) return { kind: 'skipped' }
    if (!(error instanceof FetchError || error instanceof FeedError)) ctx.log.error({ err: error, sourceId: source.id }, 'polling a source failed')
    // Kept on the source and the next poll scheduled, whatever the error: a source never stays stuck.
    const text = failureText(ctx, error)
    await em.nativeUpdate(Source, { id: source.id }, { lastPolledAt: now, lastError: text.slice(0, 500), nextPollAt })
    return { kind: 'failed', error: text }
  }
}
