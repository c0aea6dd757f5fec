import type { FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, KaikuError, NotFoundError } from '../../../core/api.js'

/** The host a request came in on, in the one form hosts are compared in (no port, no trailing dot). */
export const hostOf = (request: FastifyRequest) => request.hostname.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '')

/**
 * The console's guard. Its pages exist on the bare host only (an instance's host answers 404, as for
 * any unknown page); there only a signed-in operator gets in. Anonymous page requests go to the
 * operator's own sign-in; a signed-in member is not an operator (403), anything else is 401.
 */
export function operatorOnly(baseHost: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (hostOf(request) !== baseHost) throw new NotFoundError()
    if (request.operator) return
    if (request.viewer) throw new ForbiddenError()
    if (request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')) {
      return reply.redirect(`/operator/login?next=${encodeURIComponent(request.url)}`, 303)
    }
    throw new KaikuError('UNAUTHORIZED')
  }
}

/** The operator's sign-in page: on the bare host only, like the rest of the console. */
export function bareHostOnly(baseHost: string) {
  return async (request: FastifyRequest) => {
    if (hostOf(request) !== baseHost) throw new NotFoundError()
  }
}
