import type { FastifyRequest } from 'fastify'
import { KaikuError, Type } from '../../../core/api.js'

export const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
export const Csrf = { _csrf: Text(200) }

export const MEMBERS = ['owner', 'admin', 'curator', 'member'] as const
export const CURATORS = ['owner', 'admin', 'curator'] as const
export const ADMINS = ['owner', 'admin'] as const

/** The request's instance; routes behind a member guard always have one. */
export function tenantOf(request: FastifyRequest): string {
  if (!request.tenant) throw new KaikuError('NOT_FOUND')
  return request.tenant.id
}

/** The signed-in member's id and role (from core's viewer, which auth sets). */
export function viewerOf(request: FastifyRequest): { id: string; role: string } {
  const viewer = request.viewer
  if (!viewer) throw new KaikuError('UNAUTHORIZED')
  return { id: viewer.id, role: viewer.roles[0] ?? 'member' }
}

export const isCurator = (role: string) => (CURATORS as readonly string[]).includes(role)
export const isAdmin = (role: string) => (ADMINS as readonly string[]).includes(role)

/** Form checkboxes arrive as one string or several. */
export const many = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value])

/** Where links in mail point: the host this request came in on (tenancy has checked it), with the public URL's scheme. */
export const originOf = (request: FastifyRequest, publicUrl: string) => `${new URL(publicUrl).protocol}//${request.host}`
