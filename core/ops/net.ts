import { BlockList, isIP } from 'node:net'

/** Parses a comma-separated list of addresses and CIDR ranges into a matcher; throws on bad input. */
export function addressMatcher(list: string): (address: string) => boolean {
  const blocks = new BlockList()
  for (const entry of list.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [address, prefix] = entry.split('/')
    const family = isIP(address)
    if (family === 0) throw new Error(`'${entry}' is not an IP address or CIDR range`)
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
