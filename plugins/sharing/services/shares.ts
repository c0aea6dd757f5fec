import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
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

export async function profileOf(em: EntityManager, tenantId: string, memberId: string) {
  return (await em.findOne(SharingProfile, { memberId })) ?? em.create(SharingProfile, { id: randomUUID(), tenantId, memberId, mastodonInstance: null })
}
