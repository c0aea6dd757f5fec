import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { isPublicAddress, parseAddress } from './addresses.js'
import type { Network } from './network.js'

/** Why a fetch was refused or failed; each has a message `feeds.fetch.<reason>` for people. */
export const FETCH_REFUSALS = ['url', 'scheme', 'address', 'dns', 'unreachable', 'timeout', 'tooLarge', 'redirects', 'status', 'encoding', 'notPage', 'notImage'] as const
export type FetchRefusal = (typeof FETCH_REFUSALS)[number]

/** A fetch that was refused or failed, with a reason code and the message key that explains it. */
export class FetchError extends Error {
  override name = 'FetchError'
  readonly messageKey: string
  constructor(
    readonly reason: FetchRefusal,
    /** Values for the message's placeholders, e.g. `{ status: 404 }`. */
    readonly params: Record<string, string | number> = {}
  ) {
    super(`fetch failed: ${reason}${params.status ? ` (HTTP ${params.status})` : ''}`)
    this.messageKey = `feeds.fetch.${reason}`
  }
}

export interface FetchLimits {
  /** For the whole fetch, redirects included. */
  timeoutMs: number
  /** Of the body as decoded (after gzip, deflate or br). */
  maxBytes: number
}

export interface FetchOptions extends FetchLimits {
  accept: string
}

export interface FetchResult {
  /** The address that answered, after redirects. */
  url: string
  status: number
  /** The media type, lower case, without parameters (`text/html`). */
  mediaType: string
  /** The charset the server declared, if any. */
  charset: string | undefined
  body: Buffer
}

export const MAX_REDIRECTS = 5
const REDIRECTS = new Set([301, 302, 303, 307, 308])
const USER_AGENT = 'Mozilla/5.0 (compatible; Kaiku link preview)'

/** The URL if it is an absolute http(s) address. */
export function webAddress(text: string, base?: string): URL {
  let url: URL
  try {
    url = new URL(text, base)
  } catch {
    throw new FetchError('url')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError('scheme')
  return url
}

/** The host of a URL without the brackets of an IPv6 literal. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1')

/** The one address this hop connects to, after every address of the host was found public. */
async function checkedAddress(url: URL, network: Network, signal: AbortSignal): Promise<string> {
  const hostname = hostOf(url)
  let addresses: string[]
  if (parseAddress(hostname)) {
    addresses = [hostname]
  } else {
    try {
      addresses = await abortable(network.resolve(hostname), signal)
    } catch (error) {
      if (signal.aborted) throw new FetchError('timeout')
      throw error instanceof FetchError ? error : new FetchError('dns')
    }
  }
  if (addresses.length === 0) throw new FetchError('dns')
  // All of them: a name that also points inside the network is not trusted with any of its addresses.
  if (!addresses.every((address) => isPublicAddress(address, network.allow))) throw new FetchError('address')
  return addresses[0]
}

/** The promise, or a 'timeout' FetchError as soon as the fetch's time is up. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new FetchError('timeout'))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * One request. It connects to the address that was checked, never to the host name: no second DNS
 * lookup happens between the check and the connection, so a name that changes its answer (DNS
 * rebinding) cannot slip a private address in. The Host header and TLS name stay the site's.
 */
function request(url: URL, address: string, network: Network, accept: string, signal: AbortSignal): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:'
  const target = network.dial(address, Number(url.port) || (secure ? 443 : 80))
  const hostname = hostOf(url)
  return new Promise((resolve, reject) => {
    const outgoing = (secure ? https : http).request({
      host: target.host,
      port: target.port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      agent: false,
      signal,
      // SNI and certificate checks use the site's name; an IP literal has no SNI.
      ...(secure && !parseAddress(hostname) ? { servername: hostname } : {}),
      headers: { host: url.host, accept, 'accept-encoding': 'gzip, deflate, br', 'user-agent': USER_AGENT }
    })
    outgoing.once('response', resolve)
    outgoing.once('error', reject)
    outgoing.end()
  })
}

/** Counts the bytes passing through and fails the stream past `maxBytes`. */
function byteLimit(maxBytes: number): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length
      callback(seen > maxBytes ? new FetchError('tooLarge') : null, chunk)
    }
  })
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
    case '':
      return undefined
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip()
    case 'deflate':
      return zlib.createInflate()
    case 'br':
      return zlib.createBrotliDecompress()
    default:
      throw new FetchError('encoding')
  }
}

/** The body, decoded, refused as soon as it (compressed or not) passes the limit. */
async function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) throw new FetchError('tooLarge')
  const decoder = decoderFor(response.headers['content-encoding'])
  const chunks: Buffer[] = []
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk)
  }
  if (decoder) await pipeline(response, byteLimit(maxBytes), decoder, byteLimit(maxBytes), collect)
  else await pipeline(response, byteLimit(maxBytes), collect)
  return Buffer.concat(chunks)
}

function contentType(header: string | undefined): { mediaType: string; charset: string | undefined } {
  const [type = '', ...parameters] = (header ?? '').split(';')
  const charset = parameters
    .map((parameter) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(parameter)?.[1])
    .find(Boolean)
  return { mediaType: type.trim().toLowerCase(), charset: charset?.toLowerCase() }
}

/** The charset a document declares in its first bytes: `<?xml encoding>` or `<meta charset>`. */
function declaredCharset(body: Buffer): string | undefined {
  const head = body.subarray(0, 2048).toString('latin1')
  return (/<\?xml[^>]+encoding\s*=\s*["']([\w.-]+)/i.exec(head) ?? /<meta[^>]+charset\s*=\s*["']?\s*([\w.-]+)/i.exec(head))?.[1]
}

/** The body as text, in the charset the server or the document declares (UTF-8 otherwise). */
export function bodyText(result: Pick<FetchResult, 'body' | 'charset'>): string {
  for (const label of [result.charset, declaredCharset(result.body)]) {
    if (!label) continue
    try {
      return new TextDecoder(label).decode(result.body)
    } catch {
      // A label TextDecoder does not know: try the next one.
    }
  }
  return new TextDecoder('utf-8').decode(result.body)
}

/** What went wrong, as the person should hear it. */
function failure(error: unknown, signal: AbortSignal): FetchError {
  if (error instanceof FetchError) return error
  if (signal.aborted) return new FetchError('timeout')
  if ((error as { code?: string }).code?.startsWith('Z_')) return new FetchError('encoding')
  return new FetchError('unreachable')
}

/**
 * GETs an http(s) address from the public internet only. Every hop (the address and each redirect)
 * is checked: scheme, and every address its host resolves to must be public (or allowed); at most
 * five redirects, never in a circle; one time limit for everything; the body is refused past the
 * size limit, counted after decompression. Anything else than a 2xx answer is a FetchError.
 */
export async function safeFetch(address: string, network: Network, options: FetchOptions): Promise<FetchResult> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), options.timeoutMs)
  const { signal } = controller
  try {
    let url = webAddress(address)
    url.hash = ''
    const visited = new Set<string>()
    for (let hop = 0; ; hop++) {
      visited.add(url.href)
      const connectTo = await checkedAddress(url, network, signal)
      const response = await request(url, connectTo, network, options.accept, signal)
      const status = response.statusCode ?? 0
      if (REDIRECTS.has(status) && response.headers.location) {
        response.destroy()
        const next = webAddress(response.headers.location, url.href)
        next.hash = ''
        if (hop >= MAX_REDIRECTS || visited.has(next.href)) throw new FetchError('redirects')
        url = next
        continue
      }
      if (status < 200 || status > 299) {
        response.destroy()
        throw new FetchError('status', { status })
      }
      const body = await readBody(response, options.maxBytes)
      // A body whose end is the connection closing also "ends" when the time limit cuts it: half a
      // page is no page.
      if (signal.aborted) throw new FetchError('timeout')
      if (!response.complete) throw new FetchError('unreachable')
      return { url: url.href, status, ...contentType(response.headers['content-type']), body }
    }
  } catch (error) {
    throw failure(error, signal)
  } finally {
    clearTimeout(timer)
  }
}
