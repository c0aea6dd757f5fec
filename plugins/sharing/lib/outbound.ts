import { lookup as systemLookup } from 'node:dns/promises'
import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * Where the provider adapters connect, in one object so tests can point it at a stub server on
 * loopback. The plugin decorates the app with its instance (`app.sharingNetwork`); adapters read its
 * fields on every call, so changing them after the app is built takes effect.
 */
export interface ProviderNetwork {
  /** The origin of a Mastodon server's API: always `https://<host>` outside tests. */
  mastodonOrigin(host: string): string
  /** LinkedIn's sign-in pages (`www`) and its API (`api`). */
  linkedin: { www: string; api: string }
  /** The addresses a host name stands for. */
  resolve(hostname: string): Promise<string[]>
  /** Whether Kaiku may connect to an address: public ones only, outside tests. */
  allowAddress(address: string): boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    sharingNetwork: ProviderNetwork
  }
}

/**
 * A public unicast address. Mastodon servers are typed in by members, so a name that leads into the
 * operator's own network (loopback, private, link-local, CGNAT, unique-local, documentation, 6to4,
 * NAT64…) is refused; an IPv4-mapped IPv6 address is judged as the IPv4 address it is. (The feeds
 * fetcher has a fuller check with operator-allowed ranges; plugins cannot share files.)
 */
export function isPublicAddress(text: string): boolean {
  if (!ipaddr.isValid(text)) return false
  let address = ipaddr.parse(text)
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address()
  if (address.kind() === 'ipv4') return address.range() === 'unicast'
  return address.range() === 'unicast' && address.match(ipaddr.parse('2000::'), 3)
}

export function systemNetwork(): ProviderNetwork {
  return {
    mastodonOrigin: (host) => `https://${host}`,
    linkedin: { www: 'https://www.linkedin.com', api: 'https://api.linkedin.com' },
    async resolve(hostname) {
      return (await systemLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address)
    },
    allowAddress: isPublicAddress
  }
}

/** Why a call to a provider did not give an answer: refused before connecting, or no (usable) answer. */
export class ProviderUnreachable extends Error {
  override name = 'ProviderUnreachable'
  constructor(readonly reason: 'address' | 'unreachable') {
    super(reason === 'address' ? 'the server is not on a public address' : 'the server could not be reached')
  }
}

export interface ProviderResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Parsed JSON, or the text when the body is not JSON. */
  body: unknown
}

export interface ProviderRequest {
  method: 'GET' | 'POST'
  url: string
  headers?: Record<string, string>
  form?: Record<string, string>
  json?: unknown
}

const TIMEOUT_MS = 15_000
const MAX_BODY = 1024 * 1024
const USER_AGENT = 'Kaiku (employee advocacy server)'

/**
 * One call to a provider's API. The connection goes to an address that was checked (the lookup that
 * finds it is the one that checks it, so a name cannot answer differently in between); redirects are
 * not followed; answers are read up to 1 MB, for 15 seconds at most.
 */
export async function callProvider(network: ProviderNetwork, request: ProviderRequest): Promise<ProviderResponse> {
  const url = new URL(request.url)
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (isIP(hostname) && !network.allowAddress(hostname)) throw new ProviderUnreachable('address')
  const lookup: LookupFunction = (name, options, callback) => {
    network.resolve(name).then(
      (addresses) => {
        if (addresses.length === 0 || !addresses.every((address) => network.allowAddress(address))) {
          return callback(new ProviderUnreachable('address'), '', 4)
        }
        const found = addresses.map((address) => ({ address, family: isIP(address) }))
        if (options.all) (callback as unknown as (error: null, all: typeof found) => void)(null, found)
        else callback(null, found[0].address, found[0].family)
      },
      (error) => callback(error, '', 4)
    )
  }
  const body = request.form ? new URLSearchParams(request.form).toString() : request.json === undefined ? undefined : JSON.stringify(request.json)
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT, ...request.headers }
  if (request.form) headers['content-type'] = 'application/x-www-form-urlencoded'
  else if (request.json !== undefined) headers['content-type'] = 'application/json'
  try {
    return await new Promise<ProviderResponse>((resolve, reject) => {
      const outgoing = (url.protocol === 'https:' ? https : http).request(url, { method: request.method, headers, lookup, agent: false, signal: AbortSignal.timeout(TIMEOUT_MS) }, (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_BODY) return response.destroy(new Error('answer too large'))
          chunks.push(chunk)
        })
        response.on('error', reject)
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = text
          if (/json/i.test(String(response.headers['content-type'] ?? ''))) {
            try {
              parsed = JSON.parse(text)
            } catch {
              // A malformed JSON answer is kept as text; the adapter finds the fields missing.
            }
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed })
        })
      })
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  } catch (error) {
    throw error instanceof ProviderUnreachable ? error : new ProviderUnreachable('unreachable')
  }
}
