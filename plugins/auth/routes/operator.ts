import type { FastifyInstance } from 'fastify'
import type { PluginContext } from '../../../core/api.js'
import type { MemberService } from '../services/members.js'
import { auditRoutes } from './audit.js'
import { operatorConsoleRoutes } from './operator-console.js'
import { operatorOnly } from './operator-guard.js'
import { operatorInspectRoutes } from './operator-inspect.js'
import { operatorLoginRoutes } from './operator-login.js'

/**
 * The platform operator's console, on the bare host: its own sign-in, the instances (create,
 * suspend, domains) and the troubleshooting view, whose every look lands in the instance's audit log;
 * and that log, on the instance's host, for its owners and admins.
 */
export function operatorRoutes(app: FastifyInstance, ctx: PluginContext, _members: MemberService): void {
  const baseHost = new URL(ctx.settings.publicUrl).hostname.toLowerCase()
  ctx.nav.add({ label: 'nav.console', href: '/operator', roles: ['operator'], order: 890 })

  operatorLoginRoutes(app, ctx, baseHost)
  app.register(async (scope) => {
    scope.addHook('onRequest', operatorOnly(baseHost))
    operatorConsoleRoutes(scope, ctx)
    operatorInspectRoutes(scope)
  })
  auditRoutes(app, ctx)
}
