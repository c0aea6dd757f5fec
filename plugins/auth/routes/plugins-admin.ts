import type { FastifyInstance } from 'fastify'
import { InvalidInputError, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { requireMember } from '../services/guards.js'

const NameParams = Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$' }) })
const SwitchBody = Type.Object({ enabled: Type.Optional(Type.String({ maxLength: 3 })), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

/**
 * `/admin/plugins`: the instance's owners and admins see every plugin the server runs and switch the
 * optional ones off or on for their instance (core keeps the switches; its data stays either way).
 * A plugin disabled at boot is shown with the reason, for every instance.
 */
export function pluginsAdminRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.plugins', href: '/admin/plugins', roles: ['owner', 'admin'], order: 840 })

  app.register(async (scope) => {
    scope.addHook('onRequest', requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    routes.get('/admin/plugins', async (request, reply) => {
      const plugins = await ctx.switches.list(request.em, request.tenant!.id)
      return reply.page('auth/admin-plugins', { plugins: plugins.filter((plugin) => plugin.optional || plugin.failure) }, { title: 'auth.plugins.title' })
    })

    routes.post('/admin/plugins/:name', { schema: { params: NameParams, body: SwitchBody } }, async (request, reply) => {
      const { name } = request.params
      const wanted = request.body.enabled
      if (wanted !== 'on' && wanted !== 'off') throw new InvalidInputError()
      const plugin = (await ctx.switches.list(request.em, request.tenant!.id)).find((p) => p.name === name)
      if (!plugin) throw new NotFoundError()
      if (!plugin.optional) throw new InvalidInputError()
      const changed = await ctx.switches.setEnabled(request.em, request.tenant!.id, name, wanted === 'on', request.member!.id)
      if (changed) request.log.info({ audit: 'plugin.switch', plugin: name, enabled: wanted === 'on', memberId: request.member!.id }, 'plugin switched for the instance')
      request.flash('success', ctx.t(request.locale, wanted === 'on' ? 'auth.plugins.switchedOn' : 'auth.plugins.switchedOff', { name }))
      return reply.redirect('/admin/plugins', 303)
    })
  })
}
