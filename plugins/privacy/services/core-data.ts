import type { PrivacyErasePart, PrivacyExportPart, PrivacySubject } from '../../../core/api.js'
import { CookieConsent, DataExport, PolicyAcknowledgment, PolicyVersion } from '../entities/privacy.entity.js'

/*
 * Core's tables (sessions, mail log, jobs, rate counters) by entity name: a plugin imports no core
 * internals, and the ORM knows these entities by name. They carry no tenant, so every query names the
 * member (the session subject, the recipient address) explicitly.
 */
const SESSION = 'SessionRecord'
const MAIL = 'MailRecord'
const JOB = 'JobRecord'
const RATE = 'RateCounter'

type Row = Record<string, unknown>
const subjectOf = (memberId: string) => `member:${memberId}`

/** Sessions, mail sent to the member, and the privacy plugin's own rows. */
export async function exportCoreAndPrivacy(parts: PrivacyExportPart[], { em, memberId, email }: PrivacySubject): Promise<PrivacyExportPart[]> {
  const sessions = (await em.find(SESSION, { subject: subjectOf(memberId) } as never, { orderBy: { createdAt: 'asc' } as never })) as Row[]
  const mail = (await em.find(MAIL, { recipient: email } as never, { orderBy: { createdAt: 'asc' } as never })) as Row[]
  const acks = await em.find(PolicyAcknowledgment, { memberId }, { orderBy: { at: 'asc' } })
  const consents = await em.find(CookieConsent, { memberId })
  const exports = await em.find(DataExport, { memberId }, { orderBy: { requestedAt: 'asc' } })
  return [
    ...parts,
    { plugin: 'core', category: 'sessions', rows: sessions.map((s) => ({ browser: s.userAgent, signedInAt: s.createdAt, lastActiveAt: s.updatedAt, expiresAt: s.expiresAt })) },
    { plugin: 'core', category: 'mail', rows: mail.map((m) => ({ template: m.template, subject: m.subject, text: m.text, status: m.status, createdAt: m.createdAt, sentAt: m.sentAt })) },
    {
      plugin: 'privacy',
      category: 'choices',
      rows: [
        ...acks.map((a) => ({ kind: 'policy acknowledged', version: a.version, at: a.at })),
        ...consents.map((c) => ({ kind: 'cookie consent', cookie: c.cookie, granted: c.granted, at: c.at })),
        ...exports.map((e) => ({ kind: 'data export', status: e.status, requestedAt: e.requestedAt, downloadedAt: e.downloadedAt }))
      ]
    }
  ]
}

/**
 * Erasure: sessions ended, mail to them (queued or logged) deleted and their address and id taken
 * out of any other message, jobs that name them dropped, rate counters keyed by their address
 * deleted, and the privacy plugin's own rows deleted. Anonymising analytics touches none of these.
 */
export async function eraseCoreAndPrivacy(parts: PrivacyErasePart[], { em, memberId, email, mode }: PrivacySubject & { mode: 'erase' | 'anonymise' }): Promise<PrivacyErasePart[]> {
  if (mode !== 'erase') return parts
  const sessions = await em.nativeDelete(SESSION, { subject: subjectOf(memberId) } as never)
  const address = email.toLowerCase()
  let mail = await em.nativeDelete(MAIL, { recipient: { $in: [email, address] } } as never)
  // LIKE only narrows the search: to it '_' and '%' (both allowed in an address) match other
  // characters, so first_last@ would also find first.last@. Each row found is checked exactly.
  const names = (value: unknown) => [address, email, memberId].some((needle) => String(value ?? '').includes(needle))
  const mentioning = (await em.find(MAIL, { $or: ['subject', 'html', 'text', 'headers'].flatMap((field) => [{ [field]: { $like: `%${address}%` } }, { [field]: { $like: `%${memberId}%` } }]) } as never)) as Row[]
  for (const row of mentioning) {
    if (![row.subject, row.html, row.text, row.headers].some(names)) continue
    const scrub = (value: unknown) => String(value ?? '').split(address).join('[former member]').split(email).join('[former member]').split(memberId).join('')
    await em.nativeUpdate(MAIL, { id: row.id } as never, { subject: scrub(row.subject), html: scrub(row.html), text: scrub(row.text), headers: scrub(row.headers) } as never)
    mail += 1
  }
  // Jobs in hand are left to finish; those waiting, done or dead that name the member go.
  const jobsFound = (await em.find(JOB, { status: { $ne: 'running' }, $or: [{ payload: { $like: `%${memberId}%` } }, { payload: { $like: `%${address}%` } }] } as never, { fields: ['id', 'payload'] as never })) as Row[]
  const jobIds = jobsFound.filter((job) => names(job.payload)).map((job) => job.id)
  const jobs = jobIds.length ? await em.nativeDelete(JOB, { id: { $in: jobIds } } as never) : 0
  const countersFound = (await em.find(RATE, { key: { $like: `%${address}%` } } as never, { fields: ['key'] as never })) as Row[]
  const counterKeys = countersFound.filter((counter) => names(counter.key)).map((counter) => counter.key)
  const counters = counterKeys.length ? await em.nativeDelete(RATE, { key: { $in: counterKeys } } as never) : 0
  const own =
    (await em.nativeDelete(PolicyAcknowledgment, { memberId })) +
    (await em.nativeDelete(CookieConsent, { memberId })) +
    (await em.nativeDelete(DataExport, { memberId })) +
    (await em.nativeUpdate(PolicyVersion, { publishedBy: memberId }, { publishedBy: null }))
  return [
    ...parts,
    { plugin: 'core', category: 'sessions', affected: sessions },
    { plugin: 'core', category: 'mail', affected: mail + jobs + counters },
    { plugin: 'privacy', category: 'choices', affected: own }
  ]
}
