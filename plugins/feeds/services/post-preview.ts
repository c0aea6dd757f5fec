import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FieldErrors } from '../../../core/api.js'
import { cleanUrl } from '../../../core/api.js'
import type { FetchLimits } from '../lib/safe-fetch.js'
import { FetchError } from '../lib/safe-fetch.js'
import { previewLink } from './link-preview.js'
import type { PostFormValues } from './post-form.js'

/**
 * The form's "Fetch preview" without script: fetches the link and fills the fields the curator left
 * empty (their own words win), and the image. A refused fetch comes back as the URL field's error.
 */
export async function previewInto(app: FastifyInstance, request: FastifyRequest, values: PostFormValues, limits: { page: FetchLimits; image: FetchLimits }): Promise<{ errors: FieldErrors; notice?: string }> {
  const url = cleanUrl(values.url)
  if (url.error) return { errors: { url: url.error } }
  try {
    const preview = await previewLink(request.em, request.tenant!.id, url.value, app.feedsNetwork, limits)
    values.url = url.value
    if (!values.title.trim()) values.title = preview.title
    if (!values.summary.trim()) values.summary = preview.summary ?? ''
    if (preview.imageId) values.imageId = preview.imageId
    return { errors: {}, notice: 'feeds.post.previewFilled' }
  } catch (error) {
    if (!(error instanceof FetchError)) throw error
    return { errors: { url: error.messageKey } }
  }
}
