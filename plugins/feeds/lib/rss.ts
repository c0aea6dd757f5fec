import { createHash } from 'node:crypto'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { clip, plainText } from './plain-text.js'
import { SUMMARY_MAX, TITLE_MAX } from './preview.js'
import { webAddress } from './safe-fetch.js'

/** A feed that cannot be read; `messageKey` says why, to the admin, on the source. */
export class FeedError extends Error {
  override name = 'FeedError'
  readonly messageKey: string
  constructor(readonly reason: 'notXml' | 'dtd' | 'notFeed') {
    super(`feed refused: ${reason}`)
    this.messageKey = `feeds.rss.${reason}`
  }
}

export interface FeedItem {
  /** 64 hex characters: the hash of the item's guid, id or link, whichever it has first. */
  key: string
  url: string
  title: string
  summary: string | null
  /** An image the item names (media:thumbnail, media:content, enclosure), absolute. */
  imageUrl: string | null
}

export interface Feed {
  title: string | null
  items: FeedItem[]
}

/** An XML element with its children in document order (text and elements mixed, as in Atom xhtml). */
interface Element {
  name: string
  attributes: Record<string, string>
  children: (Element | string)[]
}

const parser = () =>
  new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    // Only the five XML entities and character references: a DTD of the feed's own is refused before.
    processEntities: { enabled: true, maxEntityCount: 1, maxEntitySize: 1, maxTotalExpansions: 500_000, maxExpandedLength: 500_000 },
    htmlEntities: false,
    maxNestedTags: 100
  })

type Ordered = Record<string, unknown>[]

function toElements(nodes: Ordered): (Element | string)[] {
  return nodes.map((node) => {
    if ('#text' in node) return String(node['#text'])
    const name = Object.keys(node).find((key) => key !== ':@')!
    return { name, attributes: (node[':@'] ?? {}) as Record<string, string>, children: toElements(node[name] as Ordered) }
  })
}

const elements = (parent: Element | undefined, name: string) =>
  (parent?.children ?? []).filter((child): child is Element => typeof child !== 'string' && child.name === name)
const first = (parent: Element | undefined, ...names: string[]) => names.map((name) => elements(parent, name)[0]).find(Boolean)
const textOf = (node: Element | string | undefined): string => (node === undefined ? '' : typeof node === 'string' ? node : node.children.map(textOf).join(''))

/** A text field as plain text: feeds put (escaped) HTML in titles and summaries; none of it survives. */
const plain = (node: Element | undefined, max: number) => clip(plainText(textOf(node)), max)

/** The first absolute http(s) address among the candidates, resolved against the feed's address. */
function absolute(candidates: (string | undefined)[], base: string): string | null {
  for (const candidate of candidates) {
    if (!candidate?.trim()) continue
    try {
      return webAddress(candidate.trim(), base).href
    } catch {
      // javascript:, mailto: or nonsense: not a link Kaiku follows.
    }
  }
  return null
}

/** The longest link a post can hold. */
const URL_MAX = 2000

const keyOf = (identity: string) => createHash('sha256').update(identity).digest('hex')

/** Where an item leads: Atom's alternate link, RSS's link, or a guid that is a permalink. */
function linksOf(item: Element): string[] {
  const atom = elements(item, 'link').filter((link) => link.attributes.href && [undefined, 'alternate'].includes(link.attributes.rel))
  const guid = first(item, 'guid')
  return [
    ...atom.map((link) => link.attributes.href),
    ...elements(item, 'link').map(textOf),
    ...(guid && guid.attributes.isPermaLink !== 'false' ? [textOf(guid)] : [])
  ]
}

/** Images an item names: media thumbnails, media contents and enclosures of an image type. */
function imagesOf(item: Element): string[] {
  const isImage = (element: Element) => (element.attributes.type ?? element.attributes.medium ?? '').startsWith('image')
  const media = [...elements(item, 'media:group').flatMap((group) => elements(group, 'media:content')), ...elements(item, 'media:content')]
  return [...elements(item, 'media:thumbnail'), ...media.filter(isImage), ...elements(item, 'enclosure').filter(isImage)].map((element) => element.attributes.url)
}

function readItem(item: Element, base: string): FeedItem | undefined {
  const url = absolute(linksOf(item), base)
  if (!url || url.length > URL_MAX) return undefined
  const identity = [textOf(first(item, 'guid', 'id')), item.attributes['rdf:about']].find((text) => text?.trim()) ?? url
  const summary = plain(first(item, 'description', 'summary', 'content:encoded', 'content'), SUMMARY_MAX)
  return {
    key: keyOf(identity.trim()),
    url,
    title: plain(first(item, 'title'), TITLE_MAX) || clip(summary, 120) || new URL(url).hostname,
    summary: summary || null,
    imageUrl: absolute(imagesOf(item), base)
  }
}

/**
 * Reads an RSS 2.0, RSS 1.0 (RDF) or Atom feed. The document must be well-formed XML without a DTD
 * of its own, so entity tricks ("billion laughs", external entities) never reach the parser. Items
 * keep the feed's order; those without an http(s) link (of at most 2000 characters) are left
 * out, as a post needs one.
 */
export function parseFeed(xml: string, feedUrl: string): Feed {
  if (/<!ENTITY/i.test(xml) || /<!DOCTYPE[^>]*\[/i.test(xml)) throw new FeedError('dtd')
  if (XMLValidator.validate(xml) !== true) throw new FeedError('notXml')
  let root: Element | undefined
  try {
    root = toElements(parser().parse(xml) as Ordered).find((node): node is Element => typeof node !== 'string' && !node.name.startsWith('?'))
  } catch {
    throw new FeedError('notXml')
  }
  const channel = root?.name === 'feed' ? root : root?.name === 'rss' || root?.name === 'rdf:RDF' ? first(root, 'channel') : undefined
  if (!root || !channel) throw new FeedError('notFeed')
  const items = root.name === 'feed' ? elements(root, 'entry') : elements(root.name === 'rss' ? channel : root, 'item')
  return {
    title: plain(first(channel, 'title'), TITLE_MAX) || null,
    items: items.map((item) => readItem(item, feedUrl)).filter((item): item is FeedItem => item !== undefined)
  }
}
