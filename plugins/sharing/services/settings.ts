import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import { ConflictError } from '../../../core/api.js'
import { isNetwork, NETWORKS, type Network } from '../lib/networks.js'
import { PostNetworks, SharingSettings, ShortDomain, type SharingSettingsEntity } from '../entities/sharing.entity.js'

/** Until an admin chooses, every network is allowed, and links carry this campaign. */
export const DEFAULT_CAMPAIGN = 'employee_advocacy'

export async function settingsOf(em: EntityManager, tenantId: string): Promise<Pick<SharingSettingsEntity, 'networks' | 'utmCampaign' | 'shortDomain'>> {
  const row = await em.findOne(SharingSettings, { tenantId })
  return row ?? { networks: [...NETWORKS], utmCampaign: DEFAULT_CAMPAIGN, shortDomain: null }
}

/**
 * Saves an instance's sharing settings, in one transaction. A new short domain is claimed for the
 * instance, and the one it replaces is kept as a former domain, on which links already posted keep
 * answering. A short domain another instance holds (current or former, or claimed in the meantime by
 * an admin saving at the same moment) throws a ConflictError; nothing is saved.
 */
export async function saveSettings(em: EntityManager, tenantId: string, values: { networks: Network[]; utmCampaign: string; shortDomain: string | null }): Promise<void> {
  try {
    await em.transactional(async (tx) => {
      const row = (await tx.findOne(SharingSettings, { tenantId })) ?? tx.create(SharingSettings, { tenantId, networks: [], utmCampaign: DEFAULT_CAMPAIGN, shortDomain: null, updatedAt: new Date() })
      const now = new Date()
      if (values.shortDomain !== row.shortDomain) {
        const domains = await tx.find(ShortDomain, { host: { $in: [row.shortDomain, values.shortDomain].filter((host): host is string => Boolean(host)) } }, { filters: false })
        const claimed = domains.find((domain) => domain.host === values.shortDomain)
        if (claimed && claimed.tenantId !== tenantId) throw new ConflictError('short domain taken')
        if (claimed) claimed.retiredAt = null
        else if (values.shortDomain) tx.create(ShortDomain, { host: values.shortDomain, tenantId, retiredAt: null, createdAt: now })
        const replaced = domains.find((domain) => domain.host === row.shortDomain)
        if (replaced) replaced.retiredAt = now
        else if (row.shortDomain) tx.create(ShortDomain, { host: row.shortDomain, tenantId, retiredAt: now, createdAt: row.updatedAt })
      }
      Object.assign(row, values, { updatedAt: now })
    })
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error
    em.clear()
    throw new ConflictError('short domain taken')
  }
}

/** Whether `host` is another instance's short domain, current or former. */
export async function domainTaken(em: EntityManager, tenantId: string, host: string): Promise<boolean> {
  const [domain, current] = await Promise.all([
    em.findOne(ShortDomain, { host }, { filters: false }),
    em.findOne(SharingSettings, { shortDomain: host }, { filters: false })
  ])
  return (domain !== null && domain.tenantId !== tenantId) || (current !== null && current.tenantId !== tenantId)
}

/** The domains an instance used before, newest first: its links posted on them still answer there. */
export async function formerDomains(em: EntityManager, tenantId: string): Promise<{ host: string; retiredAt: Date }[]> {
  const rows = await em.find(ShortDomain, { tenantId, retiredAt: { $ne: null } }, { filters: false, orderBy: { retiredAt: 'desc' } })
  return rows.map(({ host, retiredAt }) => ({ host, retiredAt: retiredAt! }))
}

/** Lets a former domain go: links on it get a 404 from now on, and another instance may claim it. */
export async function releaseDomain(em: EntityManager, tenantId: string, host: string): Promise<boolean> {
  const released = await em.nativeDelete(ShortDomain, { tenantId, host, retiredAt: { $ne: null } }, { filters: false })
  return released > 0
}

/** The networks members may use for a post: the instance's, narrowed by the post's own choice. */
export async function networksFor(em: EntityManager, tenantId: string, postId: string): Promise<Network[]> {
  const [settings, narrowed] = await Promise.all([settingsOf(em, tenantId), em.findOne(PostNetworks, { postId })])
  const allowed = settings.networks.filter(isNetwork)
  return narrowed ? allowed.filter((network) => narrowed.networks.includes(network)) : allowed
}

export async function setPostNetworks(em: EntityManager, tenantId: string, postId: string, networks: Network[] | null): Promise<void> {
  const row = await em.findOne(PostNetworks, { postId })
  if (!networks) {
    if (row) em.remove(row)
  } else if (row) row.networks = networks
  else em.create(PostNetworks, { postId, tenantId, networks })
  await em.flush()
}
