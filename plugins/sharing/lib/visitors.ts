import { hash } from 'node:crypto'

/** The address cut to its network (core's rule, shared with the server's own log lines). */
export { anonymiseIp } from '../../../core/api.js'

/**
 * Link unfurlers, crawlers and scripts: recorded as bots and left out of unique counts. A name ending
 * in "bot" is one (Googlebot, AhrefsBot, GPTBot), but not the CUBOT and Robot phones; Yandex's
 * crawlers are, its search app (a person's browser) is not.
 */
const BOTS =
  /(?<!\bcu|\bro)bot\b|bot\/|iframely|microsoft office|ms-office|onebox|google-read-aloud|google-safety|google-pagerenderer|linkpreview|crawler|spider|slurp|facebookexternalhit|facebookcatalog|meta-externalagent|embedly|quora link preview|showyoubot|outbrain|pinterest|vkshare|w3c_validator|whatsapp|telegrambot|skypeuripreview|slackbot|slack-imgproxy|discordbot|linkedinbot|twitterbot|mastodon\/|pleroma|misskey|akkoma|bluesky|cardyb|google-inspectiontool|googlebot|bingbot|bingpreview|applebot|yandex(?!search)|duckduckbot|baiduspider|petalbot|semrush|ahrefs|mj12bot|headlesschrome|phantomjs|python-requests|python-urllib|aiohttp|go-http-client|curl\/|wget\/|libwww|okhttp|java\/|httpclient|node-fetch|axios|undici|postmanruntime|preview/i

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

/**
 * A visitor, counted without a cookie: a keyed hash of the anonymised address and browser, keyed by
 * the day's salt (64 random hex characters, secret, deleted after two days). SHA-256 of salt and
 * message in one pass, not HMAC: a key is only ever compared with other keys, never shown or checked
 * as a signature, so the length extension HMAC guards against does not apply, and the one-shot hash
 * costs a quarter of an HMAC per click (bench/README.md, redirect benchmark).
 */
export function visitorKey(salt: string, ipNet: string, userAgent: string | undefined): string {
  return hash('sha256', `${salt}\n${ipNet}\n${userAgent ?? ''}`, 'hex')
}
