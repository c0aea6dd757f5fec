import { createHmac } from 'node:crypto'
import ipaddr from 'ipaddr.js'

/**
 * The visitor's address cut to its network, the only form in which it is stored: the first three
 * bytes of an IPv4 address (/24), the first 48 bits of an IPv6 one (/48).
 */
export function anonymiseAddress(ip: string): string {
  if (!ipaddr.isValid(ip)) return 'unknown'
  const address = ipaddr.process(ip)
  if (address.kind() === 'ipv4') {
    const [a, b, c] = address.toByteArray()
    return `${a}.${b}.${c}.0/24`
  }
  const parts = (address as ipaddr.IPv6).parts.slice(0, 3)
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0, 0]).toString()}/48`
}

/** A rate-limit key for an address that does not keep the address (counters live in the database). */
export const addressKey = (key: Buffer, ip: string) => createHmac('sha256', key).update(ip).digest('base64url').slice(0, 32)
