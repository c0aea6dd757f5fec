import type { KaikuFilters, PersonalDataDeclaration, PrivacyErasePart, PrivacyExportPart } from '../../core/api.js'
import { Member } from './entities/member.entity.js'
import { AuditEntry, AuthToken } from './entities/token.entity.js'

type Filters = KaikuFilters

/** What auth keeps about a member, for the privacy policy and `/me/data`. */
export const authPersonalData: PersonalDataDeclaration[] = [
  {
    category: 'profile',
    title: 'Your profile',
    purpose: 'To let you sign in, show your name to your colleagues and send you the mail you asked for.',
    fields: ['name', 'email address', 'job title', 'department', 'role', 'password (as a one-way hash)', 'when you joined and last signed in'],
    retention: 'As long as you are a member; deleted when you or an admin erase your account.',
    visibleTo: ['member', 'members', 'admins']
  },
  {
    category: 'tokens',
    title: 'Sign-in and invitation links',
    purpose: 'One-time links by mail: sign-in, password reset, address verification, invitations you sent.',
    fields: ['email address', 'kind of link', 'when it was made, used and expires (only a hash of the link is kept)'],
    retention: 'Until used or expired (minutes to days); revoked when your account is erased.',
    visibleTo: ['member', 'admins']
  }
]

const PROFILE_FIELDS = ['id', 'email', 'name', 'title', 'department', 'role', 'status', 'createdAt', 'updatedAt', 'verifiedAt', 'lastLoginAt'] as const

/** The member's profile and the links made for them (never the hashes). */
export async function exportAuth(parts: PrivacyExportPart[], { em, memberId, email }: Filters['privacy.export']['context']): Promise<PrivacyExportPart[]> {
  const member = await em.findOne(Member, { id: memberId })
  const profile = member ? [Object.fromEntries(PROFILE_FIELDS.map((field) => [field, member[field]]))] : []
  const tokens = await em.find(AuthToken, { $or: [{ memberId }, { email }] }, { orderBy: { createdAt: 'asc' } })
  return [
    ...parts,
    { plugin: 'auth', category: 'profile', rows: profile },
    { plugin: 'auth', category: 'tokens', rows: tokens.map((t) => ({ kind: t.kind, email: t.email, createdAt: t.createdAt, expiresAt: t.expiresAt, usedAt: t.usedAt })) }
  ]
}

/**
 * Erasure deletes the profile and every link made for or by them (so no pending link signs anyone
 * in), and takes their address out of the audit log's entries (an operator read a mail to them);
 * anonymising analytics leaves the account alone.
 */
export async function eraseAuth(parts: PrivacyErasePart[], { em, memberId, email, mode }: Filters['privacy.erase']['context']): Promise<PrivacyErasePart[]> {
  if (mode !== 'erase') return parts
  const tokens = await em.nativeDelete(AuthToken, { $or: [{ memberId }, { email }] })
  const invitedBy = await em.nativeUpdate(AuthToken, { createdBy: memberId }, { createdBy: null })
  const profile = await em.nativeDelete(Member, { id: memberId })
  // The audit log keeps that an operator read a mail, not to whom it went: "Subject (her address)".
  const address = email.toLowerCase()
  let looks = 0
  for (const entry of await em.find(AuditEntry, { subject: { $like: `%${address}%` } })) {
    let subject = entry.subject.split(email).join('[former member]').split(address).join('[former member]')
    if (subject === entry.subject) continue
    // Still at most 200 characters: the mail's subject gives way, as when the entry was written.
    const excess = subject.length - 200
    const tail = subject.lastIndexOf(' (')
    if (excess > 0) subject = tail > excess ? subject.slice(0, tail - excess) + subject.slice(tail) : subject.slice(0, 200)
    await em.nativeUpdate(AuditEntry, { id: entry.id }, { subject })
    looks += 1
  }
  return [...parts, { plugin: 'auth', category: 'profile', affected: profile + looks }, { plugin: 'auth', category: 'tokens', affected: tokens + invitedBy }]
}
