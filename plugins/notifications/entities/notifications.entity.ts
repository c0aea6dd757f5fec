import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/** What a member may switch off: each mail category has its own unsubscribe link. */
export const CATEGORIES = ['digest', 'important', 'suggestions', 'invitations', 'impact', 'broadcast'] as const
export type Category = (typeof CATEGORIES)[number]
export type DigestFrequency = 'daily' | 'weekly' | 'off'
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

/** A member's notification preferences; absent means the defaults. */
export const Preferences = defineEntity({
  name: 'NotificationPreferences',
  tableName: 'notifications_preferences',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    digest: p.string().length(8).$type<DigestFrequency>(),
    digestHour: p.integer(),
    digestDay: p.string().length(3),
    /** Categories switched off (by the member or an unsubscribe link). */
    off: p.json<Category[]>(),
    /** Whether mails may carry an open beacon (counted only where the instance has beacons on). */
    countOpens: p.boolean().default(true),
    /** When the last digest went out: the next one lists what was published since. */
    lastDigestAt: p.datetime().nullable(),
    updatedAt: p.datetime()
  })
})
export type PreferencesEntity = InferEntity<typeof Preferences>

/** An entry of the in-app notification centre. */
export const Notice = defineEntity({
  name: 'Notice',
  tableName: 'notifications_notice',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'memberId', 'readAt'] }, { properties: ['memberId', 'createdAt'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    category: p.string().length(16).$type<Category>(),
    /** Message key and its parameters, rendered in the reader's language. */
    messageKey: p.string().length(120),
    params: p.json<Record<string, string>>(),
    link: p.string().length(500).nullable(),
    createdAt: p.datetime(),
    readAt: p.datetime().nullable()
  })
})
export type NoticeEntity = InferEntity<typeof Notice>

export type BroadcastStatus = 'draft' | 'sending' | 'sent'

/** An admin's announcement to every member (or the followers of some topics), mailed once to each. */
export const Broadcast = defineEntity({
  name: 'Broadcast',
  tableName: 'notifications_broadcast',
  filters: tenantFilter,
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    authorId: p.string().length(36).nullable(),
    subject: p.string().length(200),
    body: p.text(),
    topicIds: p.json<string[]>(),
    status: p.string().length(16).$type<BroadcastStatus>(),
    recipients: p.integer(),
    createdAt: p.datetime(),
    sentAt: p.datetime().nullable()
  })
})
export type BroadcastEntity = InferEntity<typeof Broadcast>
