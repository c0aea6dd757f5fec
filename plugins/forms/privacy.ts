import type { KaikuFilters, PersonalDataDeclaration, PrivacyErasePart } from '../../core/api.js'
import { FormLead } from './entities/lead.entity.js'

/** What the public forms keep, for the privacy policy (leads are visitors', not members' data). */
export const formsPersonalData: PersonalDataDeclaration[] = [
  {
    category: 'leads',
    title: 'Contact and demo requests',
    purpose: 'To answer people who wrote to us through the public contact and demo forms.',
    fields: ['what the visitor typed: email address, name, company, role, message, preferred time', 'the address shortened to its network'],
    retention: 'Deleted after the number of days the instance chose (KAIKU_FORMS_RETENTION_DAYS by default).',
    visibleTo: ['admins']
  }
]

/** An erased member's address leaves the instance's leads too (they may have written before joining). */
export async function eraseForms(parts: PrivacyErasePart[], { em, tenantId, email, mode }: KaikuFilters['privacy.erase']['context']): Promise<PrivacyErasePart[]> {
  if (mode !== 'erase') return parts
  const affected = await em.nativeDelete(FormLead, { tenantId, email })
  return [...parts, { plugin: 'forms', category: 'leads', affected }]
}
