import type { KaikuFilters, PersonalDataDeclaration, PrivacyErasePart, PrivacyExportPart } from '../../core/api.js'
import { Broadcast, Notice, Preferences } from './entities/notifications.entity.js'

/** What notifications keeps about a member, for the privacy policy and `/me/data`. */
export const notificationsPersonalData: PersonalDataDeclaration[] = [
  {
    category: 'notifications',
    title: 'Notifications and mail preferences',
    purpose: 'To tell you about new posts and decisions, in the app and by mail, as often as you chose.',
    fields: ['your notices', 'digest frequency, hour and day', 'the kinds of mail you switched off', 'whether opening mail may be counted'],
    retention: 'As long as you are a member.',
    visibleTo: ['member']
  }
]

export async function exportNotifications(parts: PrivacyExportPart[], { em, memberId }: KaikuFilters['privacy.export']['context']): Promise<PrivacyExportPart[]> {
  const preferences = await em.find(Preferences, { memberId })
  const notices = await em.find(Notice, { memberId }, { orderBy: { createdAt: 'asc' } })
  return [
    ...parts,
    {
      plugin: 'notifications',
      category: 'notifications',
      rows: [
        ...preferences.map((p) => ({ kind: 'preferences', digest: p.digest, digestHour: p.digestHour, digestDay: p.digestDay, off: p.off.join(' '), countOpens: p.countOpens, lastDigestAt: p.lastDigestAt })),
        ...notices.map((n) => ({ kind: 'notice', category: n.category, message: n.messageKey, params: JSON.stringify(n.params), link: n.link, createdAt: n.createdAt, readAt: n.readAt }))
      ]
    }
  ]
}

/**
 * Erasure deletes the member's notices and preferences, and takes their name out of other members'
 * notices about them (an accepted invitation names the newcomer); broadcasts they wrote lose the author.
 */
export async function eraseNotifications(parts: PrivacyErasePart[], { em, memberId, name, mode }: KaikuFilters['privacy.erase']['context']): Promise<PrivacyErasePart[]> {
  if (mode !== 'erase') return parts
  let affected = (await em.nativeDelete(Notice, { memberId })) + (await em.nativeDelete(Preferences, { memberId }))
  const mentioning = await em.find(Notice, { link: { $like: `%${memberId}%` } })
  for (const notice of mentioning) {
    const params = Object.fromEntries(Object.entries(notice.params).map(([key, value]) => [key, value === name ? '' : value]))
    await em.nativeUpdate(Notice, { id: notice.id }, { params, link: null })
    affected += 1
  }
  affected += await em.nativeUpdate(Broadcast, { authorId: memberId }, { authorId: null })
  return [...parts, { plugin: 'notifications', category: 'notifications', affected }]
}
