import type { FastifyRequest } from 'fastify'

export interface AuthState {
  kind: 'member' | 'operator'
  id: string
  /** The instance a member session belongs to; null for operators. */
  tenantId: string | null
  /** The account's epoch when signing in; a later epoch (password changed, suspended) ends the session. */
  epoch: number
  authAt: number
  seenAt: number
  remember: boolean
}

const DAY_MS = 24 * 60 * 60 * 1000
/** A session's last-seen time (and with it its idle expiry) is saved at most this often. */
const TOUCH_MS = 5 * 60 * 1000

export const subjectOf = (kind: AuthState['kind'], id: string) => `${kind}:${id}`

/** "Firefox on Linux": enough for a person to recognise their own browser in a list. */
export function describeBrowser(userAgent: string | undefined): string {
  const ua = userAgent ?? ''
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'A browser'
  const system = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : ''
  return system ? `${browser} on ${system}` : browser
}

/**
 * Signs in: a new session id (the old session is destroyed, so a fixed id is worthless), the
 * subject for listing and revoking, and a persistent cookie only with "remember me".
 */
export async function signIn(request: FastifyRequest, state: Omit<AuthState, 'authAt' | 'seenAt' | 'remember'>, remember: boolean, maxDays: number): Promise<void> {
  await request.session.regenerate()
  const now = Date.now()
  request.session.set('auth' as never, { ...state, authAt: now, seenAt: now, remember } as never)
  request.session.set('subject' as never, subjectOf(state.kind, state.id) as never)
  request.session.set('userAgent' as never, describeBrowser(request.headers['user-agent']) as never)
  if (remember) request.session.cookie.maxAge = maxDays * DAY_MS
}

export async function signOut(request: FastifyRequest): Promise<void> {
  if (request.session.get('auth' as never)) await request.session.destroy()
}

export function authState(request: FastifyRequest): AuthState | undefined {
  return request.session?.get('auth' as never) as AuthState | undefined
}

/** Whether a signed-in session is past its absolute lifetime; touches its last-seen time otherwise. */
export function expired(request: FastifyRequest, state: AuthState, maxDays: number): boolean {
  const now = Date.now()
  if (now - state.authAt > maxDays * DAY_MS) return true
  if (now - state.seenAt > TOUCH_MS) request.session.set('auth' as never, { ...state, seenAt: now } as never)
  return false
}
