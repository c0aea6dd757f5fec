import type { FastifyRequest } from 'fastify'
import { anonymiseIp } from './net.js'

/** A route parameter that carries a secret: sign-in links, invitations, resets, unsubscribe and export links. */
const SECRET_PARAMETER = /:token\b/

/**
 * The path of a request as a log may keep it: never the query string, and the route's pattern
 * (`/verify/:token`) instead of the path when one of its parameters is a secret, so no log line or
 * request-log row holds a link that still signs someone in.
 */
export function loggablePath(request: FastifyRequest): string {
  const pattern = request.routeOptions?.url
  if (pattern && SECRET_PARAMETER.test(pattern)) return pattern
  return request.url.split('?')[0].split('#')[0]
}

/**
 * What the server's own log says of a request (pino's `req` serializer): method, path as above,
 * host, and the client's network (/24, /48), not its address. Fastify's default would log the full
 * URL with its query and the full address of every visitor at `info`.
 */
export function requestForLog(request: FastifyRequest): Record<string, string> {
  return { method: request.method, url: loggablePath(request), host: request.host, remoteAddress: anonymiseIp(request.ip ?? '') }
}
