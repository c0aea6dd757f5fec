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
