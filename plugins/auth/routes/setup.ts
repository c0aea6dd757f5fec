import type { FastifyInstance } from 'fastify'
import { ConflictError, InvalidInputError, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { FieldError, type MemberService } from '../services/members.js'
import { memberJoined } from '../events.js'
import { signIn } from '../services/sessions.js'
import { cleanText, type FieldErrors } from '../services/forms.js'
import { passwordProblem } from '../services/passwords.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const SetupBody = Type.Object({
  name: Text(500),
  email: Text(400),
  password: Text(1000),
  company: Text(500),
  slug: Text(100),
  domains: Text(2000),
  _csrf: Text(200)
})

/**
 * The first run: one form creates the platform operator, the first company instance and its owner
 * (the same person, as two accounts), then signs the owner in. Once an instance exists, it is gone.
 */
export function setupRoutes(app: FastifyInstance, ctx: PluginContext, members: MemberService) {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const open = async () => (await app.tenancy.count(ctx.orm.em.fork())) === 0

  ctx.setup.provide({ path: '/setup', isComplete: async (em) => (await app.tenancy.count(em)) > 0 })

  routes.get('/setup', async (request, reply) => {
    if (!(await open())) throw new NotFoundError()
    return reply.page('auth/setup', { values: {}, errors: {} }, { title: 'auth.setup.title' })
  })

  routes.post('/setup', { schema: { body: SetupBody }, config: { rateLimit: { max: 10, timeWindow: 60_000 } } }, async (request, reply) => {
    if (!(await open())) throw new NotFoundError()
    const body = request.body
    const values = { ...body, password: undefined }
    const fail = (errors: FieldErrors, message?: string) =>
      reply.page('auth/setup', { values, errors, message }, { title: 'auth.setup.title', status: 400 })
    // Every field is checked before anything is saved, so one round trip shows every mistake.
    const errors: FieldErrors = {}
    const domains = (body.domains ?? '').split(/[\s,]+/).filter(Boolean)
    const normalised = domains.map((d) => app.tenancy.normaliseDomain(d))
    const owner = app.tenancy.parseEmail(body.email ?? '')
    const nameProblem = cleanText(body.name, 120).error
    if (nameProblem) errors.name = nameProblem
    if (!owner) errors.email = 'auth.form.email'
    const password = passwordProblem(body.password ?? '', owner?.address)
    if (password) errors.password = password
    const company = cleanText(body.company, 120).error
    if (company) errors.company = company
    const slug = (body.slug ?? '').trim().toLowerCase()
    if (!slug) errors.slug = 'core.form.required'
    else if (!app.tenancy.isSlug(slug)) errors.slug = 'auth.operator.console.slugInvalid'
    if (domains.length === 0) errors.domains = 'core.form.required'
    else if (normalised.some((domain) => !domain)) errors.domains = 'auth.operator.console.domainInvalid'
    else if (normalised.some((domain) => app.tenancy.isPublicMail(domain!))) errors.domains = 'auth.setup.publicMail'
    else if (owner && !normalised.includes(owner.domain)) errors.email = 'auth.setup.emailAtDomain'
    if (!owner || Object.keys(errors).length > 0) return fail(errors)
    try {
      const tenant = await request.em.transactional(async (em) => {
        const tenant = await app.tenancy.create(em, { slug, name: body.company ?? '', domains })
        await members.createOperator(em, { email: owner.address, name: body.name ?? '', password: body.password ?? '' })
        const member = await members.create(em, tenant, { email: owner.address, name: body.name ?? '', role: 'owner', status: 'active', password: body.password ?? '' })
        member.lastLoginAt = new Date()
        await em.flush()
        memberJoined(ctx, em, member, 'setup')
        return { tenant, member }
      })
      app.tenancyCache.clear()
      await signIn(request, { kind: 'member', id: tenant.member.id, tenantId: tenant.tenant.id, epoch: 0 }, false, ctx.settings.sessionMaxDays)
      request.flash('success', ctx.t(request.locale, 'auth.setup.done', { company: tenant.tenant.name }))
      return reply.redirect('/', 303)
    } catch (error) {
      if (error instanceof FieldError) return fail({ [error.field]: error.messageKey })
      // What only the database can tell (a slug or domain taken meanwhile), or a check of tenancy's own.
      if (error instanceof ConflictError || error instanceof InvalidInputError) {
        const field = /^(slug|domain|name)/.exec(error.detail ?? '')?.[1]
        return fail(field ? { [field === 'name' ? 'company' : field === 'domain' ? 'domains' : field]: 'auth.setup.invalid' } : {}, field ? undefined : error.detail)
      }
      throw error
    }
  })
}
