import { defineEntity, type InferEntity } from '@mikro-orm/core'

/** queued → sent (SMTP accepted it) or mailbox (no SMTP: kept for the operator); dead after the last try. */
export type MailStatus = 'queued' | 'sent' | 'mailbox' | 'retrying' | 'dead'

/** Every message Kaiku sends, rendered at enqueue time: the mail log and the local mailbox. */
export const MailRecord = defineEntity({
  name: 'MailRecord',
  tableName: 'kaiku_mail',
  indexes: [{ properties: ['status', 'createdAt'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    key: p.string().length(255).unique(),
    messageId: p.string().length(255),
    template: p.string().length(120),
    recipient: p.string().length(254),
    sender: p.string().length(320),
    subject: p.string().length(998),
    html: p.text(),
    text: p.text(),
    headers: p.text(),
    /** JSON list of small text attachments (`MailAttachment`), or null. */
    attachments: p.text().nullable(),
    /**
     * The instance the mail was sent for (null for the server's own), so an operator's look at it is
     * recorded there. Not `tenantId`: the outbox is the server's, not the instance's, and stays behind
     * when an instance moves (export-tenant).
     */
    sentFor: p.string().length(36).nullable(),
    status: p.string().length(16).$type<MailStatus>(),
    attempts: p.integer(),
    lastError: p.text().nullable(),
    createdAt: p.datetime(),
    sentAt: p.datetime().nullable()
  })
})

export type MailRecordEntity = InferEntity<typeof MailRecord>
