import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import sharp from 'sharp'
import { Image, Post, Suggestion } from '../entities/index.js'
import type { Network } from '../lib/network.js'
import { FetchError, safeFetch, type FetchLimits } from '../lib/safe-fetch.js'

/** The box an image is shrunk to fit (never enlarged). */
export const IMAGE_BOX = 1200
/** Formats decoded; SVG is not among them (it can carry scripts), nor PDF or anything sharp could render. */
const RASTER = new Set(['jpeg', 'png', 'webp', 'gif', 'avif'])
/** Decoding a larger canvas would take more memory than an image of a post is worth. */
const MAX_PIXELS = 50_000_000

/** An image as Kaiku stores and serves it: WebP, without metadata. */
export interface ProcessedImage {
  contentType: 'image/webp'
  width: number
  height: number
  bytes: Buffer
}

/**
 * Checks that `bytes` is a raster image by decoding it, then turns it upright, shrinks it to fit
 * 1200×1200 and encodes it as WebP. Sharp writes no metadata unless asked, so EXIF (GPS position,
 * camera serial) is gone. Anything that does not decode is a FetchError 'notImage'.
 */
export async function processImage(bytes: Buffer): Promise<ProcessedImage> {
  try {
    const input = () => sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error', animated: false })
    const { format } = await input().metadata()
    if (!format || !RASTER.has(format)) throw new FetchError('notImage')
    const { data, info } = await input()
      .rotate()
      .resize(IMAGE_BOX, IMAGE_BOX, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true })
    return { contentType: 'image/webp', width: info.width, height: info.height, bytes: data }
  } catch (error) {
    throw error instanceof FetchError ? error : new FetchError('notImage')
  }
}

/** Downloads an image through the safe fetcher and processes it; nothing is stored. */
export async function downloadImage(url: string, network: Network, limits: FetchLimits): Promise<ProcessedImage> {
  const response = await safeFetch(url, network, { ...limits, accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9' })
  return processImage(response.body)
}

/** Stores a processed image for a tenant with `em` (in its transaction, if any); returns its id. */
export async function saveImage(em: EntityManager, tenantId: string, image: ProcessedImage): Promise<string> {
  const row = em.create(Image, { id: randomUUID(), tenantId, ...image, createdAt: new Date() })
  await em.persist(row).flush()
  return row.id
}

/**
 * Downloads, checks, resizes and stores the image at `imageUrl`, so the page that shows it loads it
 * from Kaiku and never from a third party. Throws FetchError when the address is refused, the
 * download fails or the file is not an image; then nothing is stored.
 */
export async function storeImageFrom(em: EntityManager, tenantId: string, imageUrl: string, network: Network, limits: FetchLimits): Promise<string> {
  return saveImage(em, tenantId, await downloadImage(imageUrl, network, limits))
}

/** How long a stored image may wait for a post or suggestion to use it (a preview left unsaved). */
export const ORPHAN_DAYS = 7

/**
 * Deletes images no post or suggestion uses that are older than `before`: previews that never
 * became posts, images replaced in an edit. Across instances on purpose (a nightly sweep), a batch
 * at a time; returns how many went.
 */
export async function deleteOrphanImages(em: EntityManager, before: Date, batch = 1000): Promise<number> {
  const everywhere = { filters: false } as const
  const old = (await em.find(Image, { createdAt: { $lt: before } }, { ...everywhere, fields: ['id'], limit: batch })).map((image) => image.id)
  if (old.length === 0) return 0
  const used = new Set(
    [
      ...(await em.find(Post, { imageId: { $in: old } }, { ...everywhere, fields: ['imageId'] })),
      ...(await em.find(Suggestion, { imageId: { $in: old } }, { ...everywhere, fields: ['imageId'] }))
    ].map((row) => row.imageId)
  )
  const orphans = old.filter((id) => !used.has(id))
  return orphans.length === 0 ? 0 : em.nativeDelete(Image, { id: { $in: orphans } }, everywhere)
}
