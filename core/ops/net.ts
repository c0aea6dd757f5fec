import { BlockList, isIP } from 'node:net'

/**
 * Parses a comma-separated list of addresses and CIDR ranges (`10.0.0.2, 172.18.0.0/16, ::1`) into a
 * matcher; throws with the offending entry on bad input. IPv4 addresses written as IPv6
 * (`::ffff:10.0.0.2`, what a dual-stack socket reports) match their IPv4 entries.
 */
export function addressMatcher(list: string): (address: string) => boolean {
  const blocks = new BlockList()
  for (const entry of list.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [address, prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const bits = family === 4 ? 32 : 128
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits))) {
      throw new Error(`'${entry}' is not an IP address or CIDR range`)
    }
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) blocks.addAddress(address, type)
    else blocks.addSubnet(address, Number(prefix), type)
  }
  return (address: string) => {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
    const family = isIP(plain)
    return family !== 0 && blocks.check(plain, family === 4 ? 'ipv4' : 'ipv6')
  }
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
/** A dotted IPv4 address, also written as IPv6 (`::ffff:…`): its first three octets. */
const IPV4 = new RegExp(`^(?:::ffff:)?(${OCTET}\\.${OCTET}\\.${OCTET})\\.${OCTET}$`, 'i')

/** The address cut to its network: /24 for IPv4, /48 for IPv6 (an IPv4-mapped IPv6 address counts as IPv4). */
export function anonymiseIp(address: string): string {
  // IPv4, plain or mapped (every click's address, so one expression and no splitting).
  const v4 = IPV4.exec(address)
  if (v4) return `${v4[1]}.0/24`
  if (isIP(address) === 6) {
    const [head, tail = ''] = address.split('::')
    const left = head ? head.split(':') : []
    const right = tail ? tail.split(':') : []
    const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
    return `${groups.slice(0, 3).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/48`
  }
  return 'unknown'
}

/** A DNS name (labels of letters, digits, hyphens, underscores) or a bracketed IPv6 address, with an optional port. */
const HOST_HEADER = /^(?:(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i

/**
 * Whether a Host header (or a trusted proxy's X-Forwarded-Host) is a host and nothing else. Links in
 * mail and pages are written with the host a request came to; `acme.example@evil.example` would
 * still reach acme (the part before a colon is taken as the host name) and send a sign-in link to
 * the other site.
 */
export const isHostHeader = (value: string): boolean => HOST_HEADER.test(value)
