import { memberJoined } from '../events.js'
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ConflictError, NotFoundError, Type, type PluginContext, type TenantContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Member, type MemberEntity } from '../entities/member.entity.js'
import { AuthToken, type AuthTokenEntity, type TokenKind } from '../entities/token.entity.js'
import { accountMail, pendingSignup } from '../services/account-mail.js'
import { cleanText, type FieldErrors } from '../services/forms.js'
import type { MemberService } from '../services/members.js'
import { hashPassword, passwordProblem, verifyPassword } from '../services/passwords.js'
import { signIn } from '../services/sessions.js'
import { consumeToken, findToken } from '../services/tokens.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const SignupBody = Type.Object({ name: Text(2000), email: Text(2000), password: Text(2000), _csrf: Text(200) })
const EmailBody = Type.Object({ email: Text(2000), _csrf: Text(200) })
const PasswordBody = Type.Object({ password: Text(2000), _csrf: Text(200) })
const VerifyBody = Type.Object({ password: Text(1000), _csrf: Text(200) })
const TokenParams = Type.Object({ token: Type.String({ maxLength: 100 }) })

/** Per address (the route's limit) and per typed email address, whether or not it has an account. */
const PER_IP = { max: 20, timeWindow: 60_000 }
const PER_ACCOUNT = { max: 5, windowMs: 60 * 60_000 }

/** The session remembers which address a sign-up was for (and where), so "check your mail" can name it. */
const PENDING = 'signupPending' as never
interface PendingState {
  tenantId: string
  email: string
}

/** The member a token was issued to, if it still has the token's address and is allowed in. */
async function holderOf(em: EntityManager, token: AuthTokenEntity | null, status: 'unverified' | 'any'): Promise<MemberEntity | null> {
  if (!token?.memberId) return null
  const member = await em.findOne(Member, { id: token.memberId, email: token.email })
  if (!member || member.status === 'suspended' || (status === 'unverified' && member.status !== 'unverified')) return null
  return member
}

/**
 * Sign-up with a work email at one of the instance's domains, email verification, and password reset
 * by mail. Nothing says whether an address has an account: a duplicate sign-up and a new one get the
 * same "check your mail" (and the same anonymous session), known and unknown addresses the same "a
 * link is on its way"; only the mailbox learns which. Links show a button on GET and act on POST, so
 * mail scanners that open them cannot spend them.
 */
export function signupRoutes(app: FastifyInstance, ctx: PluginContext, members: MemberService): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const mail = accountMail(ctx)
  const maxDays = ctx.settings.sessionMaxDays

  ctx.nav.add({ label: 'nav.signup', href: '/signup', guest: true, order: 991 })

  /** These pages exist only on an instance's host; the bare operator host has no one to sign up to. */
  const instanceOf = (request: FastifyRequest): TenantContext => {
    if (!request.tenant) throw new NotFoundError()
    return request.tenant
  }

  const tooMany = async (reply: FastifyReply, key: string) => {
    const limit = await ctx.limits.consume(key, PER_ACCOUNT.max, PER_ACCOUNT.windowMs)
    if (!limit.allowed) reply.header('retry-after', String(limit.retryAfter))
    return !limit.allowed
  }

  /** Once one link of a kind has done its job, the member's others are spent and their pending data dropped. */
  const spendOthers = async (em: EntityManager, member: MemberEntity, kind: TokenKind) => {
    await em.nativeUpdate(AuthToken, { memberId: member.id, kind, usedAt: null }, { usedAt: new Date() })
    await em.nativeUpdate(AuthToken, { memberId: member.id, kind }, { data: '{}' })
  }

  const signupForm = (reply: FastifyReply, tenant: TenantContext, values: Record<string, unknown>, errors: FieldErrors, status = 200, message?: string) =>
    reply.page('auth/signup', { values, errors, message, domains: tenant.domains.join(', ') }, { title: 'auth.signup.title', status })

  routes.get('/signup', async (request, reply) => {
    const tenant = instanceOf(request)
    if (request.member) return reply.redirect('/', 303)
    return signupForm(reply, tenant, {}, {})
  })

  routes.post('/signup', { schema: { body: SignupBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
    const tenant = instanceOf(request)
    if (request.member) return reply.redirect('/', 303)
    const { name = '', email = '', password = '' } = request.body
    const values = { name, email }
    const errors: FieldErrors = {}
    const cleanName = cleanText(name, 120)
    if (cleanName.error) errors.name = cleanName.error
    const parsed = app.tenancy.parseEmail(email)
    if (!parsed) errors.email = 'auth.form.email'
    else if (!members.atDomainOf(tenant, parsed.address)) errors.email = 'auth.signup.notDomain'
    const problem = passwordProblem(password, parsed?.address)
    if (problem) errors.password = problem
    if (!parsed || Object.keys(errors).length > 0) return signupForm(reply, tenant, values, errors, 400)

    const address = parsed.address
    if (await tooMany(reply, `signup:${tenant.id}:${address}`)) return signupForm(reply, tenant, values, {}, 429, 'auth.signup.tooMany')
    // Hashed before we know whether the address is taken, so both cases take the same time.
    const pending = { name: cleanName.value, passwordHash: await hashPassword(password) }
    await request.em
      .transactional(async (em) => {
        const existing = await em.findOne(Member, { email: address })
        if (existing?.status === 'unverified') return mail.verification(em, request, tenant, existing, pending)
        if (existing?.status === 'active') return mail.passwordReset(em, request, tenant, existing, true)
        if (existing) return
        const member = await members.create(em, tenant, { email: address, name: pending.name, role: 'member', status: 'unverified' })
        member.passwordHash = pending.passwordHash
        await mail.verification(em, request, tenant, member)
      })
      // Two sign-ups for one address at once: the other one created the account and mailed it.
      .catch((error: unknown) => {
        if (!(error instanceof UniqueConstraintViolationException || error instanceof ConflictError)) throw error
      })
    // Not signed in, new account or not: a browser signed in only when the address was new would tell
    // anyone who tries an address whether it has an account. Confirming the address signs in.
    request.session?.set(PENDING, { tenantId: tenant.id, email: address } satisfies PendingState as never)
    return reply.redirect('/signup/sent', 303)
  })

  routes.get('/signup/sent', async (request, reply) => {
    const tenant = instanceOf(request)
    const member = request.member
    // No session at all when the identify hook has just ended a stale one.
    const pending = request.session?.get(PENDING) as PendingState | undefined
    const email = member?.status === 'unverified' ? member.email : pending?.tenantId === tenant.id ? pending.email : undefined
    if (!email) return reply.redirect('/signup', 303)
    return reply.page('auth/signup-sent', { email }, { title: 'auth.signup.sentTitle' })
  })

  /** The password the account will have once confirmed: the one its confirming sign-up chose. */
  const passwordOnConfirming = (token: AuthTokenEntity, member: MemberEntity) => pendingSignup(token.data).passwordHash ?? member.passwordHash

  const verifyPage = (reply: FastifyReply, token: string, member: MemberEntity | null, askPassword: boolean, error?: string) =>
    reply.page('auth/verify', { valid: Boolean(member), token, email: member?.email, askPassword, errors: { password: error } }, { title: 'auth.verify.title', status: !member ? 410 : error ? 400 : 200 })

  routes.get('/verify/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    instanceOf(request)
    const token = await findToken(request.em, 'verify', request.params.token)
    const member = await holderOf(request.em, token, 'unverified')
    return verifyPage(reply, request.params.token, member, Boolean(token && member && passwordOnConfirming(token, member)))
  })

  /**
   * Confirming asks for the password the sign-up chose: whoever follows the link proves they made that
   * sign-up. Else someone could sign up with a colleague's address and a password of their own, and
   * the colleague, confirming the mail that came, would open an account its maker can sign in to.
   */
  routes.post('/verify/:token', { schema: { params: TokenParams, body: VerifyBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
    const tenant = instanceOf(request)
    const found = await findToken(request.em, 'verify', request.params.token)
    const holder = await holderOf(request.em, found, 'unverified')
    const expected = found && holder ? passwordOnConfirming(found, holder) : undefined
    if (found && holder && expected && !(await verifyPassword(request.body.password ?? '', expected))) return verifyPage(reply, request.params.token, holder, true, 'auth.verify.wrongPassword')
    const token = await consumeToken(request.em, 'verify', request.params.token)
    const member = await holderOf(request.em, token, 'unverified')
    if (!token || !member) return verifyPage(reply, request.params.token, null, false)
    const pending = pendingSignup(token.data)
    const now = new Date()
    if (pending.name) member.name = pending.name
    if (pending.passwordHash) member.passwordHash = pending.passwordHash
    member.status = 'active'
    member.verifiedAt = now
    member.updatedAt = now
    member.lastLoginAt = now
    // Sessions opened before the address was proven (an unverified account can sign in with its
    // password) end here: someone who signed up with another person's address keeps no session.
    member.epoch += 1
    await request.em.flush()
    memberJoined(ctx, request.em, member, 'signup')
    await spendOthers(request.em, member, 'verify')
    // Following the link from the mailbox proves the address, as a magic link does.
    await signIn(request, { kind: 'member', id: member.id, tenantId: tenant.id, epoch: member.epoch }, false, maxDays)
    request.flash('success', ctx.t(request.locale, 'auth.verify.done', { tenant: tenant.name }))
    return reply.redirect('/', 303)
  })

  routes.get('/password/forgot', async (request, reply) => {
    instanceOf(request)
    return reply.page('auth/password-forgot', { values: {}, errors: {} }, { title: 'auth.reset.title' })
  })

  routes.post('/password/forgot', { schema: { body: EmailBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
    const tenant = instanceOf(request)
    const email = request.body.email ?? ''
    const address = app.tenancy.parseEmail(email)?.address
    const form = (status: number, errors: FieldErrors, message?: string) =>
      reply.page('auth/password-forgot', { values: { email }, errors, message }, { title: 'auth.reset.title', status })
    if (!address) return form(400, { email: 'auth.form.email' })
    if (await tooMany(reply, `reset:${tenant.id}:${address}`)) return form(429, {}, 'auth.reset.tooMany')
    const member = await request.em.findOne(Member, { email: address, status: { $ne: 'suspended' } })
    if (member) await request.em.transactional((em) => mail.passwordReset(em, request, tenant, member))
    // The same page whether or not the address has an account.
    return reply.page('auth/password-sent', { email: address }, { title: 'auth.reset.title' })
  })

  const resetPage = (reply: FastifyReply, data: Record<string, unknown>, status = 200) =>
    reply.page('auth/password-reset', data, { title: 'auth.reset.title', status })

  routes.get('/password/reset/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    instanceOf(request)
    const member = await holderOf(request.em, await findToken(request.em, 'reset', request.params.token), 'any')
    if (!member) return resetPage(reply, { valid: false }, 410)
    return resetPage(reply, { valid: true, token: request.params.token, email: member.email, errors: {} })
  })

  routes.post('/password/reset/:token', { schema: { params: TokenParams, body: PasswordBody }, config: { rateLimit: PER_IP } }, async (request, reply) => {
    const tenant = instanceOf(request)
    const raw = request.params.token
    const member = await holderOf(request.em, await findToken(request.em, 'reset', raw), 'any')
    if (!member) return resetPage(reply, { valid: false }, 410)
    const password = request.body.password ?? ''
    // Checked before the link is spent, so a refused password leaves it usable.
    const problem = passwordProblem(password, member.email)
    if (problem) return resetPage(reply, { valid: true, token: raw, email: member.email, errors: { password: problem } }, 400)
    if (!(await consumeToken(request.em, 'reset', raw))) return resetPage(reply, { valid: false }, 410)
    const joins = member.status === 'unverified'
    if (joins) {
      // The link came through the mailbox, which proves the address as verification does.
      member.status = 'active'
      member.verifiedAt = new Date()
    }
    member.lastLoginAt = new Date()
    await members.setPassword(request.em, member, password)
    if (joins) memberJoined(ctx, request.em, member, 'signup')
    await spendOthers(request.em, member, 'reset')
    await signIn(request, { kind: 'member', id: member.id, tenantId: tenant.id, epoch: member.epoch }, false, maxDays)
    request.flash('success', ctx.t(request.locale, 'auth.reset.done'))
    return reply.redirect('/', 303)
  })
}
