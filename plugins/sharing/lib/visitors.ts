import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'

/** The address cut to its network: /24 for IPv4, /48 for IPv6 (an IPv4-mapped IPv6 address counts as IPv4). */
export function anonymiseIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  const ip = mapped ? mapped[1] : address
  if (isIP(ip) === 4) return `${ip.split('.').slice(0, 3).join('.')}.0/24`
  if (isIP(ip) === 6) {
    const [head, tail = ''] = ip.split('::')
    const left = head ? head.split(':') : []
    const right = tail ? tail.split(':') : []
    const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
    return `${groups.slice(0, 3).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/48`
  }
  return 'unknown'
}

/** Link unfurlers, crawlers and scripts: recorded as bots and left out of unique counts. */
const BOTS =
  /bot\b|bot\/|crawler|spider|slurp|facebookexternalhit|facebookcatalog|meta-externalagent|embedly|quora link preview|showyoubot|outbrain|pinterest|vkshare|w3c_validator|whatsapp|telegrambot|skypeuripreview|slackbot|slack-imgproxy|discordbot|linkedinbot|twitterbot|mastodon\/|pleroma|misskey|akkoma|bluesky|cardyb|google-inspectiontool|googlebot|bingbot|bingpreview|applebot|yandex|duckduckbot|baiduspider|petalbot|semrush|ahrefs|mj12bot|headlesschrome|phantomjs|python-requests|python-urllib|aiohttp|go-http-client|curl\/|wget\/|libwww|okhttp|java\/|httpclient|node-fetch|axios|undici|postmanruntime|preview/i

export type AgentClass = 'bot' | 'mobile' | 'tablet' | 'desktop' | 'other'

export function agentClass(userAgent: string | undefined): AgentClass {
  const ua = userAgent ?? ''
  if (!ua.trim() || BOTS.test(ua)) return 'bot'
  if (/ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))/i.test(ua)) return 'tablet'
  if (/mobi|iphone|ipod|android.*mobile|windows phone|blackberry|opera mini/i.test(ua)) return 'mobile'
  if (/windows nt|macintosh|x11|cros|linux/i.test(ua)) return 'desktop'
  return 'other'
}

/** The referring site's host only (never its path or query), or null. */
export function referrerHost(referer: string | undefined): string | null {
  if (!referer) return null
  try {
    const url = new URL(referer)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname.slice(0, 253) : null
  } catch {
    return null
  }
}

/** A visitor, counted without a cookie: a keyed hash of the anonymised address and browser, with the day's salt. */
export function visitorKey(salt: string, ipNet: string, userAgent: string | undefined): string {
  return createHmac('sha256', saltKey(salt)).update(`${ipNet}\n${userAgent ?? ''}`).digest('hex')
}

/** The salt as a key object, made once per salt (a day) instead of once per click. */
let lastSalt: { salt: string; key: KeyObject } | undefined
function saltKey(salt: string): KeyObject {
  if (lastSalt?.salt !== salt) lastSalt = { salt, key: createSecretKey(Buffer.from(salt, 'utf8')) }
  return lastSalt.key
}
