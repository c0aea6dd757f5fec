import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { MemberEntity } from '../entities/member.entity.js'
import { cleanText, type FieldErrors } from '../services/forms.js'
import { requireMember } from '../services/guards.js'
import { FieldError, type MemberService } from '../services/members.js'
import { passwordProblem, verifyPassword } from '../services/passwords.js'
import { avatarOf, directory, person } from '../services/people.js'
import { authState, signIn, subjectOf } from '../services/sessions.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const Csrf = { _csrf: Text(200) }
const DirectoryQuery = Type.Object({ q: Text(200) })
const PersonParams = Type.Object({ id: Type.String({ maxLength: 100 }) })
const ProfileBody = Type.Object({ name: Text(1000), title: Text(1000), department: Text(1000), ...Csrf })
const PasswordBody = Type.Object({ current: Text(1000), password: Text(1000), ...Csrf })

/** Guessing the current password from a stolen session: a few tries per account, then a wait. */
const PASSWORD_PER_IP = { max: 20, timeWindow: 60_000 }
const PASSWORD_PER_ACCOUNT = { max: 5, windowMs: 15 * 60_000 }

const MEMBER_ROLES = ['owner', 'admin', 'curator', 'member']

/** The signed-in member; the scope's guard has made sure there is one. */
const me = (request: FastifyRequest) => request.member as MemberEntity

/**
 * The member directory and profiles (members of the same instance only: every read goes through the
 * request's tenant-filtered EntityManager), and the member's own pages: `/me` for the profile,
 * `/me/security` for sessions and the password.
 */
export function peopleRoutes(app: FastifyInstance, ctx: PluginContext, members: MemberService): void {
  ctx.nav.add({ label: 'nav.people', href: '/people', roles: MEMBER_ROLES, order: 400 })
  ctx.nav.add({ label: 'nav.profile', href: '/me', roles: MEMBER_ROLES, order: 950 })

  app.register(async (scope) => {
    scope.addHook('onRequest', requireMember())
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/people', { schema: { querystring: DirectoryQuery } }, async (request, reply) => {
      const q = (request.query.q ?? '').trim()
      const people = await directory(request.em, request.locale, q)
      return reply.page('auth/people', { people, q, viewerId: me(request).id }, { title: 'auth.people.title' })
    })

    routes.get('/people/:id', { schema: { params: PersonParams } }, async (request, reply) => {
      const found = await person(request.em, request.params.id)
      if (!found) throw new NotFoundError()
      return reply.page('auth/people-profile', { person: found, own: found.id === me(request).id }, { title: 'auth.people.profileTitle' })
    })

    const profilePage = async (request: FastifyRequest, reply: FastifyReply, member: MemberEntity, values: Record<string, unknown>, errors: FieldErrors = {}) => {
      const sections = await ctx.events.filter('profile.sections', [], { em: request.em, tenantId: member.tenantId, memberId: member.id, locale: request.locale })
      return reply.page(
        'auth/me',
        { values, errors, email: member.email, id: member.id, avatar: avatarOf(member), sections },
        { title: 'auth.me.title', status: Object.keys(errors).length ? 400 : 200 }
      )
    }

    routes.get('/me', async (request, reply) => {
      const member = me(request)
      return profilePage(request, reply, member, { name: member.name, title: member.title, department: member.department })
    })

    routes.post('/me', { schema: { body: ProfileBody } }, async (request, reply) => {
      const member = me(request)
      const name = cleanText(request.body.name, 120)
      const title = cleanText(request.body.title, 120, false)
      const department = cleanText(request.body.department, 120, false)
      const errors: FieldErrors = {}
      for (const [field, result] of Object.entries({ name, title, department })) if (result.error) errors[field] = result.error
      if (Object.keys(errors).length) {
        return profilePage(request, reply, member, { name: request.body.name, title: request.body.title, department: request.body.department }, errors)
      }
      member.name = name.value
      member.title = title.value || null
      member.department = department.value || null
      member.updatedAt = new Date()
      await request.em.flush()
      request.flash('success', ctx.t(request.locale, 'auth.me.saved'))
      return reply.redirect('/me', 303)
    })

    const securityPage = async (request: FastifyRequest, reply: FastifyReply, errors: FieldErrors = {}, status = 200) => {
      const current = request.session.sessionId
      const sessions = (await ctx.sessions.list(subjectOf('member', me(request).id))).map((session) => ({
        browser: session.userAgent,
        signedInAt: session.createdAt,
        lastActiveAt: session.lastActiveAt,
        current: session.id === current
      }))
      // The current session first, then the others by last activity (as listed).
      sessions.sort((a, b) => Number(b.current) - Number(a.current))
      const others = sessions.filter((session) => !session.current).length
      const hasPassword = Boolean(me(request).passwordHash)
      return reply.page('auth/me-security', { sessions, others, errors, hasPassword }, { title: 'auth.security.title', status })
    }

    routes.get('/me/security', async (request, reply) => securityPage(request, reply))

    routes.post('/me/security/sessions', { schema: { body: Type.Object(Csrf) } }, async (request, reply) => {
      const ended = await ctx.sessions.revoke(subjectOf('member', me(request).id), request.session.sessionId)
      request.flash('success', ctx.t(request.locale, 'auth.security.othersEnded', { count: ended }))
      return reply.redirect('/me/security', 303)
    })

    routes.post('/me/security/password', { schema: { body: PasswordBody }, config: { rateLimit: PASSWORD_PER_IP } }, async (request, reply) => {
      const member = me(request)
      const { current = '', password = '' } = request.body
      // Members who joined by link have no password to confirm: they set one by the reset mail.
      if (!member.passwordHash) return securityPage(request, reply, {}, 400)
      if (!current) return securityPage(request, reply, { current: 'core.form.required' }, 400)
      const limit = await ctx.limits.consume(`password:${member.tenantId}:${member.id}`, PASSWORD_PER_ACCOUNT.max, PASSWORD_PER_ACCOUNT.windowMs)
      if (!limit.allowed) {
        reply.header('retry-after', String(limit.retryAfter))
        return securityPage(request, reply, { current: 'auth.security.tooMany' }, 429)
      }
      if (!(await verifyPassword(current, member.passwordHash))) return securityPage(request, reply, { current: 'auth.security.currentWrong' }, 400)
      const problem = password ? passwordProblem(password, member.email) : 'core.form.required'
      if (problem) return securityPage(request, reply, { password: problem }, 400)
      try {
        await members.setPassword(request.em, member, password)
      } catch (error) {
        if (error instanceof FieldError) return securityPage(request, reply, { password: error.messageKey }, 400)
        throw error
      }
      // The new epoch has ended every session; drop their rows too (so no stale one is listed), then
      // sign this browser in afresh, under a new session id, with the new epoch.
      const remember = authState(request)?.remember ?? false
      await ctx.sessions.revoke(subjectOf('member', member.id), request.session.sessionId)
      await signIn(request, { kind: 'member', id: member.id, tenantId: member.tenantId, epoch: member.epoch }, remember, ctx.settings.sessionMaxDays)
      request.flash('success', ctx.t(request.locale, 'auth.security.passwordChanged'))
      return reply.redirect('/me/security', 303)
    })
  })
}
