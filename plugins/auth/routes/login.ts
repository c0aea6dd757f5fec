import { memberJoined } from '../events.js'
import type { FastifyInstance } from 'fastify'
import { NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Member } from '../entities/member.entity.js'
import { consumeToken, findToken, issueToken } from '../services/tokens.js'
import { verifyPassword } from '../services/passwords.js'
import { signIn, signOut } from '../services/sessions.js'
import { originOf, safeNext, type FieldErrors } from '../services/forms.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const LoginBody = Type.Object({ email: Text(400), password: Text(1000), remember: Text(10), next: Text(2000), _csrf: Text(200) })
const EmailBody = Type.Object({ email: Text(400), _csrf: Text(200) })
const TokenParams = Type.Object({ token: Type.String({ maxLength: 100 }) })
const NextQuery = Type.Object({ next: Text(2000) })

/** Per address and per account: generous for people, hopeless for password guessing. */
const PER_IP = { max: 20, timeWindow: 60_000 }
const PER_ACCOUNT = { max: 8, windowMs: 15 * 60_000 }

/**
 * Password login, magic links and logout. Known and unknown addresses get the same answer, in about
 * the same time. A magic link's GET only shows a button; the POST signs in, so mail scanners that open
 * links cannot spend it.
 */
export function loginRoutes(app: FastifyInstance, ctx: PluginContext) {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const parseEmailAddress = (text: string) => app.tenancy.parseEmail(text)?.address

  const loginPage = (values: Record<string, unknown>, errors: FieldErrors = {}, message?: string) => ({ values, errors, message })

  routes.get('/login', { schema: { querystring: NextQuery } }, async (request, reply) => {
    if (request.member) return reply.redirect(safeNext(request.query.next), 303)
    return reply.page('auth/login', loginPage({ next: safeNext(request.query.next) }), { title: 'auth.login.title' })
  })

  routes.post('/login', { schema: { body: LoginBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
    const tenant = request.tenant
    const { email = '', password = '', remember, next } = request.body
    const values = { email, remember: remember === 'on', next: safeNext(next) }
    const address = parseEmailAddress(email)
    if (!tenant || !address || !password) {
      return reply.page('auth/login', loginPage(values, {}, 'auth.login.failed'), { title: 'auth.login.title', status: 400 })
    }
    const limit = await ctx.limits.consume(`login:${tenant.id}:${address}`, PER_ACCOUNT.max, PER_ACCOUNT.windowMs)
    if (!limit.allowed) {
      reply.header('retry-after', String(limit.retryAfter))
      return reply.page('auth/login', loginPage(values, {}, 'auth.login.tooMany'), { title: 'auth.login.title', status: 429 })
    }
    const member = await request.em.findOne(Member, { email: address })
    const valid = await verifyPassword(password, member?.passwordHash)
    if (!member || !valid || member.status === 'suspended') {
      return reply.page('auth/login', loginPage(values, {}, 'auth.login.failed'), { title: 'auth.login.title', status: 400 })
    }
    member.lastLoginAt = new Date()
    await request.em.flush()
    await signIn(request, { kind: 'member', id: member.id, tenantId: tenant.id, epoch: member.epoch }, values.remember, ctx.settings.sessionMaxDays)
    return reply.redirect(values.next, 303)
  })

  routes.post('/logout', { schema: { body: Type.Object({ _csrf: Text(200) }) } }, async (request, reply) => {
    await signOut(request)
    return reply.redirect('/login', 303)
  })

  routes.get('/login/link', async (request, reply) =>
    reply.page('auth/login-link', { values: {}, errors: {} }, { title: 'auth.link.title' })
  )

  routes.post('/login/link', { schema: { body: EmailBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
    const tenant = request.tenant
    const address = parseEmailAddress(request.body.email ?? '')
    if (!tenant || !address) {
      return reply.page('auth/login-link', { values: request.body, errors: { email: 'auth.form.email' } }, { title: 'auth.link.title', status: 400 })
    }
    const limit = await ctx.limits.consume(`magic:${tenant.id}:${address}`, 3, 15 * 60_000)
    if (limit.allowed) {
      const member = await request.em.findOne(Member, { email: address, status: { $ne: 'suspended' } })
      if (member) {
        await request.em.transactional(async (em) => {
          const { raw } = issueToken(em, { tenantId: tenant.id, kind: 'magic', email: address, memberId: member.id })
          await em.flush()
          await ctx.mail.send(em, {
            to: address,
            template: 'auth/magic-link',
            data: { name: member.name, link: `${originOf(request, ctx.settings.publicUrl)}/login/link/${raw}`, tenantName: tenant.name },
            tenant: tenant.id
          })
        })
      }
    }
    // The same page whether or not the address has an account, and whether or not it was limited.
    return reply.page('auth/link-sent', { email: address }, { title: 'auth.link.title' })
  })

  routes.get('/login/link/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    if (!request.tenant) throw new NotFoundError()
    const token = await findToken(request.em, 'magic', request.params.token)
    return reply.page('auth/link-confirm', { valid: Boolean(token), token: request.params.token }, { title: 'auth.link.title', status: token ? 200 : 410 })
  })

  routes.post('/login/link/:token', { schema: { params: TokenParams, body: Type.Object({ _csrf: Text(200) }) } }, async (request, reply) => {
    const tenant = request.tenant
    const token = tenant ? await consumeToken(request.em, 'magic', request.params.token) : null
    const member = token?.memberId ? await request.em.findOne(Member, { id: token.memberId }) : null
    if (!tenant || !member || member.status === 'suspended') {
      return reply.page('auth/link-confirm', { valid: false }, { title: 'auth.link.title', status: 410 })
    }
    // Following a link from the mailbox proves the address, as verification does.
    const joins = member.status === 'unverified'
    if (joins) {
      member.status = 'active'
      member.verifiedAt = new Date()
    }
    member.lastLoginAt = new Date()
    await request.em.flush()
    if (joins) memberJoined(ctx, request.em, member, 'signup')
    await signIn(request, { kind: 'member', id: member.id, tenantId: tenant.id, epoch: member.epoch }, false, ctx.settings.sessionMaxDays)
    return reply.redirect('/', 303)
  })
}
