import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { NotFoundError, Type, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Member } from '../entities/member.entity.js'
import { AuthToken } from '../entities/token.entity.js'
import { checkReason, recordLook, REASON_MAX, REASON_MIN } from '../services/audit.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const SlugParams = Type.Object({ slug: Type.String({ maxLength: 100 }) })
const ReasonBody = Type.Object({ reason: Text(4000), _csrf: Text(200) })

/** What the troubleshooting view shows, as the audit entry names it for the instance's admins. */
const SUBJECT = 'members (name, email, role, status, last sign-in) and invitation counts'
/** A view for troubleshooting, not an export. */
const MAX_MEMBERS = 1000

/**
 * The troubleshooting view: a read-only look at one instance's members. It asks for a reason first,
 * and the look is written to the instance's audit log, committed, before any of its data is read.
 * Each query names the instance it reads (the request's own tenant, if any, is a different one).
 * The look is a POST: it writes, and a GET must never write.
 */
export function operatorInspectRoutes(app: FastifyInstance): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()

  const tenantOf = async (em: EntityManager, slug: string) => {
    const tenant = await app.tenancy.bySlug(em, slug.toLowerCase())
    if (!tenant) throw new NotFoundError()
    return tenant
  }

  // `instance`, not `tenant`: the layout's own `tenant` (the request's) would shadow it.
  const reasonPage = (instance: { slug: string; name: string }, values: Record<string, unknown>, error?: string) => ({
    instance,
    values,
    errors: error ? { reason: error } : {},
    min: REASON_MIN,
    max: REASON_MAX
  })

  routes.get('/operator/tenants/:slug', { schema: { params: SlugParams } }, async (request, reply) => {
    const tenant = await tenantOf(request.em, request.params.slug)
    return reply.page('auth/operator-reason', reasonPage(tenant, {}), { title: 'auth.operator.inspect.title' })
  })

  routes.post('/operator/tenants/:slug', { schema: { params: SlugParams, body: ReasonBody } }, async (request, reply) => {
    const tenant = await tenantOf(request.em, request.params.slug)
    const reason = checkReason(request.body.reason)
    if (reason.error) {
      return reply.page('auth/operator-reason', reasonPage(tenant, { reason: request.body.reason }, reason.error), { title: 'auth.operator.inspect.title', status: 400 })
    }
    const em = request.em
    const entry = await recordLook(em, { tenantId: tenant.id, operator: request.operator!, action: 'inspect.members', subject: SUBJECT, reason: reason.value })

    const crossing = { filters: { tenant: { tenantId: tenant.id } } }
    const now = new Date()
    const [members, memberCount, pending, expired] = await Promise.all([
      em.find(Member, {}, { ...crossing, orderBy: { name: 'asc', email: 'asc' }, limit: MAX_MEMBERS, fields: ['name', 'email', 'role', 'status', 'lastLoginAt'] }),
      em.count(Member, {}, crossing),
      em.count(AuthToken, { kind: 'invite', usedAt: null, expiresAt: { $gt: now } }, crossing),
      em.count(AuthToken, { kind: 'invite', usedAt: null, expiresAt: { $lte: now } }, crossing)
    ])
    return reply.page(
      'auth/operator-tenant',
      {
        instance: tenant,
        entry,
        counts: { members: memberCount, pending, expired },
        members: members.map((member) => ({
          name: member.name,
          email: member.email,
          roleKey: `auth.operator.role.${member.role}`,
          statusKey: `auth.operator.memberStatus.${member.status}`,
          status: member.status,
          lastLoginAt: member.lastLoginAt
        })),
        truncated: memberCount > members.length
      },
      { title: 'auth.operator.inspect.title' }
    )
  })
}
