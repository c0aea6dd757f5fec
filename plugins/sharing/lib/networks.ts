/**
 * The networks a member can share to, with no API credentials at all: each has a share page (intent
 * URL) that opens with the text and link filled in, and a length limit for the whole message.
 */
export const NETWORKS = ['linkedin', 'x', 'facebook', 'xing', 'mastodon', 'bluesky', 'email', 'copy'] as const
export type Network = (typeof NETWORKS)[number]

export const isNetwork = (value: string): value is Network => (NETWORKS as readonly string[]).includes(value)

export interface NetworkSpec {
  /** Characters a whole message may have (text, disclosure line and link); null: no limit. */
  limit: number | null
  /** How many characters the link counts for (X and Mastodon count every link as 23). */
  linkWeight?: number
  /** Whether the network's share page takes a text; if not, members copy their text themselves. */
  takesText: boolean
  /** The share page for this message; `instance` is the member's Mastodon server. */
  intent(message: { text: string; url: string; full: string }, instance?: string): string | null
}

const q = encodeURIComponent

export const SPECS: Record<Network, NetworkSpec> = {
  linkedin: { limit: 3000, takesText: true, intent: ({ full }) => `https://www.linkedin.com/feed/?shareActive=true&text=${q(full)}` },
  x: { limit: 280, linkWeight: 23, takesText: true, intent: ({ text, url }) => `https://x.com/intent/post?text=${q(text)}&url=${q(url)}` },
  facebook: { limit: null, takesText: false, intent: ({ url }) => `https://www.facebook.com/sharer/sharer.php?u=${q(url)}` },
  xing: { limit: 420, takesText: false, intent: ({ url }) => `https://www.xing.com/spi/shares/new?url=${q(url)}` },
  mastodon: { limit: 500, linkWeight: 23, takesText: true, intent: ({ full }, instance) => (instance ? `https://${instance}/share?text=${q(full)}` : null) },
  bluesky: { limit: 300, takesText: true, intent: ({ full }) => `https://bsky.app/intent/compose?text=${q(full)}` },
  email: { limit: 1800, takesText: true, intent: ({ text, url }) => `mailto:?body=${q(`${text}\n\n${url}`)}` },
  copy: { limit: null, takesText: true, intent: () => null }
}

/** The message as it is posted: the member's text, the disclosure line, then the link. */
export function composeText(text: string, disclosure: string | null): string {
  const body = text.trim()
  return disclosure ? (body ? `${body}\n\n${disclosure}` : disclosure) : body
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** Code points X counts once (twitter-text's configuration v3); every other counts twice, CJK among them. */
const X_SINGLE: readonly (readonly [number, number])[] = [
  [0, 4351],
  [8192, 8205],
  [8208, 8223],
  [8242, 8247]
]

/**
 * How X weighs a text: NFC-normalised, an emoji (with its modifiers and joiners) as 2, any other code
 * point 1 or 2 by its range. A tweet may weigh 280.
 */
function xWeight(text: string): number {
  let weight = 0
  for (const { segment } of graphemes.segment(text.normalize('NFC'))) {
    if (/\p{Extended_Pictographic}/u.test(segment)) weight += 2
    else for (const char of segment) weight += X_SINGLE.some(([from, to]) => char.codePointAt(0)! >= from && char.codePointAt(0)! <= to) ? 1 : 2
  }
  return weight
}

/** A text's length as the network counts it: X by its weights, the others by graphemes, as people count. */
export function lengthOf(network: Network, text: string): number {
  return network === 'x' ? xWeight(text) : [...graphemes.segment(text)].length
}

/**
 * What the network counts for the whole message: the text, what joins it to the link (X's share page
 * puts a space between them; the others get the message as Kaiku writes it, the link after a blank
 * line) and the link.
 */
export function weightOf(network: Network, text: string, url: string): number {
  const link = SPECS[network].linkWeight ?? lengthOf(network, url)
  const joint = text ? (network === 'x' ? 1 : 2) : 0
  return lengthOf(network, text) + joint + link
}

/** A Mastodon server's host name as the member typed it (`mastodon.social`, `@me@mastodon.social`, a URL). */
export function mastodonHost(input: string): string | null {
  let text = input.trim().toLowerCase()
  if (/^https?:\/\//.test(text)) {
    // A URL, a profile's included (`https://mastodon.social/@me`): its host.
    text = text.replace(/^https?:\/\//, '').replace(/[/?#].*$/, '')
  } else {
    const handle = /^@?[^@\s/]+@([^@\s/]+)$/.exec(text)
    if (handle) text = handle[1]
    text = text.replace(/\/.*$/, '')
  }
  return /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(text) ? text : null
}
