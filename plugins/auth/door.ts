import { LockMode, type EntityManager } from '@mikro-orm/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { TENANT_FILTER } from '../../core/api.js'
import { Member, type Role } from './entities/member.entity.js'
import { requireMember, requireOperator } from './services/guards.js'
import { avatarOf, type Avatar } from './services/people.js'

/** What other plugins may know of a member: enough to credit, greet and mail them. */
export interface MemberCard {
  id: string
  name: string
  email: string
  role: Role
  avatar: Avatar
}

/** Auth's declared door for other plugins: `app.auth`. */
export interface AuthDoor {
  /** A route scope's guard: a signed-in member of the request's instance, with one of `roles` if given. */
  requireMember(...roles: Role[]): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  requireOperator(): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  /** Members by id, of the instance `em` is scoped to (ids of other instances are simply missing). */
  members(em: EntityManager, ids: readonly string[]): Promise<Map<string, MemberCard>>
  /**
   * The active members with one of `roles` (all active members without roles). With `lock`, inside a
   * transaction, their rows stay locked until it ends (PostgreSQL; SQLite has one writer at a time),
   * so a rule such as "another owner remains" still holds when the transaction commits.
   */
  membersWithRole(em: EntityManager, roles?: readonly Role[], options?: { lock?: boolean }): Promise<MemberCard[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthDoor
  }
}

type MemberRow = { id: string; name: string; email: string; role: Role }
const cardOf = (member: MemberRow): MemberCard => ({ id: member.id, name: member.name, email: member.email, role: member.role, avatar: avatarOf(member) })
const FIELDS = ['id', 'name', 'email', 'role'] as const
const membersSql = (count: number) => `select id, name, email, role from auth_member where tenant_id = ? and id in (${Array.from({ length: count }, () => '?').join(', ')})`

export function authDoor(app: FastifyInstance, dialect: string): void {
  app.decorate('auth', {
    requireMember,
    requireOperator,
    async members(em, ids) {
      const unique = [...new Set(ids)].filter(Boolean)
      if (unique.length === 0) return new Map()
      // Pages ask for dozens of names at once (leaderboards, dashboards): plain rows, no entities to
      // hydrate, for the instance `em` is scoped to (an unscoped `em` fails as the filter would).
      const tenantId = (em.getFilterParams(TENANT_FILTER) as { tenantId?: string } | undefined)?.tenantId
      const rows = tenantId
        ? await em.getConnection().execute<MemberRow[]>(membersSql(unique.length), [tenantId, ...unique], 'all', em.getTransactionContext())
        : await em.find(Member, { id: { $in: unique } }, { fields: [...FIELDS] })
      return new Map(rows.map((row: MemberRow) => [row.id, cardOf(row)]))
    },
    async membersWithRole(em, roles, options = {}) {
      const lockMode = options.lock && dialect === 'postgresql' ? LockMode.PESSIMISTIC_WRITE : undefined
      const rows = await em.find(Member, roles ? { status: 'active', role: { $in: [...roles] } } : { status: 'active' }, { fields: [...FIELDS], orderBy: { name: 'asc' }, ...(lockMode ? { lockMode } : {}) })
      return rows.map(cardOf)
    }
  } satisfies AuthDoor)
}
