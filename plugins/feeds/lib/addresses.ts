import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6
type Range = [Address, number]

/**
 * An IP address in any spelling a URL parser or `inet_aton` accepts (`2130706433`, `0x7f.1`,
 * `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`, a trailing dot), or undefined when `text` is not an
 * address (a host name). An address with a zone id (`fe80::1%eth0`) is refused outright: zones only
 * exist for addresses that are local to a link.
 */
export function parseAddress(text: string): Address | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
  if (bare.includes('%') || !ipaddr.isValid(bare)) return undefined
  return ipaddr.parse(bare)
}

/** The IPv4 address hidden in an IPv6 one: mapped, compatible, SIIT, NAT64 (64:ff9b::/96) or 6to4. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = address.parts
  const fromWords = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  const zeros = (from: number, to: number) => parts.slice(from, to).every((part) => part === 0)
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated but still routed by some stacks), ::ffff:0:a.b.c.d (SIIT)
  if (zeros(0, 5) && (parts[5] === 0xffff || parts[5] === 0)) return fromWords(parts[6], parts[7])
  if (zeros(0, 4) && parts[4] === 0xffff && parts[5] === 0) return fromWords(parts[6], parts[7])
  if (parts[0] === 0x64 && parts[1] === 0xff9b && zeros(2, 6)) return fromWords(parts[6], parts[7])
  if (parts[0] === 0x2002) return fromWords(parts[1], parts[2])
  return undefined
}

/** Parses CIDR ranges (`10.0.0.0/8`, `fd00::/8`, or a single address); throws naming the bad entry. */
export function parseRanges(list: readonly string[]): Range[] {
  return list.map((entry) => {
    const text = entry.trim()
    try {
      if (text.includes('/')) return ipaddr.parseCIDR(text) as Range
      const address = ipaddr.parse(text)
      return [address, address.kind() === 'ipv4' ? 32 : 128] as Range
    } catch {
      throw new Error(`'${text}' is not an IP address or CIDR range`)
    }
  })
}

/** Splits a comma- or space-separated list of ranges, as KAIKU_FETCH_ALLOW is written. */
export const splitRanges = (text: string) => text.split(/[\s,]+/).filter(Boolean)

const inRange = (address: Address, [network, bits]: Range) => address.kind() === network.kind() && address.match(network, bits)

const GLOBAL_UNICAST_V6: Range = [ipaddr.parse('2000::'), 3]

/**
 * Whether the fetcher may connect to `address`: a public unicast address, or one inside a range the
 * operator allowed. Loopback, private, carrier-grade NAT, link-local, multicast, broadcast,
 * unspecified, documentation and other reserved ranges are refused, and an IPv4 address embedded in
 * an IPv6 one is judged as the IPv4 address it is. Teredo and NAT64 local-use addresses are refused:
 * the address they lead to cannot be read reliably.
 */
export function isPublicAddress(text: string, allow: readonly string[] = []): boolean {
  const address = parseAddress(text)
  if (!address) return false
  const ranges = parseRanges(allow)
  const embedded = address.kind() === 'ipv6' ? embeddedIPv4(address as ipaddr.IPv6) : undefined
  const candidates = embedded ? [address, embedded] : [address]
  if (candidates.some((candidate) => ranges.some((range) => inRange(candidate, range)))) return true
  if (embedded) return embedded.range() === 'unicast'
  if (address.kind() === 'ipv4') return address.range() === 'unicast'
  return address.range() === 'unicast' && inRange(address, GLOBAL_UNICAST_V6)
}
