import { Parser } from 'htmlparser2'
import type { Network } from './network.js'
import { clip, collapse } from './plain-text.js'
import { bodyText, FetchError, safeFetch, webAddress, type FetchLimits } from './safe-fetch.js'

/** The lengths of a post's title and summary columns. */
export const TITLE_MAX = 300
export const SUMMARY_MAX = 2000

/** What a page says about itself, ready to fill a post form. */
export interface LinkPreview {
  /** The page's address after redirects (what a short link stood for). */
  url: string
  title: string
  summary: string | null
  /** An absolute http(s) address of the page's image, to be downloaded by Kaiku (never shown as is). */
  imageUrl: string | null
}

const PAGE_TYPES = new Set(['text/html', 'application/xhtml+xml'])

/** Meta tags by preference, first found wins. */
const TITLE_KEYS = ['og:title', 'twitter:title']
const SUMMARY_KEYS = ['og:description', 'twitter:description', 'description']
const IMAGE_KEYS = ['og:image:secure_url', 'og:image:url', 'og:image', 'twitter:image', 'twitter:image:src']

interface PageMeta {
  meta: Map<string, string>
  title: string
  imageLink: string | undefined
}

/** Reads the meta tags, the first <title> outside inline SVG and a `rel=image_src` link. */
function readMeta(html: string): PageMeta {
  const found: PageMeta = { meta: new Map(), title: '', imageLink: undefined }
  let svgDepth = 0
  let inTitle = false
  let titleDone = false
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'svg') svgDepth++
        if (name === 'title' && svgDepth === 0 && !titleDone) inTitle = true
        if (name === 'meta') {
          const key = (attributes.property ?? attributes.name ?? '').trim().toLowerCase()
          const content = attributes.content
          if (key && content !== undefined && !found.meta.has(key)) found.meta.set(key, content)
        }
        if (name === 'link' && !found.imageLink && (attributes.rel ?? '').toLowerCase().split(/\s+/).includes('image_src') && attributes.href) {
          found.imageLink = attributes.href
        }
      },
      ontext(text) {
        if (inTitle) found.title += text
      },
      onclosetag(name) {
        if (name === 'svg') svgDepth = Math.max(0, svgDepth - 1)
        if (name === 'title' && inTitle) {
          inTitle = false
          titleDone = true
        }
      }
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true }
  )
  parser.write(html)
  parser.end()
  return found
}

const firstOf = (meta: Map<string, string>, keys: string[]) => keys.map((key) => collapse(meta.get(key) ?? '')).find(Boolean)

/** An image address resolved against the page; only http(s) addresses are kept. */
function imageAddress(candidates: (string | undefined)[], pageUrl: string): string | null {
  for (const candidate of candidates) {
    if (!candidate?.trim()) continue
    try {
      return webAddress(candidate.trim(), pageUrl).href
    } catch {
      // A data: or javascript: image, or nonsense: look at the next one.
    }
  }
  return null
}

/** The preview an HTML page gives of itself; `pageUrl` is where it was fetched from (for relative images). */
export function readPreview(html: string, pageUrl: string): LinkPreview {
  const { meta, title, imageLink } = readMeta(html)
  const chosenTitle = firstOf(meta, TITLE_KEYS) ?? collapse(title)
  const summary = firstOf(meta, SUMMARY_KEYS)
  return {
    url: pageUrl,
    title: clip(chosenTitle || new URL(pageUrl).hostname, TITLE_MAX),
    summary: summary ? clip(summary, SUMMARY_MAX) : null,
    imageUrl: imageAddress([...IMAGE_KEYS.map((key) => meta.get(key)), imageLink], pageUrl)
  }
}

/**
 * Fetches a page through the safe fetcher and reads its title, summary and image. A file that is
 * not an HTML page (a PDF, an image) is a FetchError 'notPage': there is nothing to read.
 */
export async function fetchPreview(url: string, network: Network, limits: FetchLimits): Promise<LinkPreview> {
  const page = await safeFetch(url, network, { ...limits, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5' })
  if (!PAGE_TYPES.has(page.mediaType)) throw new FetchError('notPage')
  return readPreview(bodyText(page), page.url)
}
