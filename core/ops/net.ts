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
