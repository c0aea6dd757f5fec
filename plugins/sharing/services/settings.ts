import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import { ConflictError } from '../../../core/api.js'
import { isNetwork, NETWORKS, type Network } from '../lib/networks.js'
import { PostNetworks, SharingSettings, type SharingSettingsEntity } from '../entities/sharing.entity.js'

/** Until an admin chooses, every network is allowed, and links carry this campaign. */
export const DEFAULT_CAMPAIGN = 'employee_advocacy'

export async function settingsOf(em: EntityManager, tenantId: string): Promise<Pick<SharingSettingsEntity, 'networks' | 'utmCampaign' | 'shortDomain'>> {
  const row = await em.findOne(SharingSettings, { tenantId })
  return row ?? { networks: [...NETWORKS], utmCampaign: DEFAULT_CAMPAIGN, shortDomain: null }
}

/**
 * Saves an instance's sharing settings. A short domain another instance took in the meantime (two
 * admins saving at once, after both passed the form's check) throws a ConflictError; nothing is saved.
 */
export async function saveSettings(em: EntityManager, tenantId: string, values: { networks: Network[]; utmCampaign: string; shortDomain: string | null }): Promise<void> {
  const row = (await em.findOne(SharingSettings, { tenantId })) ?? em.create(SharingSettings, { tenantId, networks: [], utmCampaign: DEFAULT_CAMPAIGN, shortDomain: null, updatedAt: new Date() })
  Object.assign(row, values, { updatedAt: new Date() })
  try {
    await em.flush()
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error
    em.clear()
    throw new ConflictError('short domain taken')
  }
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
