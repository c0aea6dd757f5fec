import { domainToASCII } from 'node:url'

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * A domain in the one form we compare: lower case, no trailing dot, IDNA (punycode) ASCII. Returns
 * undefined for anything that is not a plain registrable host name, so look-alikes never match by
 * accident: `аcme.com` (Cyrillic а) becomes `xn--cme-8cd.com`, not `acme.com`.
 */
export function normaliseDomain(input: string): string | undefined {
  if (typeof input !== 'string') return undefined
  const trimmed = input.trim().toLowerCase().replace(/\.$/, '')
  if (!trimmed || trimmed.length > 253 || /[\s@/:?#[\]\\]/.test(trimmed)) return undefined
  const ascii = domainToASCII(trimmed)
  if (!ascii) return undefined
  const labels = ascii.split('.')
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined
  if (/^\d+$/.test(labels[labels.length - 1])) return undefined
  return ascii
}

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/

/**
 * Splits a work email into its local part and normalised domain. Refuses what could make a domain
 * check lie: quoted local parts (`"x@acme.com"@evil.io`), several @, comments, spaces, control characters.
 */
export function parseEmail(input: string): { local: string; domain: string; address: string } | undefined {
  if (typeof input !== 'string' || /[\u0000-\u001f\u007f]/.test(input)) return undefined
  const text = input.replace(/^ +| +$/g, '')
  if (text.length > 254 || /[\u0000-\u001f\u007f\s"(),:;<>[\]\\]/.test(text)) return undefined
  const at = text.lastIndexOf('@')
  if (at <= 0 || text.indexOf('@') !== at) return undefined
  const local = text.slice(0, at)
  if (local.length > 64 || !LOCAL.test(local)) return undefined
  const domain = normaliseDomain(text.slice(at + 1))
  if (!domain) return undefined
  return { local, domain, address: `${local.toLowerCase()}@${domain}` }
}

/** Mail services anyone can have an address at: they say nothing about a company. */
const PUBLIC_MAIL = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'ymail.com', 'icloud.com',
  'me.com', 'mac.com', 'aol.com', 'gmx.de', 'gmx.net', 'gmx.com', 'gmx.at', 'gmx.ch', 'web.de', 'mail.com', 'proton.me',
  'protonmail.com', 'pm.me', 'tutanota.com', 'tuta.io', 'zoho.com', 'yandex.com', 'yandex.ru', 'mail.ru', 'hey.com',
  'fastmail.com', 'outlook.fr', 'hotmail.fr', 'hotmail.co.uk', 'yahoo.fr', 'yahoo.de', 'yahoo.co.uk', 'orange.fr', 'free.fr',
  'laposte.net', 'libero.it', 't-online.de', 'freenet.de', 'seznam.cz', 'wp.pl', 'o2.pl', 'onet.pl', 'interia.pl', 'suomi24.fi',
  'luukku.com', 'telia.com', 'btinternet.com', 'virginmedia.com'
])

/**
 * Whether a (normalised) domain is a public mail service's. An instance never takes one as its own:
 * anyone with an address there could sign up and read the company's feed.
 */
export const isPublicMail = (domain: string): boolean => PUBLIC_MAIL.has(domain)
