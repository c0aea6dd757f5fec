import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/** A published version of an instance's privacy policy; the newest is the one in force. */
export const PolicyVersion = defineEntity({
  name: 'PrivacyPolicyVersion',
  tableName: 'privacy_policy',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'version'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    version: p.integer(),
    /** Plain text with `#` headings and blank-line paragraphs; rendered escaped, never as HTML. */
    body: p.text(),
    publishedAt: p.datetime(),
    /** The admin who published it; null once their account is erased. */
    publishedBy: p.string().length(36).nullable()
  })
})
export type PolicyVersionEntity = InferEntity<typeof PolicyVersion>

/** A member read a version of the policy. */
export const PolicyAcknowledgment = defineEntity({
  name: 'PrivacyAcknowledgment',
  tableName: 'privacy_ack',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId', 'version'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    version: p.integer(),
    at: p.datetime()
  })
})

/** A member's answer about one optional cookie. Without a row, the cookie is not set. */
export const CookieConsent = defineEntity({
  name: 'PrivacyCookieConsent',
  tableName: 'privacy_consent',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId', 'cookie'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    cookie: p.string().length(100),
    granted: p.boolean(),
    at: p.datetime()
  })
})
export type CookieConsentEntity = InferEntity<typeof CookieConsent>

export type ExportStatus = 'queued' | 'ready' | 'downloaded' | 'expired'

/**
 * A member's data export. While it is queued or ready, `openKey` holds the member id: the unique key
 * on (tenant, openKey) makes a second request while one is open find the first instead of a second job.
 */
export const DataExport = defineEntity({
  name: 'PrivacyDataExport',
  tableName: 'privacy_export',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'openKey'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36).index(),
    openKey: p.string().length(36).nullable(),
    status: p.string().length(16).$type<ExportStatus>(),
    /** SHA-256 of the download link's secret; the link itself is shown to the member once it is ready. */
    tokenHash: p.string().length(64).nullable(),
    /** The .tar.gz, deleted once downloaded or expired. */
    archive: p.blob().nullable(),
    bytes: p.integer(),
    requestedAt: p.datetime(),
    readyAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable().index(),
    downloadedAt: p.datetime().nullable()
  })
})
export type DataExportEntity = InferEntity<typeof DataExport>
