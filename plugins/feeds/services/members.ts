import type { EntityManager } from '@mikro-orm/core'
import { Post } from '../entities/post.entity.js'
import { Comment, Reaction, Suggestion } from '../entities/social.entity.js'
import { FavouriteTopic, Reader } from '../entities/topic.entity.js'

/**
 * A removed member leaves nothing personal behind in the feed: their favourites, reading state, likes
 * and comments go; posts and suggestions stay, without their name on them.
 */
export async function forgetMember(em: EntityManager, tenantId: string, memberId: string): Promise<void> {
  em.setFilterParams('tenant', { tenantId })
  await em.transactional(async (tx) => {
    const touched = new Set([
      ...(await tx.find(Reaction, { memberId }, { fields: ['postId'] })).map((row) => row.postId),
      ...(await tx.find(Comment, { memberId }, { fields: ['postId'] })).map((row) => row.postId)
    ])
    await tx.nativeDelete(FavouriteTopic, { memberId })
    await tx.nativeDelete(Reader, { memberId })
    await tx.nativeDelete(Reaction, { memberId })
    await tx.nativeDelete(Comment, { memberId })
    for (const postId of touched) {
      await tx.nativeUpdate(Post, { id: postId }, { likeCount: await tx.count(Reaction, { postId }), commentCount: await tx.count(Comment, { postId }) })
    }
    await tx.nativeUpdate(Post, { authorId: memberId }, { authorId: null })
    await tx.nativeUpdate(Post, { suggestedById: memberId }, { suggestedById: null })
    await tx.nativeUpdate(Suggestion, { memberId }, { memberId: null })
  })
}
