import type { EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../core/api.js'

/** A block another plugin adds to the member's own profile page (`/me`): a partial and its data. */
export interface ProfileSection {
  partial: string
  data: Record<string, unknown>
}

declare module '../../core/api.js' {
  interface KaikuFilters {
    /** Blocks under the profile form at `/me` (feeds adds favourite topics). Read with `em`. */
    'profile.sections': { value: ProfileSection[]; context: { em: EntityManager; tenantId: string; memberId: string; locale: string } }
  }
  interface KaikuActions {
    /** Someone became an active member of an instance (analytics counts joins, feeds welcome them). */
    /** `invitedBy` is the inviting member's id. */
    'member.joined': { tenantId: string; memberId: string; via: 'setup' | 'signup' | 'invitation' | 'cli'; invitedBy?: string }
    /** A member was removed; plugins delete or anonymise what they keep about them. */
    'member.removed': { tenantId: string; memberId: string }
  }
}

export const authEvents = {
  'profile.sections': { kind: 'filter', description: 'Blocks other plugins add to the member\'s own profile page (/me).' },
  'member.joined': { kind: 'action', description: 'A person became an active member of an instance (setup, verified sign-up, invitation, CLI).' },
  'member.removed': { kind: 'action', description: 'A member was removed from an instance; other plugins clean up after them.' }
} as const

/** Raised with the EntityManager of the change, so handlers hear of it only once it commits. */
export function memberJoined(ctx: PluginContext, em: EntityManager, member: { tenantId: string; id: string }, via: 'setup' | 'signup' | 'invitation' | 'cli', invitedBy?: string): void {
  ctx.events.emit('member.joined', { tenantId: member.tenantId, memberId: member.id, via, ...(invitedBy ? { invitedBy } : {}) }, { em })
}
