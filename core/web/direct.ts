import { createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import proxyAddr from '@fastify/proxy-addr'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'

/** What a direct route sees of its request: no session, no tenant, no body. */
export interface DirectRequest {
  /**
   * `HEAD` asks what a `GET` would answer, with no effect: a link checker or an unfurler's probe, not
   * a visit. A handler records nothing for it (its body is never sent).
   */
  readonly method: 'GET' | 'HEAD'
  /** The path after the route's prefix, percent-decoded, without query or trailing slash. */
  readonly rest: string
  readonly headers: IncomingHttpHeaders
  /** The client's address; `X-Forwarded-For` counts only from trusted proxies, as for every route. */
  readonly ip: string
  /** The host asked for: lower case, without port or trailing dot (`X-Forwarded-Host` from trusted proxies). */
  readonly host: string
  readonly log: FastifyBaseLogger
}

export interface DirectAnswer {
  status: number
  headers: Record<string, string>
  body?: string | Buffer
}

export type DirectHandler = (request: DirectRequest) => DirectAnswer | Promise<DirectAnswer>

interface DirectRoute {
  owner: string
  prefix: string
  handler: DirectHandler
}

const PREFIX = /^\/[a-z0-9-]+\/$/
/** Bodies up to this size are joined to the headers (a beacon's GIF, a short text). */
const ONE_CHUNK_BYTES = 16 * 1024

/**
 * `end(body)` hands Node's socket two chunks (the body with the header text, then an empty one that
 * carries the "finished" callback), which go out in one `writev`; `end()` alone, after `writeHead`,
 * sends the header text in one `write`. A small body (a beacon's GIF, a short text) is therefore
 * appended to the header text Node keeps (`_header`, a latin1 string once `writeHead` ran), the
 * body's bytes as latin1: about 4 µs less per beacon (bench/README.md, the dashboard benchmark).
 * Where Node keeps no such string, the body goes the usual way, and so it does for a HEAD request,
 * whose body Node leaves out.
 */
const sendAnswer = (response: ServerResponse, answer: DirectAnswer, closing: boolean, head: boolean) => {
  const { body } = answer
  const headers: Record<string, string | number> = { ...answer.headers }
  const length = body === undefined ? 0 : Buffer.byteLength(body)
  headers['content-length'] = length
  if (closing) headers.connection = 'close'
  response.writeHead(answer.status, headers)
  const stored = response as ServerResponse & { _header?: unknown }
  if (head || body === undefined || length > ONE_CHUNK_BYTES || typeof stored._header !== 'string') return void response.end(body)
  stored._header += (typeof body === 'string' ? Buffer.from(body, 'utf8') : body).toString('latin1')
  response.end()
}

const FAILED: DirectAnswer = { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: 'Something went wrong.' }
const CLOSING: DirectAnswer = { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' }, body: 'The server is restarting.' }

const hostOf = (value: string) => {
  const host = value.startsWith('[') ? value.slice(0, value.indexOf(']') + 1) : value.split(':', 1)[0]
  return host.toLowerCase().replace(/\.$/, '')
}
const lastEntry = (value: string) => value.slice(value.lastIndexOf(',') + 1).trim()
const decoded = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

/**
 * Direct routes: a few GET endpoints that are hit far more often than pages and need nothing of the
 * web pipeline (no session, cookie, tenant, CSP nonce, ORM context, request log): tracked links and
 * web beacons. On the listening server they are answered by the raw Node request listener, before
 * Fastify; every request Fastify gets (including `app.inject` in tests) reaches the same handler
 * through an ordinary operational route, so both doors answer alike. What such a route must still
 * do itself: its security headers, and never anything that needs a viewer.
 */
export class DirectRoutes {
  private readonly routes = new Map<string, DirectRoute>()
  private closing = false
  /** The app's logger, set once Fastify has made it (the server is made first). */
  log: FastifyBaseLogger | undefined

  constructor(
    private readonly trusted: ((address: string, hop: number) => boolean) | false,
    private readonly observe: (route: string, status: number, seconds: number) => void
  ) {}

  /** `prefix` is one path segment with slashes (`/s/`); each may be claimed once. */
  add(owner: string, prefix: string, handler: DirectHandler): void {
    if (!PREFIX.test(prefix)) throw new Error(`${owner}: a direct route's prefix is one lower-case segment such as '/s/', not '${prefix}'`)
    const taken = this.routes.get(prefix)
    if (taken) throw new Error(`${owner}: the direct route ${prefix} is already ${taken.owner}'s`)
    this.routes.set(prefix, { owner, prefix, handler })
  }

  get size(): number {
    return this.routes.size
  }

  /** The server Fastify listens on: direct routes first, everything else to Fastify's own listener. */
  serverFactory = (fastifyListener: RequestListener, options: FastifyServerOptions & { http?: object }): Server => {
    const server = createServer(options.http ?? {}, (request, response) => {
      if (!this.take(request, response)) fastifyListener(request, response)
    })
    // What Fastify sets on the server it makes itself.
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout
    if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout)
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket
    return server
  }

  /** From now on answers end their connections, and new requests get a 503. */
  close(): void {
    this.closing = true
  }

  /** Fastify routes for the same handlers: what `app.inject` and every non-listening use reach. */
  register(app: FastifyInstance): void {
    for (const route of this.routes.values()) {
      app.route({
        method: ['GET', 'HEAD'],
        url: `${route.prefix}*`,
        config: { operational: true },
        helmet: false,
        logLevel: 'warn',
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const rest = (request.params as { '*': string })['*'].replace(/\/$/, '')
          const direct = { method: request.method as 'GET' | 'HEAD', rest, headers: request.headers, ip: request.ip, host: hostOf(request.host), log: request.log }
          let answer: DirectAnswer
          try {
            answer = await route.handler(direct)
          } catch (error) {
            answer = this.failed(route, direct, error)
          }
          return reply.code(answer.status).headers(answer.headers).send(answer.body ?? '')
        }
      })
    }
  }

  /** Answers `request` if it is a GET or HEAD under a direct route's prefix; false leaves it to Fastify. */
  private take(request: IncomingMessage, response: ServerResponse): boolean {
    const method = request.method
    if ((method !== 'GET' && method !== 'HEAD') || this.routes.size === 0) return false
    const url = request.url ?? ''
    const slash = url.indexOf('/', 1)
    if (slash < 0) return false
    const route = this.routes.get(url.slice(0, slash + 1))
    if (!route) return false
    const query = url.indexOf('?')
    const rest = decoded(url.slice(slash + 1, query < 0 ? undefined : query).replace(/\/$/, ''))
    if (rest === undefined) return false
    const started = process.hrtime.bigint()
    if (this.closing) {
      this.finish(response, route, started, CLOSING)
      return true
    }
    const socket = request.socket
    const trusted = this.trusted
    const forwardedHost = request.headers['x-forwarded-host']
    const viaProxy = trusted !== false && socket.remoteAddress !== undefined && trusted(socket.remoteAddress, 0)
    const ip = viaProxy ? (proxyAddr.all(request, trusted).at(-1) ?? '') : (socket.remoteAddress ?? '')
    const host = hostOf(viaProxy && typeof forwardedHost === 'string' ? lastEntry(forwardedHost) : (request.headers.host ?? ''))
    const direct = { method, rest, headers: request.headers, ip, host, log: this.log! } as const
    let answer: DirectAnswer | Promise<DirectAnswer>
    try {
      answer = route.handler(direct)
    } catch (error) {
      answer = this.failed(route, direct, error)
    }
    // A handler that answers at once is sent at once: no promise, no closure per request. One that
    // answers later costs one promise: its answer or its failure.
    if (answer instanceof Promise) {
      void answer.then(
        (settled) => this.finish(response, route, started, settled),
        (error: unknown) => this.finish(response, route, started, this.failed(route, direct, error))
      )
    } else this.finish(response, route, started, answer)
    return true
  }

  private finish(response: ServerResponse, route: DirectRoute, started: bigint, answer: DirectAnswer): void {
    sendAnswer(response, answer, this.closing, response.req.method === 'HEAD')
    this.observe(`${route.prefix}*`, answer.status, Number(process.hrtime.bigint() - started) / 1e9)
  }

  /** A plain 500, logged, for a handler that threw or rejected. */
  private failed(route: DirectRoute, request: DirectRequest, error: unknown): DirectAnswer {
    request.log.error({ err: error, route: route.prefix }, 'direct route failed')
    return FAILED
  }
}
