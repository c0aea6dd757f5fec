import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PLATFORM } from '../services/settings.service.js'

/** The forms of the bare host belong to the platform; an instance's host, to the instance. */
export const scopeOf = (request: FastifyRequest) => request.tenant?.id ?? PLATFORM

/**
 * An onRequest hook for every forms route: on the bare host, where no instance has set the tenant
 * filter, the request's queries are scoped to the platform's leads.
 */
export function platformScope(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (!request.tenant) request.em.setFilterParams('tenant', { tenantId: PLATFORM })
  done()
}

/**
 * The leads pages' guard, through auth's door: an instance's owners and admins on its host; on the
 * bare host, whose forms are the platform's, its operators.
 */
export function leadsAdminOnly(app: FastifyInstance) {
  const instanceAdmins = app.auth.requireMember('owner', 'admin')
  const operators = app.auth.requireOperator()
  return async (request: FastifyRequest, reply: FastifyReply) => (request.tenant ? instanceAdmins(request, reply) : operators(request, reply))
}
