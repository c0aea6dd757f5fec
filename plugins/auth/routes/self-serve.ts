import type { FastifyInstance, FastifyReply } from 'fastify'
import { ConflictError, InvalidInputError, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { accountMail } from '../services/account-mail.js'
import { cleanText, type FieldErrors } from '../services/forms.js'
import { FieldError, type MemberService } from '../services/members.js'
import { hashPassword, passwordProblem } from '../services/passwords.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const StartBody = Type.Object({ name: Text(500), email: Text(400), password: Text(1000), company: Text(500), slug: Text(100), _csrf: Text(200) })

/**
 * Self-service instances, when the operator allows them (KAIKU_SELF_SERVE_INSTANCES, off by default):
 * on the bare host, someone whose work domain has no instance yet creates one and becomes its owner,
 * once the link mailed to them proves the address.
 */
export function selfServeRoutes(app: FastifyInstance, ctx: PluginContext<{ selfServeInstances: boolean }>, members: MemberService): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const baseHost = new URL(ctx.settings.publicUrl).hostname.toLowerCase()
  const mail = accountMail(ctx)

  const available = (hostname: string) => ctx.config.selfServeInstances && hostname.toLowerCase().replace(/:\d+$/, '') === baseHost
  const form = (reply: FastifyReply, values: Record<string, unknown>, errors: FieldErrors, status = 200, message?: string) =>
    reply.page('auth/start', { values, errors, message }, { title: 'auth.start.title', status })

  routes.get('/start', async (request, reply) => {
    if (!available(request.hostname)) throw new NotFoundError()
    return form(reply, {}, {})
  })

  routes.post('/start', { schema: { body: StartBody }, config: { rateLimit: { max: 10, timeWindow: 60_000 } } }, async (request, reply) => {
    if (!available(request.hostname)) throw new NotFoundError()
    const { name = '', email = '', password = '', company = '', slug = '' } = request.body
    const values = { name, email, company, slug }
    const errors: FieldErrors = {}
    const cleanName = cleanText(name, 120)
    if (cleanName.error) errors.name = cleanName.error
    const cleanCompany = cleanText(company, 120)
    if (cleanCompany.error) errors.company = cleanCompany.error
    const address = app.tenancy.parseEmail(email)
    if (!address) errors.email = 'auth.form.email'
    else if (app.tenancy.isPublicMail(address.domain)) errors.email = 'auth.start.publicMail'
    else if (await app.tenancy.byDomain(request.em, address.domain)) errors.email = 'auth.start.domainTaken'
    const problem = passwordProblem(password, address?.address)
    if (problem) errors.password = problem
    if (Object.keys(errors).length > 0) return form(reply, values, errors, 400)

    const limit = await ctx.limits.consume(`start:${address!.domain}`, 3, 60 * 60_000)
    if (!limit.allowed) {
      reply.header('retry-after', String(limit.retryAfter))
      return form(reply, values, {}, 429, 'auth.start.tooMany')
    }
    try {
      const passwordHash = await hashPassword(password)
      const created = await request.em.transactional(async (em) => {
        const tenant = await app.tenancy.create(em, { slug, name: cleanCompany.value, domains: [address!.domain] })
        em.setFilterParams('tenant', { tenantId: tenant.id })
        const owner = await members.create(em, tenant, { email: address!.address, name: cleanName.value, role: 'owner', status: 'unverified' })
        await mail.verification(em, request, tenant, owner, { passwordHash }, app.tenancy.origin(tenant.slug))
        return tenant
      })
      app.tenancyCache.clear()
      request.log.info({ tenant: created.slug }, 'instance created by self-service')
      return reply.page('auth/signup-sent', { email: address!.address }, { title: 'auth.signup.sentTitle' })
    } catch (error) {
      if (error instanceof FieldError) return form(reply, values, { [error.field]: error.messageKey }, 400)
      if (error instanceof ConflictError || error instanceof InvalidInputError) {
        const field = /^(slug|name|domain)/.exec(error.detail ?? '')?.[1]
        const key = field === 'name' ? 'company' : field === 'domain' ? 'email' : (field ?? 'slug')
        return form(reply, values, { [key]: field === 'slug' && error instanceof ConflictError ? 'auth.start.slugTaken' : 'auth.setup.invalid' }, 400)
      }
      throw error
    }
  })
}
