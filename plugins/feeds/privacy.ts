import type { KaikuFilters, PersonalDataDeclaration, PrivacyErasePart, PrivacyExportPart } from '../../core/api.js'
import { Post } from './entities/post.entity.js'
import { Comment, Reaction, Suggestion } from './entities/social.entity.js'
import { FavouriteTopic, Reader, Topic } from './entities/topic.entity.js'

/** What the feed keeps about a member, for the privacy policy and `/me/data`. */
export const feedsPersonalData: PersonalDataDeclaration[] = [
  {
    category: 'topics',
    title: 'Your favourite topics and visits',
    purpose: 'To show the topics you follow first and mark what is new since your last visit.',
    fields: ['favourite topics', 'when you went through the welcome', 'your last two visits to the feed'],
    retention: 'As long as you are a member.',
    visibleTo: ['member']
  },
  {
    category: 'posts',
    title: 'Posts and suggestions',
    purpose: 'To credit you on the posts you wrote or suggested and tell you what became of your suggestions.',
    fields: ['posts you wrote', 'links you suggested, with your comment', 'the curators\' decisions'],
    retention: 'As long as the instance keeps the posts; your name is removed when your account is erased.',
    visibleTo: ['member', 'members', 'curators']
  },
  {
    category: 'comments',
    title: 'Comments and likes',
    purpose: 'To show your comments and likes to your colleagues.',
    fields: ['comment texts', 'the posts you liked'],
    retention: 'Until you delete them; on erasure likes are deleted and comments are shown as from a former member.',
    visibleTo: ['member', 'members']
  }
]

export async function exportFeeds(parts: PrivacyExportPart[], { em, memberId }: KaikuFilters['privacy.export']['context']): Promise<PrivacyExportPart[]> {
  const favourites = await em.find(FavouriteTopic, { memberId })
  const topics = favourites.length ? await em.find(Topic, { id: { $in: favourites.map((f) => f.topicId) } }) : []
  const reader = await em.find(Reader, { memberId })
  const posts = await em.find(Post, { $or: [{ authorId: memberId }, { suggestedById: memberId }] }, { orderBy: { createdAt: 'asc' } })
  const suggestions = await em.find(Suggestion, { memberId }, { orderBy: { createdAt: 'asc' } })
  const comments = await em.find(Comment, { memberId }, { orderBy: { createdAt: 'asc' } })
  const reactions = await em.find(Reaction, { memberId }, { orderBy: { createdAt: 'asc' } })
  return [
    ...parts,
    { plugin: 'feeds', category: 'topics', rows: [...topics.map((t) => ({ favouriteTopic: t.name })), ...reader.map((r) => ({ onboardedAt: r.onboardedAt, lastVisitAt: r.lastVisitAt, previousVisitAt: r.previousVisitAt }))] },
    {
      plugin: 'feeds',
      category: 'posts',
      rows: [
        ...posts.map((p) => ({ kind: p.authorId === memberId ? 'post written' : 'post from your suggestion', id: p.id, url: p.url, title: p.title, status: p.status, createdAt: p.createdAt })),
        ...suggestions.map((s) => ({ kind: 'suggestion', id: s.id, url: s.url, title: s.title, comment: s.comment, status: s.status, note: s.note, createdAt: s.createdAt }))
      ]
    },
    {
      plugin: 'feeds',
      category: 'comments',
      rows: [
        ...comments.map((c) => ({ kind: 'comment', postId: c.postId, body: c.body, createdAt: c.createdAt, editedAt: c.editedAt })),
        ...reactions.map((r) => ({ kind: 'like', postId: r.postId, createdAt: r.createdAt }))
      ]
    }
  ]
}

/**
 * Erasure: favourites, visits and likes go (like counts follow); comments stay for the conversation's
 * sake but lose their author (shown as a former member); posts and suggestions lose the credit.
 */
export async function eraseFeeds(parts: PrivacyErasePart[], { em, memberId, mode }: KaikuFilters['privacy.erase']['context']): Promise<PrivacyErasePart[]> {
  if (mode !== 'erase') return parts
  const liked = (await em.find(Reaction, { memberId }, { fields: ['postId'] })).map((row) => row.postId)
  const topics = (await em.nativeDelete(FavouriteTopic, { memberId })) + (await em.nativeDelete(Reader, { memberId }))
  const likes = await em.nativeDelete(Reaction, { memberId })
  for (const postId of new Set(liked)) await em.nativeUpdate(Post, { id: postId }, { likeCount: await em.count(Reaction, { postId }) })
  const comments = await em.nativeUpdate(Comment, { memberId }, { memberId: '' })
  const posts =
    (await em.nativeUpdate(Post, { authorId: memberId }, { authorId: null })) +
    (await em.nativeUpdate(Post, { suggestedById: memberId }, { suggestedById: null })) +
    (await em.nativeUpdate(Suggestion, { memberId }, { memberId: null })) +
    (await em.nativeUpdate(Suggestion, { decidedById: memberId }, { decidedById: null }))
  return [
    ...parts,
    { plugin: 'feeds', category: 'topics', affected: topics },
    { plugin: 'feeds', category: 'posts', affected: posts },
    { plugin: 'feeds', category: 'comments', affected: comments + likes }
  ]
}
