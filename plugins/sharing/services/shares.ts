import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
import { DirectPost } from '../entities/connections.entity.js'
import { Share, SharingProfile, type ShareEntity } from '../entities/sharing.entity.js'

/** Records a share (flushes) and tells other plugins once it is stored. */
export async function recordShare(em: EntityManager, ctx: PluginContext, input: { tenantId: string; postId: string; memberId: string; network: string; linkId: string; text: string }): Promise<ShareEntity> {
  return em.transactional(async (tx) => {
    const share = tx.create(Share, { id: randomUUID(), createdAt: new Date(), ...input })
    await tx.flush()
    ctx.events.emit('share.created', { tenantId: input.tenantId, shareId: share.id, postId: input.postId, memberId: input.memberId, network: input.network }, { em: tx })
    return share
  })
}

/** A member getting her link again this soon (a reload, a double click, the text touched up) shares once. */
const SAME_SHARE_MS = 10 * 60_000

/**
 * The member's share of the post to the network from the share page in the last minutes, if any: the
 * same share, not another one (no second count, no second points). It takes the latest text.
 */
export async function sameShare(em: EntityManager, input: { postId: string; memberId: string; network: string; text: string }): Promise<ShareEntity | null> {
  const recent = await em.findOne(
    Share,
    { postId: input.postId, memberId: input.memberId, network: input.network, createdAt: { $gt: new Date(Date.now() - SAME_SHARE_MS) } },
    { orderBy: { createdAt: 'desc' } }
  )
  if (!recent || (await em.count(DirectPost, { shareId: recent.id })) > 0) return null
  if (recent.text !== input.text) {
    recent.text = input.text
    await em.flush()
  }
  return recent
}

export async function profileOf(em: EntityManager, tenantId: string, memberId: string) {
  return (await em.findOne(SharingProfile, { memberId })) ?? em.create(SharingProfile, { id: randomUUID(), tenantId, memberId, mastodonInstance: null })
}
