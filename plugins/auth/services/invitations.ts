import type { EntityManager } from '@mikro-orm/core'
import { cleanText, type PluginContext, type TenantContext } from '../../../core/api.js'
import type { Role } from '../entities/member.entity.js'
import type { AuthTokenEntity } from '../entities/token.entity.js'
import { issueToken } from './tokens.js'

/** Roles an invitation can carry; owners are made by an owner, on the members page, never by mail. */
export const INVITABLE_ROLES: readonly Role[] = ['member', 'curator', 'admin']

/** At most this many addresses in one paste; a bigger list is refused before anything is sent. */
export const MAX_BATCH = 200

/** What an invitation token's `data` carries. */
export interface InvitationData {
  role: Role
  message: string
  invitedBy: string
}

export interface ParsedBatch {
  /** Normalised addresses, each once, in the order pasted. */
  valid: string[]
  /** What could not be read as an address, as typed, each once. */
  invalid: string[]
}

/**
 * Reads a pasted list: commas, semicolons, spaces and new lines separate addresses, and the
 * `Name <address>` form that mail programs copy keeps only its address.
 */
export function parseAddressList(text: string, parse: (text: string) => { address: string } | undefined): ParsedBatch {
  const bare = text.replace(/(?:"[^"\r\n]*"|[^,;<>"\r\n]*)\s*<([^<>\s]*)>/g, ' $1 ')
  const valid = new Set<string>()
  const invalid = new Set<string>()
  for (const entry of bare.split(/[\s,;]+/).filter(Boolean)) {
    const parsed = parse(entry)
    if (parsed) valid.add(parsed.address)
    else invalid.add(entry.slice(0, 100))
  }
  return { valid: [...valid], invalid: [...invalid] }
}

/** A message of several paragraphs: line breaks kept, other control characters refused. */
export const cleanMessage = (value: unknown, max: number) => cleanText(value, max, false, true)

/** The invitation's details, or null when the stored data is not an invitation we would have made. */
export function invitationOf(token: AuthTokenEntity): InvitationData | null {
  try {
    const data = JSON.parse(token.data) as Partial<InvitationData>
    if (!data.role || !INVITABLE_ROLES.includes(data.role)) return null
    return { role: data.role, message: typeof data.message === 'string' ? data.message : '', invitedBy: typeof data.invitedBy === 'string' ? data.invitedBy : '' }
  } catch {
    return null
  }
}

export interface SendInvitation {
  tenant: TenantContext
  email: string
  invitation: InvitationData
  /** The member who sends it. */
  createdBy: string
  locale: string
  /** Where the instance lives (`app.tenancy.origin`): the link goes there. */
  origin: string
}

/** Issues an invitation token and queues its mail, both with `em` (the caller's transaction). */
export async function sendInvitation(em: EntityManager, ctx: PluginContext, input: SendInvitation): Promise<AuthTokenEntity> {
  const { tenant, email, invitation } = input
  const { raw, token } = issueToken(em, { tenantId: tenant.id, kind: 'invite', email, createdBy: input.createdBy, data: { ...invitation } })
  await em.flush()
  await ctx.mail.send(em, {
    to: email,
    template: 'auth/invitation',
    key: `invite:${token.id}`,
    tenant: tenant.id,
    data: {
      inviter: invitation.invitedBy,
      tenantName: tenant.name,
      role: ctx.t(input.locale, `auth.adminMembers.role.${invitation.role}`),
      message: invitation.message,
      link: `${input.origin}/invite/${raw}`
    }
  })
  return token
}
