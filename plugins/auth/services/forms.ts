import type { FastifyRequest } from 'fastify'

export { cleanText, type FieldErrors } from '../../../core/api.js'

/** Where links in mail point: the host this request came in on, which tenancy has already checked. */
export function originOf(request: FastifyRequest, publicUrl: string): string {
  return `${new URL(publicUrl).protocol}//${request.host}`
}

/** A local path to return to after signing in; anything else (another host, a scheme) becomes "/". */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/'
}
