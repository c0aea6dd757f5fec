import type { EntityManager } from '@mikro-orm/core'
import type { FastifyRequest } from 'fastify'
import type { PluginContext, TenantContext } from '../../../core/api.js'
import type { MemberEntity } from '../entities/member.entity.js'
import { originOf } from './forms.js'
import { issueToken } from './tokens.js'

/**
 * What a verification link applies when it is used: the name and password chosen by the sign-up that
 * sent it. A second sign-up for a still unverified address therefore does not take over the first
 * one's password; whoever controls the mailbox decides which sign-up counts.
 */
export interface PendingSignup {
  name?: string
  passwordHash?: string
}

/** Reads a verification token's pending sign-up, ignoring anything that is not what we wrote. */
export function pendingSignup(data: string): PendingSignup {
  try {
    const value = JSON.parse(data) as Record<string, unknown>
    return {
      name: typeof value.name === 'string' ? value.name : undefined,
      passwordHash: typeof value.passwordHash === 'string' && value.passwordHash.startsWith('scrypt$') ? value.passwordHash : undefined
    }
  } catch {
    return {}
  }
}

/**
 * The mail of sign-up and password reset. Each message carries a fresh single-use link, issued and
 * queued with the caller's EntityManager, so link and mail commit (or roll back) together.
 */
export function accountMail(ctx: PluginContext) {
  return {
    /** `origin` overrides the request's host, for an instance created from another host (self-service). */
    async verification(em: EntityManager, request: FastifyRequest, tenant: TenantContext, member: MemberEntity, pending: PendingSignup = {}, origin?: string) {
      const { raw, token } = issueToken(em, { tenantId: tenant.id, kind: 'verify', email: member.email, memberId: member.id, data: { ...pending } })
      await em.flush()
      await ctx.mail.send(em, {
        to: member.email,
        template: 'auth/verify-email',
        data: { name: pending.name ?? member.name, tenantName: tenant.name, link: `${origin ?? originOf(request, ctx.settings.publicUrl)}/verify/${raw}` },
        key: `auth:verify:${token.id}`,
        tenant: tenant.id
      })
    },

    /** A reset link; `existing` says why: someone tried to sign up with an address that has an account. */
    async passwordReset(em: EntityManager, request: FastifyRequest, tenant: TenantContext, member: MemberEntity, existing = false) {
      const { raw, token } = issueToken(em, { tenantId: tenant.id, kind: 'reset', email: member.email, memberId: member.id })
      await em.flush()
      const origin = originOf(request, ctx.settings.publicUrl)
      await ctx.mail.send(em, {
        to: member.email,
        template: 'auth/reset-password',
        data: { name: member.name, tenantName: tenant.name, existing, link: `${origin}/password/reset/${raw}`, loginLink: `${origin}/login` },
        key: `auth:reset:${token.id}`,
        tenant: tenant.id
      })
    }
  }
}

export type AccountMail = ReturnType<typeof accountMail>
