import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { ConflictError, type PluginContext } from '../../../core/api.js'
import type { PostEntity } from '../entities/post.entity.js'
import { Suggestion, type SuggestionEntity } from '../entities/social.entity.js'
import { raise } from '../events.js'

export interface SuggestionInput {
  url: string
  title?: string | null
  summary?: string | null
  imageId?: string | null
  comment?: string | null
  memberId?: string | null
  sourceId?: string | null
  topicIds?: string[]
}

/** A link into the review queue (flushes); curators hear of it through `post.suggested`. */
export async function createSuggestion(em: EntityManager, ctx: PluginContext, tenantId: string, input: SuggestionInput): Promise<SuggestionEntity> {
  const suggestion = em.create(Suggestion, {
    id: randomUUID(),
    tenantId,
    url: input.url,
    title: input.title ?? null,
    summary: input.summary ?? null,
    imageId: input.imageId ?? null,
    comment: input.comment ?? null,
    memberId: input.memberId ?? null,
    sourceId: input.sourceId ?? null,
    topicIds: input.topicIds ?? [],
    status: 'pending',
    note: null,
    postId: null,
    decidedById: null,
    decidedAt: null,
    seenAt: null,
    createdAt: new Date()
  })
  await em.flush()
  raise(ctx, em, 'post.suggested', { tenantId, suggestionId: suggestion.id, memberId: suggestion.memberId ?? null })
  return suggestion
}

/**
 * Tells the suggester what became of their link: a mail (queued in the same transaction) and a
 * notice in the feed until they have seen it. RSS items have no suggester and get neither.
 */
async function tellSuggester(app: FastifyInstance, em: EntityManager, ctx: PluginContext, suggestion: SuggestionEntity, origin: string): Promise<void> {
  if (!suggestion.memberId) return
  const member = (await app.auth.members(em, [suggestion.memberId])).get(suggestion.memberId)
  if (!member) return
  const approved = suggestion.status === 'approved'
  await ctx.mail.send(em, {
    to: member.email,
    template: approved ? 'feeds/suggestion-approved' : 'feeds/suggestion-rejected',
    tenant: suggestion.tenantId,
    key: `suggestion-${suggestion.id}-${suggestion.status}`,
    data: {
      name: member.name,
      title: suggestion.title ?? suggestion.url,
      url: suggestion.url,
      note: suggestion.note,
      link: approved ? `${origin}/posts/${suggestion.postId}` : `${origin}/suggest`
    }
  })
}

/**
 * Records a curator's decision on a suggestion only while it is still pending in the database, not in
 * the copy the request loaded earlier: when another curator decided it meanwhile, theirs stands and
 * the caller's transaction rolls back (a conflict), so no post, mail or event comes of it.
 */
async function decide(em: EntityManager, suggestionId: string, decision: Pick<SuggestionEntity, 'status' | 'postId' | 'note' | 'decidedById'>): Promise<SuggestionEntity> {
  const changed = await em.nativeUpdate(Suggestion, { id: suggestionId, status: 'pending' }, { ...decision, decidedAt: new Date(), seenAt: null })
  if (changed === 0) throw new ConflictError()
  return em.findOneOrFail(Suggestion, { id: suggestionId }, { refresh: true })
}

/**
 * Marks a pending suggestion approved as `post` (inside the caller's transaction). Its suggester is
 * told and credited once the post is live: now for a post published at once, at its publication for
 * a draft or a scheduled one (`creditPublished`), never before (a link to a post nobody may open yet).
 */
export async function approveSuggestion(app: FastifyInstance, em: EntityManager, ctx: PluginContext, suggestionId: string, post: PostEntity, curatorId: string, origin: string): Promise<void> {
  const suggestion = await decide(em, suggestionId, { status: 'approved', postId: post.id, note: null, decidedById: curatorId })
  if (post.status === 'published') await credit(app, em, ctx, suggestion, origin)
}

/**
 * Tells an approved suggestion's suggester that its post is live and raises `post.approved` (the
 * points), once: the first caller to set `creditedAt` does it. A curator who approves their own
 * suggestion is neither mailed nor credited.
 */
async function credit(app: FastifyInstance, em: EntityManager, ctx: PluginContext, suggestion: SuggestionEntity, origin: string): Promise<void> {
  const first = await em.nativeUpdate(Suggestion, { id: suggestion.id, creditedAt: null }, { creditedAt: new Date() })
  if (first === 0 || (suggestion.memberId && suggestion.memberId === suggestion.decidedById)) return
  await tellSuggester(app, em, ctx, suggestion, origin)
  await em.flush()
  raise(ctx, em, 'post.approved', { tenantId: suggestion.tenantId, suggestionId: suggestion.id, postId: suggestion.postId!, memberId: suggestion.memberId ?? null, curatorId: suggestion.decidedById! })
}

/** After a post went live (`post.published`): the suggestion it was approved from, if any, is credited now. */
export async function creditPublished(app: FastifyInstance, ctx: PluginContext, tenantId: string, postId: string): Promise<void> {
  const em = ctx.orm.em.fork()
  em.setFilterParams('tenant', { tenantId })
  await em.transactional(async (tx) => {
    const suggestion = await tx.findOne(Suggestion, { postId, status: 'approved', creditedAt: null })
    const tenant = suggestion && (await app.tenancy.byId(tx, tenantId))
    if (suggestion && tenant) await credit(app, tx, ctx, suggestion, app.tenancy.origin(tenant.slug))
  })
}

/** Declines a pending suggestion with a note for the suggester (inside the caller's transaction). */
export async function rejectSuggestion(app: FastifyInstance, em: EntityManager, ctx: PluginContext, suggestionId: string, note: string, curatorId: string, origin: string): Promise<void> {
  const suggestion = await decide(em, suggestionId, { status: 'rejected', postId: null, note: note || null, decidedById: curatorId })
  await tellSuggester(app, em, ctx, suggestion, origin)
  await em.flush()
  raise(ctx, em, 'post.rejected', { tenantId: suggestion.tenantId, suggestionId: suggestion.id, memberId: suggestion.memberId ?? null, curatorId })
}
