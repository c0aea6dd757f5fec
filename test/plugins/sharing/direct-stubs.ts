import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestLike } from '../../helper.js'

/** One request a stub received, as the provider would see it. */
export interface Received {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  /** Form fields (urlencoded bodies) or the parsed JSON body. */
  form: URLSearchParams
  json: unknown
}

type Route = (request: Received, response: ServerResponse) => void

/** An HTTP server on 127.0.0.1 that answers with `routes` (`METHOD /path`) and records every request. */
async function stubServer(t: TestLike, routes: Record<string, Route>) {
  const received: Received[] = []
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://stub')
      const text = Buffer.concat(chunks).toString('utf8')
      const isJson = /json/.test(String(incoming.headers['content-type'] ?? ''))
      const request: Received = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        form: isJson ? new URLSearchParams() : new URLSearchParams(text),
        json: isJson && text ? JSON.parse(text) : undefined
      }
      received.push(request)
      const route = routes[`${request.method} ${request.path}`]
      if (route) return route(request, response)
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Record not found"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, of: (method: string, path: string) => received.filter((r) => r.method === method && r.path === path) }
}

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body))

const bearer = (request: Received) => /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1]

/** The authorisation screen, as if the person approved at once: back to the redirect URI with a code and the state. */
function approve(codes: Map<string, { clientId: string; redirectUri: string }>, request: Received, response: ServerResponse) {
  const code = randomBytes(12).toString('hex')
  codes.set(code, { clientId: request.query.get('client_id') ?? '', redirectUri: request.query.get('redirect_uri') ?? '' })
  const back = new URL(request.query.get('redirect_uri') ?? '')
  back.searchParams.set('code', code)
  back.searchParams.set('state', request.query.get('state') ?? '')
  response.writeHead(302, { location: back.href }).end()
}

/**
 * A Mastodon server as docs.joinmastodon.org describes it: app registration, the authorization code
 * flow, verify_credentials, and statuses with Idempotency-Key (a repeated key returns the first status).
 * `revoke()` makes every token it issued invalid (401, as for a revoked token).
 */
export async function stubMastodon(t: TestLike, options: { username?: string } = {}) {
  const apps = new Map<string, { secret: string; redirectUris: string[]; scopes: string }>()
  const codes = new Map<string, { clientId: string; redirectUri: string }>()
  const tokens = new Set<string>()
  const statuses: { id: string; text: string; key: string | undefined }[] = []
  const byKey = new Map<string, (typeof statuses)[number]>()
  let failNext = 0
  const stub = await stubServer(t, {
    'POST /api/v1/apps': (request, response) => {
      const clientId = randomBytes(16).toString('hex')
      const redirectUris = (request.form.get('redirect_uris') ?? '').split(/\s+/).filter(Boolean)
      if (!request.form.get('client_name') || redirectUris.length === 0) return json(response, 422, { error: 'Validation failed: Redirect URI must be an absolute URI.' })
      apps.set(clientId, { secret: randomBytes(16).toString('hex'), redirectUris, scopes: request.form.get('scopes') ?? 'read' })
      json(response, 200, { id: String(apps.size), name: request.form.get('client_name'), client_id: clientId, client_secret: apps.get(clientId)!.secret, redirect_uris: redirectUris })
    },
    'GET /oauth/authorize': (request, response) => {
      const app = apps.get(request.query.get('client_id') ?? '')
      if (!app || !app.redirectUris.includes(request.query.get('redirect_uri') ?? '') || request.query.get('response_type') !== 'code') return json(response, 400, { error: 'invalid_request' })
      approve(codes, request, response)
    },
    'POST /oauth/token': (request, response) => {
      const code = codes.get(request.form.get('code') ?? '')
      const app = apps.get(request.form.get('client_id') ?? '')
      if (!app || app.secret !== request.form.get('client_secret')) return json(response, 401, { error: 'invalid_client' })
      if (request.form.get('grant_type') !== 'authorization_code' || !code || code.clientId !== request.form.get('client_id') || code.redirectUri !== request.form.get('redirect_uri')) {
        return json(response, 400, { error: 'invalid_grant', error_description: 'The provided authorization grant is invalid.' })
      }
      codes.delete(request.form.get('code')!)
      const token = `mastodon-token-${randomBytes(16).toString('hex')}`
      tokens.add(token)
      json(response, 200, { access_token: token, token_type: 'Bearer', scope: request.form.get('scope'), created_at: Math.floor(Date.now() / 1000) })
    },
    'GET /api/v1/accounts/verify_credentials': (request, response) => {
      if (!tokens.has(bearer(request) ?? '')) return json(response, 401, { error: 'The access token is invalid' })
      json(response, 200, { id: '109', username: options.username ?? 'mia', acct: options.username ?? 'mia', display_name: 'Mia' })
    },
    'POST /api/v1/statuses': (request, response) => {
      if (!tokens.has(bearer(request) ?? '')) return json(response, 401, { error: 'The access token is invalid' })
      if (failNext > 0) {
        failNext--
        return json(response, 503, { error: 'Service unavailable' })
      }
      const key = request.headers['idempotency-key'] as string | undefined
      const earlier = key ? byKey.get(key) : undefined
      const status = earlier ?? { id: String(1000 + statuses.length), text: request.form.get('status') ?? '', key }
      if (!earlier) {
        statuses.push(status)
        if (key) byKey.set(key, status)
      }
      json(response, 200, { id: status.id, url: `https://mastodon.example/@mia/${status.id}`, content: `<p>${status.text}</p>` })
    }
  })
  return {
    ...stub,
    apps,
    statuses,
    tokens,
    /** Every token stops working, as when the member revokes Kaiku's access. */
    revoke: () => tokens.clear(),
    /** The next `n` status posts answer 503. */
    failNextPosts: (n: number) => (failNext = n)
  }
}

/**
 * LinkedIn as learn.microsoft.com/linkedin describes it: the authorization code flow on
 * www.linkedin.com, /v2/userinfo (OpenID), and POST /rest/posts answering 201 with x-restli-id.
 */
export async function stubLinkedin(t: TestLike, client: { id: string; secret: string }) {
  const codes = new Map<string, { clientId: string; redirectUri: string }>()
  const tokens = new Set<string>()
  const posts: { urn: string; body: Record<string, unknown> }[] = []
  const stub = await stubServer(t, {
    'GET /oauth/v2/authorization': (request, response) => {
      if (request.query.get('client_id') !== client.id || request.query.get('response_type') !== 'code') return json(response, 400, { error: 'invalid_request' })
      approve(codes, request, response)
    },
    'POST /oauth/v2/accessToken': (request, response) => {
      const code = codes.get(request.form.get('code') ?? '')
      if (request.form.get('client_id') !== client.id || request.form.get('client_secret') !== client.secret) return json(response, 401, { error: 'invalid_client' })
      if (request.form.get('grant_type') !== 'authorization_code' || !code || code.redirectUri !== request.form.get('redirect_uri')) return json(response, 400, { error: 'invalid_request', error_description: 'Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code.' })
      codes.delete(request.form.get('code')!)
      const token = `linkedin-token-${randomBytes(16).toString('hex')}`
      tokens.add(token)
      json(response, 200, { access_token: token, expires_in: 5184000, scope: 'email,openid,profile,w_member_social', token_type: 'Bearer' })
    },
    'GET /v2/userinfo': (request, response) => {
      if (!tokens.has(bearer(request) ?? '')) return json(response, 401, { serviceErrorCode: 65600, message: 'Invalid access token', status: 401 })
      json(response, 200, { sub: 'Xy7Abc123', name: 'Mia Member', given_name: 'Mia', family_name: 'Member', locale: { country: 'FI', language: 'en' } })
    },
    'POST /rest/posts': (request, response) => {
      if (!tokens.has(bearer(request) ?? '')) return json(response, 401, { serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', message: 'The token used in the request has been revoked by the user', status: 401 })
      const urn = `urn:li:share:${7000000000000000000n + BigInt(posts.length)}`
      posts.push({ urn, body: request.json as Record<string, unknown> })
      response.writeHead(201, { 'x-restli-id': urn }).end()
    }
  })
  return { ...stub, posts, tokens, revoke: () => tokens.clear() }
}
