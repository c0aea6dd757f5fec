import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { AuthToken, type AuthTokenEntity, type TokenKind } from '../entities/token.entity.js'

/** How long each kind of link works. */
export const TOKEN_LIFETIME_MS: Record<TokenKind, number> = {
  magic: 15 * 60_000,
  login: 60 * 60_000,
  reset: 60 * 60_000,
  verify: 7 * 24 * 60 * 60_000,
  invite: 14 * 24 * 60 * 60_000
}

export const hashToken = (raw: string) => createHash('sha256').update(raw).digest('hex')

export interface IssueOptions {
  tenantId: string
  kind: TokenKind
  email: string
  memberId?: string | null
  createdBy?: string | null
  data?: Record<string, unknown>
}

/**
 * Issues a single-use token: 256 random bits for the link, only their hash in the database. Returns
 * the raw token (to mail or print once) and the stored row.
 */
export function issueToken(em: EntityManager, options: IssueOptions): { raw: string; token: AuthTokenEntity } {
  const raw = randomBytes(32).toString('base64url')
  const now = new Date()
  const token = em.create(AuthToken, {
    id: randomUUID(),
    tenantId: options.tenantId,
    hash: hashToken(raw),
    kind: options.kind,
    memberId: options.memberId ?? null,
    email: options.email,
    data: JSON.stringify(options.data ?? {}),
    createdBy: options.createdBy ?? null,
    expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS[options.kind]),
    usedAt: null,
    createdAt: now
  })
  return { raw, token }
}

const plausible = (raw: unknown): raw is string => typeof raw === 'string' && /^[A-Za-z0-9_-]{43}$/.test(raw)

/** A usable token of this kind (unused, unexpired, of the request's tenant through the filter), without using it. */
export async function findToken(em: EntityManager, kind: TokenKind, raw: unknown): Promise<AuthTokenEntity | null> {
  if (!plausible(raw)) return null
  return em.findOne(AuthToken, { hash: hashToken(raw), kind, usedAt: null, expiresAt: { $gt: new Date() } })
}

/**
 * Uses a token once: the update succeeds for one request only, even when two arrive together.
 * Returns the token, or null when it is unknown, expired, spent or of another tenant.
 */
export async function consumeToken(em: EntityManager, kind: TokenKind, raw: unknown): Promise<AuthTokenEntity | null> {
  const token = await findToken(em, kind, raw)
  if (!token) return null
  const used = await em.nativeUpdate(AuthToken, { id: token.id, usedAt: null }, { usedAt: new Date() })
  return used === 1 ? token : null
}
