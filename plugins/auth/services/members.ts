import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { ConflictError, InvalidInputError, type TenantContext } from '../../../core/api.js'
import { Member, Operator, ROLES, type MemberEntity, type MemberStatus, type OperatorEntity, type Role } from '../entities/member.entity.js'
import { cleanText } from './forms.js'
import { hashPassword, passwordProblem } from './passwords.js'

export interface NewMember {
  email: string
  name: string
  role: Role
  status: MemberStatus
  password?: string
}

/** Validation failures carry the field and a message key, so a form can show them in place. */
export class FieldError extends InvalidInputError {
  constructor(
    readonly field: string,
    readonly messageKey: string
  ) {
    super(`${field}: ${messageKey}`)
  }
}

/**
 * Members and operators, created only through here: names cleaned, addresses normalised (by the
 * tenancy plugin's rules), passwords checked and hashed, duplicates refused.
 */
export function memberService(parseEmail: (text: string) => { address: string; domain: string } | undefined) {
  const address = (email: string) => {
    const parsed = parseEmail(email)
    if (!parsed) throw new FieldError('email', 'auth.form.email')
    return parsed
  }
  const name = (text: string) => {
    const cleaned = cleanText(text, 120)
    if (cleaned.error) throw new FieldError('name', cleaned.error)
    return cleaned.value
  }
  const password = async (text: string | undefined, email: string) => {
    if (text === undefined) return null
    const problem = passwordProblem(text, email)
    if (problem) throw new FieldError('password', problem)
    return hashPassword(text)
  }

  return {
    address,

    /** Is this address at one of the instance's own domains? */
    atDomainOf(tenant: TenantContext, email: string): boolean {
      const parsed = parseEmail(email)
      return Boolean(parsed && tenant.domains.includes(parsed.domain))
    },

    async create(em: EntityManager, tenant: TenantContext, input: NewMember): Promise<MemberEntity> {
      if (!ROLES.includes(input.role)) throw new FieldError('role', 'auth.form.role')
      const email = address(input.email).address
      const cleanName = name(input.name)
      const passwordHash = await password(input.password, email)
      if (await em.count(Member, { email }, { filters: { tenant: { tenantId: tenant.id } } })) throw new ConflictError(`${email} is already a member`)
      const now = new Date()
      const member = em.create(Member, {
        id: randomUUID(),
        tenantId: tenant.id,
        email,
        name: cleanName,
        passwordHash,
        role: input.role,
        status: input.status,
        title: null,
        department: null,
        epoch: 0,
        createdAt: now,
        updatedAt: now,
        verifiedAt: input.status === 'active' ? now : null,
        lastLoginAt: null
      })
      await em.flush()
      return member
    },

    /** A new password ends every session of the member (their epoch moves on). */
    async setPassword(em: EntityManager, member: MemberEntity, text: string): Promise<void> {
      member.passwordHash = (await password(text, member.email))!
      member.epoch += 1
      member.updatedAt = new Date()
      await em.flush()
    },

    async createOperator(em: EntityManager, input: { email: string; name: string; password: string }): Promise<OperatorEntity> {
      const email = address(input.email).address
      const cleanName = name(input.name)
      const passwordHash = (await password(input.password, email))!
      if (await em.count(Operator, { email })) throw new ConflictError(`${email} is already an operator`)
      const operator = em.create(Operator, { id: randomUUID(), email, name: cleanName, passwordHash, epoch: 0, createdAt: new Date() })
      await em.flush()
      return operator
    }
  }
}

export type MemberService = ReturnType<typeof memberService>
