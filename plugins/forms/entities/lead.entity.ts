import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

export type FormName = 'contact' | 'demo'
export type LeadStatus = 'new' | 'contacted' | 'closed'
export const LEAD_STATUSES: LeadStatus[] = ['new', 'contacted', 'closed']

/**
 * What a visitor typed into a public form, kept from the first step on (a lead with only an email is
 * still a lead), with the time and the anonymised address and nothing else; `status` and `notes`
 * are the admins'. `tenantId` is the instance, or `platform` for the bare host's forms.
 */
export const FormLead = defineEntity({
  name: 'FormLead',
  tableName: 'forms_lead',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'createdAt'] }],
  properties: (p) => ({
    /** Random (UUID v4): it travels in the visitor's signed progress token and in admin URLs. */
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    form: p.string().length(16).$type<FormName>(),
    status: p.string().length(16).$type<LeadStatus>(),
    email: p.string().length(254),
    name: p.string().length(120).nullable(),
    company: p.string().length(120).nullable(),
    role: p.string().length(120).nullable(),
    companySize: p.string().length(16).nullable(),
    message: p.text().nullable(),
    /** The demo slot the visitor asked for, as an instant, and the zone they picked it in. */
    preferredAt: p.datetime().nullable(),
    preferredTimeZone: p.string().length(64).nullable(),
    /** How many steps the visitor has completed; `completedAt` is set by the last one. */
    step: p.integer(),
    completedAt: p.datetime().nullable(),
    notes: p.text().nullable(),
    /** The visitor's address cut to its network: /24 for IPv4, /48 for IPv6. */
    network: p.string().length(50),
    createdAt: p.datetime(),
    updatedAt: p.datetime()
  })
})

export type FormLeadEntity = InferEntity<typeof FormLead>
