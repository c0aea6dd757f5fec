import type { ProviderNetwork } from '../lib/outbound.js'
import { linkedinProvider } from './linkedin.js'
import { mastodonProvider } from './mastodon.js'
import type { Provider } from './provider.js'

export type { OAuthClient, Provider } from './provider.js'
export { ProviderRefused } from './provider.js'

/** The networks Kaiku can post to directly, once a member connected their account. */
export const DIRECT_NETWORKS = ['mastodon', 'linkedin'] as const
export type DirectNetwork = (typeof DIRECT_NETWORKS)[number]

export const isDirectNetwork = (value: string): value is DirectNetwork => (DIRECT_NETWORKS as readonly string[]).includes(value)

export type Providers = Record<DirectNetwork, Provider>

/** The adapters, all reaching the network through `network` (read at every call). */
export function createProviders(network: ProviderNetwork, options: { linkedinVersion: string }): Providers {
  return { mastodon: mastodonProvider(network), linkedin: linkedinProvider(network, { version: options.linkedinVersion }) }
}
