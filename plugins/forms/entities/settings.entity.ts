import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/**
 * An instance's choices for its forms, set at /admin/leads/settings. No row means the defaults: no
 * recipients, a confirmation mail, the built-in privacy notice and the platform's retention.
 */
export const FormSettings = defineEntity({
  name: 'FormSettings',
  tableName: 'forms_settings',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().primary().length(36),
    /** Addresses told about each completed lead, one per line. */
    recipients: p.text(),
    confirmation: p.boolean(),
    /** Null: the built-in notice. */
    privacyNotice: p.text().nullable(),
    /** Null: the platform's KAIKU_FORMS_RETENTION_DAYS. */
    retentionDays: p.integer().nullable(),
    updatedAt: p.datetime()
  })
})

export type FormSettingsEntity = InferEntity<typeof FormSettings>
