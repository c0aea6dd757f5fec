import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ForbiddenError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { PrivacyConfig } from '../config.js'
import { LastOwnerError, eraseMember, memberCard } from '../services/member-data.js'
import { currentPolicy, generatedPolicy, POLICY_MAX, publishPolicy, type LatestVersions } from '../services/policy.js'
import { cookieList } from './public.js'

type Ctx = PluginContext<PrivacyConfig>
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const IdParams = Type.Object({ id: Type.String({ maxLength: 36 }) })
const PolicyBody = Type.Object({ body: Text(POLICY_MAX + 1000), _csrf: Text(200) })
const EraseBody = Type.Object({ confirm: Text(10), _csrf: Text(200) })
const CsrfOnly = Type.Object({ _csrf: Text(200) })

/** Roles an actor may act on, as auth's members page has it: owners on anyone, admins on curators and members. */
const mayActOn = (actorRole: string, targetRole: string) => actorRole === 'owner' || (actorRole === 'admin' && !['owner', 'admin'].includes(targetRole))

/** The admins' privacy pages: the policy and its versions, where the data lives, actions on a member. */
export function adminRoutes(app: FastifyInstance, ctx: Ctx, versions: LatestVersions): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', app.auth.requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const policyPage = async (request: FastifyRequest, values: { body?: string; regenerate?: boolean } = {}, error?: string) => {
      const tenant = request.tenant!
      const published = await currentPolicy(request.em)
      const optional = (await cookieList(ctx, request.locale)).filter((c) => c.optional).map((c) => c.name)
      const generated = generatedPolicy(ctx, tenant.name, optional)
      const members = await app.auth.membersWithRole(request.em)
      return {
        published,
        body: values.body ?? (values.regenerate || !published ? generated : published.body),
        error,
        tenantName: tenant.name,
        members: members.filter((m) => m.id !== request.member!.id).map((m) => ({ id: m.id, name: m.name, email: m.email }))
      }
    }

    routes.get('/admin/privacy', { schema: { querystring: Type.Object({ generated: Text(2) }) } }, async (request, reply) =>
      reply.page('privacy/admin', await policyPage(request, { regenerate: request.query.generated === '1' }), { title: 'privacy.admin.title' })
    )

    routes.post('/admin/privacy/policy', { schema: { body: PolicyBody } }, async (request, reply) => {
      const body = (request.body.body ?? '').replace(/\r\n?/g, '\n').trim()
      const error = !body ? 'privacy.admin.empty' : body.length > POLICY_MAX ? 'privacy.admin.tooLong' : undefined
      if (error) return reply.page('privacy/admin', await policyPage(request, { body }, error), { title: 'privacy.admin.title', status: 400 })
      const version = await publishPolicy(request.em, request.tenant!.id, body, request.member!.id)
      versions.forget(request.tenant!.id)
      request.flash('success', ctx.t(request.locale, 'privacy.admin.published', { version: version.version }))
      return reply.redirect('/admin/privacy', 303)
    })

    routes.get('/admin/privacy/where', async (request, reply) =>
      reply.page(
        'privacy/where',
        {
          tenantName: request.tenant!.name,
          engine: ctx.settings.dialect === 'postgresql' ? 'PostgreSQL' : 'SQLite',
          location: ctx.config.dataLocation || ctx.t(request.locale, 'privacy.where.defaultLocation'),
          mailHost: ctx.settings.mailHost,
          config: ctx.config
        },
        { title: 'privacy.where.title' }
      )
    )

    const target = async (request: FastifyRequest, id: string) => {
      const card = await memberCard(app, request.em, id)
      if (!mayActOn(request.member!.role, card.role)) throw new ForbiddenError()
      return card
    }

    routes.get('/admin/privacy/members/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const card = await target(request, request.params.id)
      return reply.page('privacy/member', { member: card, self: card.id === request.member!.id }, { title: 'privacy.admin.title' })
    })

    routes.post('/admin/privacy/members/:id/anonymise', { schema: { params: IdParams, body: CsrfOnly } }, async (request, reply) => {
      const card = await target(request, request.params.id)
      await eraseMember(app, ctx, request.em, request.tenant!.id, card.id, 'anonymise')
      request.flash('success', ctx.t(request.locale, 'privacy.member.anonymised', { name: card.name }))
      return reply.redirect(`/admin/privacy/members/${card.id}`, 303)
    })

    routes.post('/admin/privacy/members/:id/erase', { schema: { params: IdParams, body: EraseBody } }, async (request, reply) => {
      const card = await target(request, request.params.id)
      const refuse = async (key: string, status: number) =>
        reply.page('privacy/member', { member: card, error: ctx.t(request.locale, key, { name: card.name, tenant: request.tenant!.name }) }, { title: 'privacy.admin.title', status })
      if (card.id === request.member!.id) return refuse('privacy.member.self', 400)
      if (request.body.confirm !== 'yes') return refuse('privacy.member.mustConfirm', 400)
      try {
        await eraseMember(app, ctx, request.em, request.tenant!.id, card.id, 'erase')
      } catch (error) {
        if (error instanceof LastOwnerError) return refuse('privacy.member.lastOwner', 409)
        throw error
      }
      request.flash('success', ctx.t(request.locale, 'privacy.member.erased', { name: card.name }))
      return reply.redirect('/admin/privacy', 303)
    })
  })
}
