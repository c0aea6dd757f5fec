import { memberJoined } from '../events.js'
import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ConflictError, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Member, type MemberEntity, type Role } from '../entities/member.entity.js'
import { AuthToken } from '../entities/token.entity.js'
import { cleanText, type FieldErrors } from '../services/forms.js'
import { requireMember } from '../services/guards.js'
import { cleanMessage, INVITABLE_ROLES, invitationOf, MAX_BATCH, parseAddressList, sendInvitation } from '../services/invitations.js'
import { FieldError, type MemberService } from '../services/members.js'
import { passwordProblem } from '../services/passwords.js'
import { signIn } from '../services/sessions.js'
import { consumeToken, findToken, issueToken } from '../services/tokens.js'
import { adminMembersRoutes } from './admin-members.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const InviteBody = Type.Object({ addresses: Text(20_000), role: Text(20), message: Text(4000), _csrf: Text(200) })
const AcceptBody = Type.Object({ name: Text(500), password: Text(1000), via: Text(20), _csrf: Text(200) })
const IdParams = Type.Object({ id: Type.String({ maxLength: 36 }) })
const TokenParams = Type.Object({ token: Type.String({ maxLength: 100 }) })
const CsrfOnly = Type.Object({ _csrf: Text(200) })

/** Invitations an admin may send: enough for a department's list, too few to make Kaiku a spam relay. */
const PER_ADMIN = { max: 200, windowMs: 60 * 60_000 }
const PER_IP = { max: 30, timeWindow: 60_000 }
const MESSAGE_MAX = 2000

const roleKey = (role: Role) => `auth.adminMembers.role.${role}`

/** Owners may invite admins; admins invite curators and members. */
const invitableBy = (actor: MemberEntity): readonly Role[] => (actor.role === 'owner' ? INVITABLE_ROLES : INVITABLE_ROLES.filter((role) => role !== 'admin'))

async function pendingInvitations(em: EntityManager) {
  const tokens = await em.find(AuthToken, { kind: 'invite', usedAt: null }, { orderBy: { createdAt: 'desc' }, limit: 500 })
  const now = Date.now()
  return tokens.flatMap((token) => {
    const invitation = invitationOf(token)
    if (!invitation) return []
    const expired = token.expiresAt.getTime() <= now
    return [{ id: token.id, email: token.email, roleKey: roleKey(invitation.role), invitedBy: invitation.invitedBy, createdAt: token.createdAt, expiresAt: token.expiresAt, expired }]
  })
}

/**
 * Invitations: admins paste addresses (any domain) and each gets a single-use link, valid 14 days,
 * that they can resend or revoke; the invitee opens `/invite/:token` on the instance's host, picks a
 * name and a password (or asks for a sign-in link) and is a member, signed in, in one step.
 */
export function invitationsRoutes(app: FastifyInstance, ctx: PluginContext, members: MemberService): void {
  const parse = (text: string) => app.tenancy.parseEmail(text)
  ctx.nav.add({ label: 'nav.invitations', href: '/admin/invitations', roles: ['owner', 'admin'], order: 810 })

  app.register(async (scope) => {
    scope.addHook('onRequest', requireMember('admin', 'owner'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const page = async (request: FastifyRequest, reply: FastifyReply, form: { values: Record<string, unknown>; errors?: FieldErrors; invalid?: string[] }, status?: number) => {
      const actor = request.member!
      const role = form.values.role ?? 'member'
      return reply.page(
        'auth/invitations',
        {
          values: form.values,
          errors: form.errors ?? {},
          invalid: form.invalid ?? [],
          roles: invitableBy(actor).map((value) => ({ value, key: roleKey(value), selected: value === role })),
          pending: await pendingInvitations(request.em)
        },
        { title: 'auth.invitations.title', status }
      )
    }

    routes.get('/admin/invitations', async (request, reply) => page(request, reply, { values: { message: request.tenant!.invitationMessage } }))

    routes.post('/admin/invitations', { schema: { body: InviteBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
      const actor = request.member!
      const tenant = request.tenant!
      const body = request.body
      const role = (body.role ?? 'member') as Role
      const message = cleanMessage(body.message, MESSAGE_MAX)
      const batch = parseAddressList(body.addresses ?? '', parse)
      const errors: FieldErrors = {}
      if (!INVITABLE_ROLES.includes(role)) errors.role = 'auth.form.role'
      else if (!invitableBy(actor).includes(role)) errors.role = 'auth.invitations.roleNotAllowed'
      if (message.error) errors.message = message.error
      if (batch.valid.length + batch.invalid.length === 0) errors.addresses = 'auth.invitations.none'
      else if (batch.valid.length + batch.invalid.length > MAX_BATCH) errors.addresses = 'auth.invitations.tooMany'
      const values = { addresses: body.addresses, role, message: message.value }
      if (Object.keys(errors).length > 0) return page(request, reply, { values, errors }, 400)

      const known = await request.em.find(Member, { email: { $in: batch.valid } }, { fields: ['email'] })
      const skipped = batch.valid.filter((email) => known.some((member) => member.email === email))
      const wanted = batch.valid.filter((email) => !skipped.includes(email))
      // Counted before the transaction: the counters have their own connection, which SQLite's one would wait for.
      const allowed: string[] = []
      let retryAfter = 0
      for (const email of wanted) {
        const limit = await ctx.limits.consume(`invite:${tenant.id}:${actor.id}`, PER_ADMIN.max, PER_ADMIN.windowMs)
        if (!limit.allowed) {
          retryAfter = limit.retryAfter
          break
        }
        allowed.push(email)
      }
      const limited = wanted.slice(allowed.length)
      let replaced: string[] = []
      if (allowed.length > 0) {
        await request.em.transactional(async (em) => {
          // Inviting an address again replaces its pending invitation: one live link per address.
          const pending = await em.find(AuthToken, { kind: 'invite', usedAt: null, expiresAt: { $gt: new Date() }, email: { $in: allowed } }, { fields: ['email'] })
          replaced = [...new Set(pending.map((token) => token.email))]
          await em.nativeDelete(AuthToken, { kind: 'invite', usedAt: null, email: { $in: allowed } })
          for (const email of allowed) {
            await sendInvitation(em, ctx, { tenant, email, invitation: { role, message: message.value, invitedBy: actor.name }, createdBy: actor.id, locale: request.locale, origin: app.tenancy.origin(tenant.slug) })
          }
        })
      }
      const t = (key: string, params: Record<string, unknown>) => ctx.t(request.locale, key, params)
      if (allowed.length > 0) request.flash('success', t('auth.invitations.sent', { count: allowed.length, addresses: allowed.join(', ') }))
      if (replaced.length > 0) request.flash('info', t('auth.invitations.replaced', { addresses: replaced.join(', ') }))
      if (skipped.length > 0) request.flash('info', t('auth.invitations.skipped', { addresses: skipped.join(', ') }))
      if (limited.length > 0) {
        request.flash('error', t('auth.invitations.limited', { addresses: limited.join(', '), max: PER_ADMIN.max }))
        reply.header('retry-after', String(retryAfter))
      }
      if (batch.invalid.length === 0 && limited.length === 0) return reply.redirect('/admin/invitations', 303)
      // What still needs the admin's attention stays in the field; the rest went out (or was skipped).
      const left = [...batch.invalid, ...limited].join('\n')
      const status = limited.length > 0 ? 429 : allowed.length + skipped.length > 0 ? 200 : 400
      return page(request, reply, { values: { ...values, addresses: left }, errors: batch.invalid.length > 0 ? { addresses: 'auth.invitations.invalid' } : {}, invalid: batch.invalid }, status)
    })

    routes.post('/admin/invitations/:id/resend', { schema: { params: IdParams, body: CsrfOnly }, config: { rateLimit: PER_IP } }, async (request, reply) => {
      const actor = request.member!
      const tenant = request.tenant!
      const old = await request.em.findOne(AuthToken, { id: request.params.id, kind: 'invite', usedAt: null })
      const invitation = old && invitationOf(old)
      if (!old || !invitation) throw new NotFoundError()
      if (await request.em.count(Member, { email: old.email })) {
        await request.em.nativeDelete(AuthToken, { id: old.id })
        request.flash('info', ctx.t(request.locale, 'auth.invitations.nowMember', { email: old.email }))
        return reply.redirect('/admin/invitations', 303)
      }
      const limit = await ctx.limits.consume(`invite:${tenant.id}:${actor.id}`, PER_ADMIN.max, PER_ADMIN.windowMs)
      if (!limit.allowed) {
        reply.header('retry-after', String(limit.retryAfter))
        request.flash('error', ctx.t(request.locale, 'auth.invitations.limited', { addresses: old.email, max: PER_ADMIN.max }))
        return reply.redirect('/admin/invitations', 303)
      }
      await request.em.transactional(async (em) => {
        // Only the newest link works: the one mailed before is deleted with the new one's creation.
        const removed = await em.nativeDelete(AuthToken, { id: old.id, usedAt: null })
        if (removed !== 1) throw new NotFoundError()
        await sendInvitation(em, ctx, { tenant, email: old.email, invitation, createdBy: actor.id, locale: request.locale, origin: app.tenancy.origin(tenant.slug) })
      })
      request.flash('success', ctx.t(request.locale, 'auth.invitations.resent', { email: old.email }))
      return reply.redirect('/admin/invitations', 303)
    })

    routes.post('/admin/invitations/:id/revoke', { schema: { params: IdParams, body: CsrfOnly } }, async (request, reply) => {
      const token = await request.em.findOne(AuthToken, { id: request.params.id, kind: 'invite', usedAt: null })
      if (!token || (await request.em.nativeDelete(AuthToken, { id: token.id, usedAt: null })) !== 1) throw new NotFoundError()
      request.flash('success', ctx.t(request.locale, 'auth.invitations.revoked', { email: token.email }))
      return reply.redirect('/admin/invitations', 303)
    })
  })

  acceptRoutes(app, ctx, members)
  adminMembersRoutes(app, ctx)
}

/** The invitee's side: the link from the mail, on the instance's own host. */
function acceptRoutes(app: FastifyInstance, ctx: PluginContext, members: MemberService): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const gone = (reply: FastifyReply) => reply.page('auth/invite-gone', {}, { title: 'auth.invite.goneTitle', status: 410 })
  const already = (reply: FastifyReply, email: string, tenantName: string) =>
    reply.page('auth/invite-done', { heading: 'auth.invite.alreadyTitle', email, tenantName, already: true }, { title: 'auth.invite.alreadyTitle' })

  const usable = async (request: FastifyRequest, raw: string) => {
    const tenant = request.tenant
    const token = tenant ? await findToken(request.em, 'invite', raw) : null
    const invitation = token && invitationOf(token)
    return tenant && token && invitation ? { tenant, token, invitation } : null
  }

  const form = (reply: FastifyReply, found: NonNullable<Awaited<ReturnType<typeof usable>>>, raw: string, values: Record<string, unknown> = {}, errors: FieldErrors = {}) =>
    reply.page(
      'auth/invite',
      {
        token: raw,
        email: found.token.email,
        tenantName: found.tenant.name,
        inviter: found.invitation.invitedBy,
        message: found.invitation.message,
        roleKey: roleKey(found.invitation.role),
        values,
        errors
      },
      { title: 'auth.invite.title', status: Object.keys(errors).length > 0 ? 400 : 200 }
    )

  routes.get('/invite/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    const found = await usable(request, request.params.token)
    if (!found) return gone(reply)
    if (await request.em.count(Member, { email: found.token.email })) return already(reply, found.token.email, found.tenant.name)
    return form(reply, found, request.params.token)
  })

  routes.post('/invite/:token', { schema: { params: TokenParams, body: AcceptBody }, config: { rateLimit: { max: 20, timeWindow: 60_000 } } }, async (request, reply) => {
    const raw = request.params.token
    const found = await usable(request, raw)
    if (!found) return gone(reply)
    const { tenant, token, invitation } = found
    if (await request.em.count(Member, { email: token.email })) {
      await consumeToken(request.em, 'invite', raw)
      return already(reply, token.email, tenant.name)
    }
    const byLink = request.body.via === 'link'
    const name = cleanText(request.body.name, 120)
    const password = byLink ? undefined : (request.body.password ?? '')
    const errors: FieldErrors = {}
    if (name.error) errors.name = name.error
    const problem = password === undefined ? undefined : passwordProblem(password, token.email)
    if (problem) errors.password = problem
    if (Object.keys(errors).length > 0) return form(reply, found, raw, { name: name.value }, errors)

    let member: MemberEntity | null
    try {
      member = await request.em.transactional(async (em) => {
        // Spent in the same transaction that creates the member: two tabs posting at once make one account.
        if (!(await consumeToken(em, 'invite', raw))) return null
        const created = await members.create(em, tenant, { email: token.email, name: name.value, role: invitation.role, status: 'active', password })
        memberJoined(ctx, em, created, 'invitation', token.createdBy ?? undefined)
        if (byLink) {
          const magic = issueToken(em, { tenantId: tenant.id, kind: 'magic', email: created.email, memberId: created.id })
          await em.flush()
          await ctx.mail.send(em, {
            to: created.email,
            template: 'auth/magic-link',
            data: { name: created.name, link: `${app.tenancy.origin(tenant.slug)}/login/link/${magic.raw}`, tenantName: tenant.name },
            tenant: tenant.id
          })
        } else {
          created.lastLoginAt = new Date()
          await em.flush()
        }
        return created
      })
    } catch (error) {
      if (error instanceof ConflictError) return already(reply, token.email, tenant.name)
      if (error instanceof FieldError) return form(reply, found, raw, { name: name.value }, { [error.field]: error.messageKey })
      throw error
    }
    if (!member) return gone(reply)
    if (byLink) return reply.page('auth/invite-done', { heading: 'auth.invite.linkSentHeading', email: member.email, tenantName: tenant.name }, { title: 'auth.invite.linkSentHeading' })
    await signIn(request, { kind: 'member', id: member.id, tenantId: tenant.id, epoch: member.epoch }, false, ctx.settings.sessionMaxDays)
    request.flash('success', ctx.t(request.locale, 'auth.invite.welcome', { tenant: tenant.name, name: member.name }))
    return reply.redirect('/', 303)
  })
}
