import type { EntityManager, FastifyReply, FastifyRequest } from 'kaiku/plugin-api'

/**
 * The parts of other plugins' doors this plugin uses, as it expects them. A plugin package sees
 * Kaiku only through `kaiku/plugin-api`; what the plugins it requires offer (their decorators and
 * events) it declares here, the way it reads them in their READMEs.
 */
export interface MemberCard {
  id: string
  name: string
  email: string
  role: string
}

export interface AuthDoor {
  requireMember(...roles: string[]): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  membersWithRole(em: EntityManager, roles?: readonly string[]): Promise<MemberCard[]>
}

/** Optional: present when the analytics plugin runs. */
export interface AnalyticsDoor {
  defineActivity(definition: { type: string; label: string; points?: number }): void
  record(em: EntityManager, input: { tenantId: string; type: string; memberId?: string | null; postId?: string | null }): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthDoor
    analytics?: AnalyticsDoor
  }
  interface FastifyRequest {
    member?: MemberCard | null
  }
}

declare module 'kaiku/plugin-api' {
  interface KaikuFilters {
    /** Declared by the feeds plugin: blocks on a post's page. */
    'post.sections': {
      value: { partial: string; data: Record<string, unknown> }[]
      context: { em: EntityManager; tenantId: string; postId: string; memberId: string; role: string; locale: string; status: 'draft' | 'scheduled' | 'published' | 'archived'; live: boolean }
    }
  }
  interface KaikuActions {
    /** Declared by this plugin. */
    'poll.answered': { tenantId: string; pollId: string; memberId: string | null; postId: string | null }
  }
}
