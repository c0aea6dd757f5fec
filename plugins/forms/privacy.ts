import type { KaikuFilters, PersonalDataDeclaration, PrivacyErasePart } from '../../core/api.js'
import { FormLead } from './entities/lead.entity.js'

const days = (count: number) => (count === 1 ? 'one day' : `${count} days`)

/**
 * What the public forms keep, for the privacy policy (leads are visitors', not members' data). The
 * retention is the server's default in effect; an instance may choose its own at /admin/leads/settings.
 */
export const formsPersonalData = ({ retentionDays }: { retentionDays: number }): PersonalDataDeclaration[] => [
  {
    category: 'leads',
    title: 'Contact and demo requests',
    purpose: 'To answer people who wrote to us through the public contact and demo forms.',
    fields: ['what the visitor typed: email address, name, company, role, message, preferred time', 'the address shortened to its network'],
    retention: `Deleted after ${days(retentionDays)}, unless the admins of this instance chose another number of days for its forms.`,
    visibleTo: ['admins']
  }
]

/** An erased member's address leaves the instance's leads too (they may have written before joining). */
export async function eraseForms(parts: PrivacyErasePart[], { em, tenantId, email, mode }: KaikuFilters['privacy.erase']['context']): Promise<PrivacyErasePart[]> {
  if (mode !== 'erase') return parts
  const affected = await em.nativeDelete(FormLead, { tenantId, email })
  return [...parts, { plugin: 'forms', category: 'leads', affected }]
}
