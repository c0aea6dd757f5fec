import { lookup } from 'node:dns/promises'
import { parseRanges } from './addresses.js'

/**
 * What the fetcher knows of the network, in one object so that tests can replace a part of it: how a
 * host name becomes addresses, where a checked address is actually dialled, and which private
 * ranges the operator allows. The plugin exposes its instance as `app.feedsNetwork`; the fetcher
 * reads its fields on every fetch, so changing them after the app is built takes effect.
 */
export interface Network {
  /** The addresses a host name stands for. */
  resolve(hostname: string): Promise<string[]>
  /** Where to open the connection for a checked address; the identity outside tests. */
  dial(address: string, port: number): { host: string; port: number }
  /** CIDR ranges the fetcher may reach although they are not public (KAIKU_FETCH_ALLOW). */
  allow: string[]
}

declare module 'fastify' {
  interface FastifyInstance {
    feedsNetwork: Network
  }
}

/** The real network: the system resolver (hosts file included) and direct connections. */
export function systemNetwork(allow: string[]): Network {
  parseRanges(allow)
  return {
    async resolve(hostname) {
      const found = await lookup(hostname, { all: true, verbatim: true })
      return found.map((entry) => entry.address)
    },
    dial: (address, port) => ({ host: address, port }),
    allow
  }
}
