import type { FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, KaikuError, NotFoundError } from '../../../core/api.js'
import type { Role } from '../entities/member.entity.js'

const wantsPage = (request: FastifyRequest) => request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')

/**
 * A scope's guard: signed-in members of the request's instance, with one of `roles` if given.
 * Anonymous page requests go to the login page (and come back after); everything else is 401/403.
 */
export function requireMember(...roles: Role[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.tenant) throw new NotFoundError()
    const member = request.member
    if (!member) {
      if (wantsPage(request)) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303)
      throw new KaikuError('UNAUTHORIZED')
    }
    if (roles.length > 0 && !roles.includes(member.role)) throw new ForbiddenError()
  }
}

/** The operator console's guard: a signed-in platform operator, on the bare host. */
export function requireOperator() {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.operator) return
    if (wantsPage(request)) return reply.redirect(`/operator/login?next=${encodeURIComponent(request.url)}`, 303)
    throw new KaikuError('UNAUTHORIZED')
  }
}
