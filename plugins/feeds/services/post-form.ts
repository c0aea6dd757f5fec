import { cleanText, cleanUrl, fromLocalInput, toLocalInput, type FieldErrors } from '../../../core/api.js'
import type { PostEntity } from '../entities/post.entity.js'
import { isTextNetwork, TEXT_NETWORKS } from '../lib/networks.js'
import type { PostDetails, PostInput, PublishChoice } from './posts.js'

export const MAX_TEXTS = 10
const BLANK_TEXTS = 2

/** The post form as the curator typed it: what the page shows again when something needs fixing. */
export interface PostFormValues {
  url: string
  title: string
  summary: string
  imageId: string
  disclosure: string
  textsLocked: boolean
  pinned: boolean
  publish: 'now' | 'draft' | 'schedule'
  publishAt: string
  expiresAt: string
  topicIds: string[]
  texts: { network: string; text: string }[]
  suggestionId: string
}

export interface PostFormBody {
  url?: string
  title?: string
  summary?: string
  imageId?: string
  disclosure?: string
  textsLocked?: string
  pinned?: string
  publish?: string
  publishAt?: string
  expiresAt?: string
  topics?: string | string[]
  textNetwork?: string | string[]
  textBody?: string | string[]
  suggestionId?: string
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value])

export function valuesFromBody(body: PostFormBody): PostFormValues {
  const networks = list(body.textNetwork)
  // Blank rows are the form's spare ones: dropped here, so a form that comes back does not grow.
  const texts = list(body.textBody)
    .map((text, index) => ({ network: networks[index] ?? 'any', text }))
    .filter((row) => row.text.trim() !== '')
  const publish = body.publish === 'draft' || body.publish === 'schedule' ? body.publish : 'now'
  return {
    url: body.url ?? '',
    title: body.title ?? '',
    summary: body.summary ?? '',
    imageId: body.imageId ?? '',
    disclosure: body.disclosure ?? '',
    textsLocked: Boolean(body.textsLocked),
    pinned: Boolean(body.pinned),
    publish,
    publishAt: body.publishAt ?? '',
    expiresAt: body.expiresAt ?? '',
    topicIds: list(body.topics),
    texts,
    suggestionId: body.suggestionId ?? ''
  }
}

export function valuesFromPost(post: PostEntity, details: PostDetails, timeZone: string): PostFormValues {
  return {
    url: post.url,
    title: post.title,
    summary: post.summary ?? '',
    imageId: post.imageId ?? '',
    disclosure: post.disclosure ?? '',
    textsLocked: post.textsLocked,
    pinned: post.pinned,
    publish: post.status === 'scheduled' ? 'schedule' : post.status === 'draft' ? 'draft' : 'now',
    publishAt: post.publishAt ? toLocalInput(post.publishAt, timeZone) : '',
    expiresAt: post.expiresAt ? toLocalInput(post.expiresAt, timeZone) : '',
    topicIds: details.topicIds,
    texts: details.shareTexts,
    suggestionId: ''
  }
}

const YEAR = 366 * 24 * 3_600_000
/** A post's expiry at most this long after it is published: a later one is a typo (year 9999), not a plan. */
const EXPIRY_AFTER_MAX = 5 * YEAR

/**
 * Checks the form; on success gives the post's input. Times are read in the instance's zone;
 * a schedule must lie ahead (within a year), an expiry after the publication. A share text's network
 * must be one of `networks` (those offered, and those the post's texts already had).
 */
export function readPostForm(values: PostFormValues, timeZone: string, now: Date, networks: ReadonlySet<string>): { errors: FieldErrors; input?: Omit<PostInput, 'authorId' | 'suggestedById' | 'sourceId'> } {
  const errors: FieldErrors = {}
  const url = cleanUrl(values.url)
  const title = cleanText(values.title, 300)
  const summary = cleanText(values.summary, 2000, false, true)
  const disclosure = cleanText(values.disclosure, 120, false)
  if (url.error) errors.url = url.error
  if (title.error) errors.title = title.error
  if (summary.error) errors.summary = summary.error
  if (disclosure.error) errors.disclosure = disclosure.error

  const texts: { network: string; text: string }[] = []
  values.texts.forEach(({ network, text }, index) => {
    const cleaned = cleanText(text, 1000, false, true)
    if (cleaned.error) errors[`text${index}`] = cleaned.error
    else if (!isTextNetwork(network) || !networks.has(network)) errors[`text${index}`] = 'feeds.post.networkNotOffered'
    else if (cleaned.value) texts.push({ network, text: cleaned.value })
  })
  if (texts.length > MAX_TEXTS) errors.texts = 'feeds.post.tooManyTexts'

  let publish: PublishChoice = values.publish === 'draft' ? 'draft' : 'now'
  if (values.publish === 'schedule') {
    const at = fromLocalInput(values.publishAt, timeZone)
    if (!at) errors.publishAt = values.publishAt ? 'feeds.post.badTime' : 'feeds.post.scheduleRequired'
    else if (at <= now) errors.publishAt = 'feeds.post.scheduleInPast'
    else if (at.getTime() - now.getTime() > YEAR) errors.publishAt = 'feeds.post.tooFar'
    else publish = { at }
  }
  let expiresAt: Date | null = null
  if (values.expiresAt.trim()) {
    const at = fromLocalInput(values.expiresAt, timeZone)
    const from = typeof publish === 'object' ? publish.at : now
    if (!at) errors.expiresAt = 'feeds.post.badTime'
    else if (at <= from) errors.expiresAt = 'feeds.post.expiryBeforePublish'
    else if (at.getTime() - from.getTime() > EXPIRY_AFTER_MAX) errors.expiresAt = 'feeds.post.expiryTooFar'
    else expiresAt = at
  }
  if (Object.keys(errors).length) return { errors }
  return {
    errors,
    input: {
      url: url.value,
      title: title.value,
      summary: summary.value || null,
      imageId: /^[0-9a-f-]{36}$/.test(values.imageId) ? values.imageId : null,
      disclosure: disclosure.value || null,
      textsLocked: values.textsLocked,
      pinned: values.pinned,
      topicIds: values.topicIds,
      shareTexts: texts,
      publish,
      expiresAt
    }
  }
}

/**
 * The rows of share texts the form shows: those written, plus blank ones to add more without script.
 * Each row offers `offered`, and keeps its own network even when that is no longer offered.
 */
export function textRows(values: PostFormValues, errors: FieldErrors, offered: readonly string[]) {
  const rows = [...values.texts]
  for (let i = 0; i < BLANK_TEXTS && rows.length < MAX_TEXTS; i++) rows.push({ network: 'any', text: '' })
  return rows.map((row, index) => ({
    index,
    text: row.text,
    error: errors[`text${index}`],
    networks: TEXT_NETWORKS.filter((network) => network === row.network || offered.includes(network)).map((network) => ({ value: network, key: `feeds.network.${network}`, selected: network === row.network }))
  }))
}
