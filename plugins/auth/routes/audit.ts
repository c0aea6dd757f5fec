import type { FastifyInstance } from 'fastify'
import type { PluginContext } from '../../../core/api.js'
import { AUDIT_ACTIONS, auditTrail } from '../services/audit.js'
import { requireMember } from '../services/guards.js'

const known = new Set<string>(AUDIT_ACTIONS)

/**
 * The instance's audit log, for its owners and admins: every look a platform operator took into the
 * instance's data, newest first, with the reason the operator gave. The tenant filter on the entries
 * keeps other instances' looks out.
 */
export function auditRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.audit', href: '/admin/audit', roles: ['owner', 'admin'], order: 830 })

  app.register(async (scope) => {
    scope.addHook('onRequest', requireMember('owner', 'admin'))

    scope.get('/admin/audit', async (request, reply) => {
      const entries = await auditTrail(request.em)
      return reply.page(
        'auth/audit',
        {
          entries: entries.map((entry) => ({
            operatorName: entry.operatorName,
            actionKey: known.has(entry.action) ? `auth.audit.action.${entry.action}` : undefined,
            action: entry.action,
            subject: entry.subject,
            reason: entry.reason,
            createdAt: entry.createdAt
          }))
        },
        { title: 'auth.audit.title' }
      )
    })
  })
}
