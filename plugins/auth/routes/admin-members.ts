import { LockMode, type EntityManager } from '@mikro-orm/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, InvalidInputError, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Member, ROLES, type MemberEntity, type Role } from '../entities/member.entity.js'
import { AuthToken } from '../entities/token.entity.js'
import { requireMember } from '../services/guards.js'
import { subjectOf } from '../services/sessions.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const IdParams = Type.Object({ id: Type.String({ maxLength: 36 }) })
const RoleBody = Type.Object({ role: Text(20), _csrf: Text(200) })
const CsrfOnly = Type.Object({ _csrf: Text(200) })

/** Roles only an owner may grant or take away. */
const PRIVILEGED: readonly Role[] = ['owner', 'admin']

/** Owners manage everyone; admins manage curators and members, never an owner or another admin. */
const manages = (actor: MemberEntity, target: MemberEntity) => actor.role === 'owner' || (actor.role === 'admin' && !PRIVILEGED.includes(target.role))
const grantableBy = (actor: MemberEntity): readonly Role[] => (actor.role === 'owner' ? ROLES : ROLES.filter((role) => !PRIVILEGED.includes(role)))

/** What a change says to the admin; `endSessions` signs the member out everywhere once it is committed. */
type Outcome = { kind: 'success' | 'error'; key: string; endSessions?: boolean }

/**
 * The admins' members page: roles, suspension and removal. Every change runs in a transaction that
 * locks the instance's owners (on PostgreSQL; SQLite runs one writer at a time), so two owners
 * demoting each other at once cannot leave the instance without an owner.
 */
export function adminMembersRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.adminMembers', href: '/admin/members', roles: ['owner', 'admin'], order: 800 })
  const locking = ctx.settings.dialect === 'postgresql'
  const lock = { lockMode: locking ? LockMode.PESSIMISTIC_WRITE : LockMode.NONE } as const

  /** Whether an active owner other than `target` remains. */
  const anotherOwner = async (em: EntityManager, target: MemberEntity) =>
    (await em.find(Member, { role: 'owner', status: 'active' }, lock)).some((owner) => owner.id !== target.id)

  /**
   * Runs one change on a member of the request's instance. An unknown id (another instance's
   * included) is a 404; a member the actor may not manage is a 403; a refused rule is a flash message.
   */
  const change = async (request: FastifyRequest, reply: FastifyReply, id: string, apply: (em: EntityManager, actor: MemberEntity, target: MemberEntity) => Promise<Outcome>) => {
    const actor = request.member!
    const { outcome, target } = await request.em.transactional(async (em) => {
      // Owners first, then the target, always in this order, so two changes never wait for each other in a circle.
      if (locking) await em.find(Member, { role: 'owner' }, lock)
      const target = await em.findOne(Member, { id }, lock)
      if (!target) throw new NotFoundError()
      if (!manages(actor, target)) throw new ForbiddenError()
      const outcome = await apply(em, actor, target)
      await em.flush()
      return { outcome, target: { id: target.id, name: target.name, email: target.email, role: target.role } }
    })
    // After the commit: the session directory has its own connection.
    if (outcome.endSessions) await ctx.sessions.revoke(subjectOf('member', target.id))
    const role = ctx.t(request.locale, `auth.adminMembers.role.${target.role}`)
    request.flash(outcome.kind, ctx.t(request.locale, outcome.key, { name: target.name, email: target.email, role }))
    const stillAdmin = target.id !== actor.id || PRIVILEGED.includes(target.role)
    return reply.redirect(stillAdmin ? '/admin/members' : '/', 303)
  }

  app.register(async (scope) => {
    scope.addHook('onRequest', requireMember('admin', 'owner'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/admin/members', async (request, reply) => {
      const actor = request.member!
      const list = await request.em.find(Member, {}, { orderBy: { name: 'asc', email: 'asc' }, limit: 2000 })
      const rows = list.map((member) => {
        const self = member.id === actor.id
        const managed = manages(actor, member)
        return {
          id: member.id,
          name: member.name,
          email: member.email,
          roleKey: `auth.adminMembers.role.${member.role}`,
          status: member.status,
          statusKey: `auth.adminMembers.status.${member.status}`,
          lastLoginAt: member.lastLoginAt,
          self,
          roles: managed ? grantableBy(actor).map((role) => ({ value: role, key: `auth.adminMembers.role.${role}`, selected: role === member.role })) : [],
          canSuspend: managed && !self && member.status !== 'suspended',
          canReactivate: managed && !self && member.status === 'suspended',
          canRemove: managed && !self
        }
      })
      return reply.page('auth/admin-members', { rows, tenantName: request.tenant!.name }, { title: 'auth.adminMembers.title' })
    })

    routes.post('/admin/members/:id/role', { schema: { params: IdParams, body: RoleBody } }, async (request, reply) =>
      change(request, reply, request.params.id, async (em, actor, target) => {
        const role = request.body.role as Role
        if (!ROLES.includes(role)) throw new InvalidInputError()
        if (!grantableBy(actor).includes(role)) throw new ForbiddenError()
        if (target.role === 'owner' && role !== 'owner' && !(await anotherOwner(em, target))) return { kind: 'error', key: 'auth.adminMembers.lastOwner' }
        target.role = role
        target.updatedAt = new Date()
        return { kind: 'success', key: 'auth.adminMembers.roleChanged' }
      })
    )

    routes.post('/admin/members/:id/suspend', { schema: { params: IdParams, body: CsrfOnly } }, async (request, reply) =>
      change(request, reply, request.params.id, async (em, actor, target) => {
        if (target.id === actor.id) return { kind: 'error', key: 'auth.adminMembers.self' }
        if (target.role === 'owner' && !(await anotherOwner(em, target))) return { kind: 'error', key: 'auth.adminMembers.lastOwner' }
        if (target.status !== 'suspended') {
          target.status = 'suspended'
          // A new epoch ends every session of theirs at its next request, wherever it is stored.
          target.epoch += 1
          target.updatedAt = new Date()
        }
        return { kind: 'success', key: 'auth.adminMembers.suspended', endSessions: true }
      })
    )

    routes.post('/admin/members/:id/reactivate', { schema: { params: IdParams, body: CsrfOnly } }, async (request, reply) =>
      change(request, reply, request.params.id, async (_em, _actor, target) => {
        if (target.status === 'suspended') {
          target.status = target.verifiedAt ? 'active' : 'unverified'
          target.updatedAt = new Date()
        }
        return { kind: 'success', key: 'auth.adminMembers.reactivated' }
      })
    )

    // Asks first: removal cannot be undone. The page itself changes nothing.
    routes.get('/admin/members/:id/remove', { schema: { params: IdParams } }, async (request, reply) => {
      const actor = request.member!
      const target = await request.em.findOne(Member, { id: request.params.id })
      if (!target) throw new NotFoundError()
      if (!manages(actor, target)) throw new ForbiddenError()
      if (target.id === actor.id) {
        request.flash('error', ctx.t(request.locale, 'auth.adminMembers.self'))
        return reply.redirect('/admin/members', 303)
      }
      return reply.page('auth/admin-members-remove', { id: target.id, name: target.name, email: target.email }, { title: 'auth.adminMembers.title' })
    })

    routes.post('/admin/members/:id/remove', { schema: { params: IdParams, body: CsrfOnly } }, async (request, reply) =>
      change(request, reply, request.params.id, async (em, actor, target) => {
        if (target.id === actor.id) return { kind: 'error', key: 'auth.adminMembers.self' }
        if (target.role === 'owner' && !(await anotherOwner(em, target))) return { kind: 'error', key: 'auth.adminMembers.lastOwner' }
        // Their pending links (sign-in, reset, verification) die with them.
        await em.nativeDelete(AuthToken, { memberId: target.id })
        em.remove(target)
        ctx.events.emit('member.removed', { tenantId: target.tenantId, memberId: target.id }, { em })
        return { kind: 'success', key: 'auth.adminMembers.removed', endSessions: true }
      })
    )
  })
}
