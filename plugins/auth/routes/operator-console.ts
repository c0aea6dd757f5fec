import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ConflictError, InvalidInputError, NotFoundError, Type, type PluginContext, type TenantContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { Member } from '../entities/member.entity.js'
import { cleanText, type FieldErrors } from '../services/forms.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const CreateBody = Type.Object({ slug: Text(100), name: Text(500), domains: Text(2000), _csrf: Text(200) })
const DomainBody = Type.Object({ domain: Text(400), _csrf: Text(200) })
const CsrfOnly = Type.Object({ _csrf: Text(200) })
const SlugParams = Type.Object({ slug: Type.String({ maxLength: 100 }) })

/** More domains than a company plausibly has, in one form. */
const MAX_DOMAINS = 20

/** A problem with one instance's row, shown there: under its domain form, or under its name. */
interface RowProblem {
  slug: string
  error: string
  field: 'domain' | 'row'
  value?: string
}

/** The tenancy service's refusals, as a field and a message key of ours. */
function fieldOf(error: unknown): { field: 'slug' | 'name' | 'domains'; key: string } | undefined {
  if (!(error instanceof InvalidInputError || error instanceof ConflictError)) return undefined
  const conflict = error instanceof ConflictError
  const field = /^(slug|name|domain)\b/.exec(error.detail ?? '')?.[1]
  if (field === 'slug') return { field, key: conflict ? 'auth.operator.console.slugTaken' : 'auth.operator.console.slugInvalid' }
  if (field === 'domain') return { field: 'domains', key: conflict ? 'auth.operator.console.domainTaken' : error.detail?.includes('public mail') ? 'auth.operator.console.domainPublic' : 'auth.operator.console.domainInvalid' }
  if (field === 'name') return { field, key: 'auth.operator.console.nameInvalid' }
  return undefined
}

/**
 * The console's instances: create, suspend and activate, add and remove domains. Every change goes
 * through the tenancy plugin's service, then clears its lookup cache so this process serves the
 * change at once (other processes within the cache's 5 seconds).
 */
export function operatorConsoleRoutes(app: FastifyInstance, ctx: PluginContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()

  const origin = (slug: string) => app.tenancy.origin(slug)

  /** Members per instance: counts only, each query naming the instance it reads. */
  const memberCount = (em: EntityManager, tenant: TenantContext) => em.count(Member, {}, { filters: { tenant: { tenantId: tenant.id } } })

  const consolePage = async (request: FastifyRequest, reply: FastifyReply, form: { values?: Record<string, unknown>; errors?: FieldErrors; row?: RowProblem; status?: number } = {}) => {
    const em = request.em
    const tenants = await app.tenancy.list(em)
    const rows = []
    for (const tenant of tenants) {
      const problem = form.row?.slug === tenant.slug ? form.row : undefined
      rows.push({
        slug: tenant.slug,
        name: tenant.name,
        origin: origin(tenant.slug),
        domains: tenant.domains.map((domain) => ({ domain, removable: tenant.domains.length > 1 })),
        active: tenant.status === 'active',
        statusKey: `auth.operator.status.${tenant.status}`,
        status: tenant.status,
        members: await memberCount(em, tenant),
        createdAt: tenant.createdAt,
        domainValue: problem?.value,
        domainError: problem?.field === 'domain' ? problem.error : undefined,
        error: problem?.field === 'row' ? problem.error : undefined
      })
    }
    return reply.page('auth/operator', { tenants: rows, values: form.values ?? {}, errors: form.errors ?? {} }, { title: 'auth.operator.console.title', status: form.status })
  }

  const done = (request: FastifyRequest, reply: FastifyReply, key: string, params: Record<string, unknown>) => {
    request.flash('success', ctx.t(request.locale, key, params))
    return reply.redirect('/operator', 303)
  }

  const tenantOf = async (request: FastifyRequest, slug: string) => {
    const tenant = await app.tenancy.bySlug(request.em, slug.toLowerCase())
    if (!tenant) throw new NotFoundError()
    return tenant
  }

  routes.get('/operator', async (request, reply) => consolePage(request, reply))

  routes.post('/operator/tenants', { schema: { body: CreateBody } }, async (request, reply) => {
    const body = request.body
    const values = { slug: body.slug, name: body.name, domains: body.domains }
    const errors: FieldErrors = {}
    const name = cleanText(body.name, 120)
    if (name.error) errors.name = name.error
    const slug = cleanText(body.slug, 40)
    if (slug.error) errors.slug = slug.error === 'core.form.tooLong' ? 'auth.operator.console.slugInvalid' : slug.error
    const domains = (body.domains ?? '').split(/[\s,;]+/).filter(Boolean)
    if (domains.length === 0) errors.domains = 'core.form.required'
    else if (domains.length > MAX_DOMAINS) errors.domains = 'auth.operator.console.tooManyDomains'
    if (Object.keys(errors).length) return consolePage(request, reply, { values, errors, status: 400 })
    try {
      const tenant = await request.em.transactional((em) => app.tenancy.create(em, { slug: slug.value, name: name.value, domains }))
      app.tenancyCache.clear()
      return done(request, reply, 'auth.operator.console.createdFlash', { name: tenant.name, address: origin(tenant.slug) })
    } catch (error) {
      const refused = fieldOf(error)
      if (!refused) throw error
      return consolePage(request, reply, { values, errors: { [refused.field]: refused.key }, status: error instanceof ConflictError ? 409 : 400 })
    }
  })

  const setStatus = (action: 'suspend' | 'activate') =>
    routes.post(`/operator/tenants/:slug/${action}`, { schema: { params: SlugParams, body: CsrfOnly } }, async (request, reply) => {
      const tenant = await tenantOf(request, request.params.slug)
      // The bare host serves this instance: suspended, it would show the notice there, console included.
      if (action === 'suspend' && request.tenant?.id === tenant.id) {
        return consolePage(request, reply, { row: { slug: tenant.slug, field: 'row', error: 'auth.operator.console.servesBareHost' }, status: 409 })
      }
      await request.em.transactional((em) => app.tenancy.setStatus(em, tenant.slug, action === 'suspend' ? 'suspended' : 'active'))
      app.tenancyCache.clear()
      return done(request, reply, action === 'suspend' ? 'auth.operator.console.suspended' : 'auth.operator.console.activated', { name: tenant.name })
    })
  setStatus('suspend')
  setStatus('activate')

  routes.post('/operator/tenants/:slug/domains', { schema: { params: SlugParams, body: DomainBody } }, async (request, reply) => {
    const tenant = await tenantOf(request, request.params.slug)
    const value = (request.body.domain ?? '').trim()
    const fail = (error: string, status: number) => consolePage(request, reply, { row: { slug: tenant.slug, field: 'domain', error, value }, status })
    if (!value) return fail('core.form.required', 400)
    try {
      await request.em.transactional((em) => app.tenancy.addDomain(em, tenant.slug, value))
    } catch (error) {
      const refused = fieldOf(error)
      if (!refused) throw error
      return fail(refused.key, error instanceof ConflictError ? 409 : 400)
    }
    app.tenancyCache.clear()
    return done(request, reply, 'auth.operator.console.domainAdded', { name: tenant.name, domain: app.tenancy.normaliseDomain(value) ?? value })
  })

  routes.post('/operator/tenants/:slug/domains/remove', { schema: { params: SlugParams, body: DomainBody } }, async (request, reply) => {
    const tenant = await tenantOf(request, request.params.slug)
    const value = (request.body.domain ?? '').trim()
    try {
      await request.em.transactional((em) => app.tenancy.removeDomain(em, tenant.slug, value))
    } catch (error) {
      const key = error instanceof ConflictError ? 'auth.operator.console.lastDomain' : error instanceof NotFoundError ? 'auth.operator.console.domainUnknown' : undefined
      if (!key) throw error
      return consolePage(request, reply, { row: { slug: tenant.slug, field: 'domain', error: key }, status: error instanceof ConflictError ? 409 : 404 })
    }
    app.tenancyCache.clear()
    return done(request, reply, 'auth.operator.console.domainRemoved', { name: tenant.name, domain: value })
  })
}
