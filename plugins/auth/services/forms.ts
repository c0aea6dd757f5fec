import type { FastifyRequest } from 'fastify'

export { cleanText, safeNext, type FieldErrors } from '../../../core/api.js'

/** Where links in mail point: the host this request came in on, which tenancy has already checked. */
export function originOf(request: FastifyRequest, publicUrl: string): string {
  return `${new URL(publicUrl).protocol}//${request.host}`
}
