import type { EntityManager } from '@mikro-orm/core'
import type { Network } from '../lib/network.js'
import { fetchPreview } from '../lib/preview.js'
import { FetchError, type FetchLimits } from '../lib/safe-fetch.js'
import { storeImageFrom } from './images.js'

/** A link's preview with its image stored by Kaiku: what the post form fills in. */
export interface StoredPreview {
  url: string
  title: string
  summary: string | null
  imageId: string | null
  /** Where Kaiku serves the image (`/media/<id>`), or null without one. */
  imageUrl: string | null
}

/**
 * Fetches the page at `url` and stores its image. The page must be reachable (FetchError otherwise,
 * and nothing is stored); an image that cannot be used only leaves the preview without one.
 */
export async function previewLink(em: EntityManager, tenantId: string, url: string, network: Network, limits: { page: FetchLimits; image: FetchLimits }): Promise<StoredPreview> {
  const preview = await fetchPreview(url, network, limits.page)
  let imageId: string | null = null
  if (preview.imageUrl) {
    try {
      imageId = await storeImageFrom(em, tenantId, preview.imageUrl, network, limits.image)
    } catch (error) {
      // The page's image is refused, gone or not an image: the curator can still post the link.
      if (!(error instanceof FetchError)) throw error
    }
  }
  return { url: preview.url, title: preview.title, summary: preview.summary, imageId, imageUrl: imageId ? `/media/${imageId}` : null }
}
