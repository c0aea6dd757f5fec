import type { EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../core/api.js'

/** A block another plugin adds to a post's page (sharing adds its share panel): a partial and its data. */
export interface PostSection {
  partial: string
  data: Record<string, unknown>
}

/** A link another plugin adds under every post card; `:id` in the path becomes the post's id. */
export interface CardLink {
  label: string
  path: string
}

declare module '../../core/api.js' {
  interface KaikuFilters {
    /**
     * Blocks on a post's page, after its summary. `em` is the request's (read with it). `status` is the
     * post's (curators also see drafts, scheduled and archived posts); `live` says whether members may
     * share it now (published and not expired).
     */
    'post.sections': {
      value: PostSection[]
      context: { em: EntityManager; tenantId: string; postId: string; memberId: string; role: string; locale: string; status: 'draft' | 'scheduled' | 'published' | 'archived'; live: boolean }
    }
    /** Links under each post card of the feed (asked once per page). */
    'post.cardLinks': { value: CardLink[]; context: { tenantId: string } }
    /**
     * The networks the post form offers share texts for (`any` among them), asked each time the form
     * is shown or saved; sharing keeps those the instance allows. A text a post already has keeps its
     * network, offered or not.
     */
    'post.textNetworks': { value: string[]; context: { em: EntityManager; tenantId: string } }
  }
  interface KaikuActions {
    /** A post entered the feed (now, at its scheduled time, or from an RSS source in publish mode). */
    'post.published': { tenantId: string; postId: string; authorId: string | null; suggestedById: string | null }
    /** A curator changed a post's URL (a typo fixed, the article moved): links to the post should follow. */
    'post.moved': { tenantId: string; postId: string; url: string }
    /** A link waits in the review queue (a member's suggestion, or an RSS item in review mode). */
    'post.suggested': { tenantId: string; suggestionId: string; memberId: string | null }
    /** A curator turned a suggestion into a post; the suggester is credited on it. */
    'post.approved': { tenantId: string; suggestionId: string; postId: string; memberId: string | null; curatorId: string }
    /** A curator declined a suggestion, with a note for the suggester. */
    'post.rejected': { tenantId: string; suggestionId: string; memberId: string | null; curatorId: string }
    /** A member commented on a post. */
    'comment.created': { tenantId: string; postId: string; commentId: string; memberId: string }
    /** A member liked a post. */
    'post.liked': { tenantId: string; postId: string; memberId: string }
  }
}

export const feedsEvents = {
  'post.sections': { kind: 'filter', description: "Blocks other plugins add to a post's page (sharing adds its share panel)." },
  'post.cardLinks': { kind: 'filter', description: 'Links other plugins add under every post card of the feed.' },
  'post.textNetworks': { kind: 'filter', description: 'The networks the post form offers share texts for (sharing keeps the allowed ones).' },
  'post.published': { kind: 'action', description: 'A post entered the feed (published now, at its scheduled time, or by an RSS source).' },
  'post.moved': { kind: 'action', description: "A post's URL changed; links made for it should lead to the new one." },
  'post.suggested': { kind: 'action', description: 'A link was suggested for review (by a member or an RSS source in review mode).' },
  'post.approved': { kind: 'action', description: "A suggestion's post went live; the suggester is credited (not when a curator approved their own)." },
  'post.rejected': { kind: 'action', description: 'A suggestion was declined with a note for the suggester.' },
  'comment.created': { kind: 'action', description: 'A member commented on a post.' },
  'post.liked': { kind: 'action', description: 'A member liked a post.' }
} as const

type Actions = import('../../core/api.js').KaikuActions

/** Raised with the change's EntityManager: handlers hear of it once it commits, never if it rolls back. */
export function raise<N extends keyof Actions & keyof typeof feedsEvents>(ctx: PluginContext, em: EntityManager, name: N, payload: Actions[N]): void {
  ctx.events.emit(name, payload as never, { em })
}
