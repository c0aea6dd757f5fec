import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { KaikuActions, KaikuFilters, PersonalDataDeclaration, PrivacyErasePart, PrivacyExportPart } from '../../core/api.js'
import { Connection, DirectPost, OAuthState } from './entities/connections.entity.js'
import { Click, Link, Share, SharingProfile } from './entities/sharing.entity.js'

/** What sharing keeps about a member, for the privacy policy and `/me/data`. */
export const sharingPersonalData: PersonalDataDeclaration[] = [
  {
    category: 'shares',
    title: 'Your shares and tracked links',
    purpose: 'To give you a link of your own per post and network, and count the reach your shares bring.',
    fields: ['the posts you shared, the network and your text', 'your tracked short links', 'your Mastodon instance'],
    retention: 'As long as you are a member; on erasure or anonymisation they are kept without your name, so the counts stay.',
    visibleTo: ['member', 'admins']
  },
  {
    category: 'clicks',
    title: 'Clicks on your links',
    purpose: 'To count how many people your shares reached. Who clicked is not stored: only a shortened address, the kind of browser and the referring site.',
    fields: ['time', 'network', 'referring site', 'kind of browser', 'a visitor key that changes daily'],
    retention: 'Raw clicks for as many days as analytics keeps them (see "Your activity counts and points"), then only as daily totals, which stay.',
    visibleTo: ['member', 'admins']
  },
  {
    category: 'connections',
    title: 'Connected accounts and direct posts',
    purpose: 'To post on your behalf to the accounts you connected, now or at the time you chose.',
    fields: ['network and account name', 'access token (sealed)', 'posts made or scheduled for you'],
    retention: 'Until you disconnect the account; deleted when your account is erased.',
    visibleTo: ['member']
  }
]

export async function exportSharing(parts: PrivacyExportPart[], { em, memberId }: KaikuFilters['privacy.export']['context']): Promise<PrivacyExportPart[]> {
  const profile = await em.find(SharingProfile, { memberId })
  const links = await em.find(Link, { memberId }, { orderBy: { createdAt: 'asc' } })
  const shares = await em.find(Share, { memberId }, { orderBy: { createdAt: 'asc' } })
  const clicks = await em.find(Click, { memberId }, { orderBy: { at: 'asc' } })
  const connections = await em.find(Connection, { memberId })
  const direct = await em.find(DirectPost, { memberId }, { orderBy: { createdAt: 'asc' } })
  return [
    ...parts,
    {
      plugin: 'sharing',
      category: 'shares',
      rows: [
        ...profile.map((p) => ({ kind: 'profile', mastodonInstance: p.mastodonInstance })),
        ...links.map((l) => ({ kind: 'link', code: l.code, postId: l.postId, network: l.network, target: l.target, createdAt: l.createdAt })),
        ...shares.map((s) => ({ kind: 'share', postId: s.postId, network: s.network, text: s.text, createdAt: s.createdAt }))
      ]
    },
    { plugin: 'sharing', category: 'clicks', rows: clicks.map((c) => ({ at: c.at, postId: c.postId, network: c.network, referrerHost: c.referrerHost, agent: c.agent, bot: c.bot })) },
    {
      plugin: 'sharing',
      category: 'connections',
      rows: [
        ...connections.map((c) => ({ kind: 'connection', network: c.network, host: c.host, accountName: c.accountName, status: c.status, connectedAt: c.connectedAt })),
        ...direct.map((d) => ({ kind: 'direct post', network: d.network, accountName: d.accountName, message: d.message, status: d.status, runAt: d.runAt, remoteUrl: d.remoteUrl }))
      ]
    }
  ]
}

/**
 * Shares and clicks stay (the counts of the post and the instance do not change) but lose the member:
 * their links get a random owner that belongs to nobody, so links already out in the world keep
 * working. Erasure also deletes the profile, connections (with their tokens) and direct posts.
 */
export async function eraseSharing(parts: PrivacyErasePart[], { em, memberId, mode }: KaikuFilters['privacy.erase']['context'], forget: (codes: string[]) => void): Promise<PrivacyErasePart[]> {
  const links = await em.find(Link, { memberId }, { fields: ['id', 'code'] })
  for (const link of links) await em.nativeUpdate(Link, { id: link.id }, { memberId: randomUUID() })
  forget(links.map((link) => link.code))
  const shares = await em.nativeUpdate(Share, { memberId }, mode === 'erase' ? { memberId: '', text: '' } : { memberId: '' })
  const clicks = await em.nativeUpdate(Click, { memberId }, { memberId: '' })
  const result = [...parts, { plugin: 'sharing', category: 'shares', affected: links.length + shares }, { plugin: 'sharing', category: 'clicks', affected: clicks }]
  if (mode !== 'erase') return result
  const connections =
    (await em.nativeDelete(SharingProfile, { memberId })) +
    (await em.nativeDelete(DirectPost, { memberId })) +
    (await em.nativeDelete(OAuthState, { memberId })) +
    (await em.nativeDelete(Connection, { memberId }))
  return [...result, { plugin: 'sharing', category: 'connections', affected: connections }]
}

/**
 * After the erasure committed (`privacy.erased`): clicks that were in a batch while it ran are stored
 * by now (`drain`); those that still name the member lose her like the rest.
 */
export async function eraseLateClicks(em: EntityManager, { tenantId, memberId }: KaikuActions['privacy.erased'], drain: () => Promise<void>): Promise<number> {
  await drain()
  const scoped = em.fork()
  scoped.setFilterParams('tenant', { tenantId })
  return scoped.nativeUpdate(Click, { memberId }, { memberId: '' })
}
