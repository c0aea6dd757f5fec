import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
import { Post, type PostEntity } from '../entities/post.entity.js'
import { Comment, Reaction, type CommentEntity } from '../entities/social.entity.js'
import { raise } from '../events.js'

/** Likes or unlikes; the post's count is recounted in the same transaction, so it never drifts. */
export async function toggleLike(em: EntityManager, ctx: PluginContext, post: PostEntity, memberId: string): Promise<boolean> {
  return em.transactional(async (tx) => {
    const existing = await tx.findOne(Reaction, { postId: post.id, memberId })
    if (existing) tx.remove(existing)
    else tx.create(Reaction, { id: randomUUID(), tenantId: post.tenantId, postId: post.id, memberId, createdAt: new Date() })
    await tx.flush()
    const count = await tx.count(Reaction, { postId: post.id })
    await tx.nativeUpdate(Post, { id: post.id }, { likeCount: count })
    if (!existing) raise(ctx, tx, 'post.liked', { tenantId: post.tenantId, postId: post.id, memberId })
    return !existing
  })
}

async function recountComments(em: EntityManager, postId: string): Promise<void> {
  await em.nativeUpdate(Post, { id: postId }, { commentCount: await em.count(Comment, { postId }) })
}

export async function addComment(em: EntityManager, ctx: PluginContext, post: PostEntity, memberId: string, body: string): Promise<CommentEntity> {
  return em.transactional(async (tx) => {
    const comment = tx.create(Comment, { id: randomUUID(), tenantId: post.tenantId, postId: post.id, memberId, body, createdAt: new Date(), editedAt: null })
    await tx.flush()
    await recountComments(tx, post.id)
    raise(ctx, tx, 'comment.created', { tenantId: post.tenantId, postId: post.id, commentId: comment.id, memberId })
    return comment
  })
}

export async function deleteComment(em: EntityManager, comment: CommentEntity): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.nativeDelete(Comment, { id: comment.id })
    await recountComments(tx, comment.postId)
  })
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g

/**
 * A comment as pieces the template escapes one by one: plain text, and links for http(s) addresses.
 * No HTML from the comment ever reaches the page; line breaks become separate lines.
 */
export function commentPieces(body: string): { lines: { text?: string; href?: string }[][] } {
  return {
    lines: body.split('\n').map((line) => {
      const pieces: { text?: string; href?: string }[] = []
      let last = 0
      for (const match of line.matchAll(URL_IN_TEXT)) {
        if (match.index > last) pieces.push({ text: line.slice(last, match.index) })
        pieces.push({ href: match[0] })
        last = match.index + match[0].length
      }
      if (last < line.length) pieces.push({ text: line.slice(last) })
      return pieces
    })
  }
}
