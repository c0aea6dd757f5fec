import { request } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import t from 'tap'
import { DirectRoutes } from '../../../core/web/direct.js'
import { build, fixturePlugin } from '../../helper.js'
import { held, releaseHeld } from '../../fixtures/plugins/direct-echo/index.js'

const echo = fixturePlugin('direct-echo')

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** A request over a real socket with any Host header (fetch does not let a caller set one). */
function send(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }))
    })
    req.on('error', reject)
    req.end()
  })
}
const json = (answer: Answer) => JSON.parse(answer.text) as { rest: string; ip: string; host: string; agent: string | null }

async function listening(t: Parameters<typeof build>[0], env: Record<string, string> = {}) {
  const app = await build(t, { plugins: [echo], env: { KAIKU_METRICS_ALLOW: '127.0.0.1', ...env } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { app, url: (path: string) => `http://127.0.0.1:${port}${path}` }
}

t.test('a direct route is answered before the web pipeline on the listening server, and alike through Fastify', async (t) => {
  const { app, url } = await listening(t)
  const direct = await send(url('/echo/hello%20world/?utm=1'), { headers: { host: 'Acme.Example.COM.:8080', 'user-agent': 'probe' } })
  t.equal(direct.status, 200)
  t.same(json(direct), { rest: 'hello world', ip: '127.0.0.1', host: 'acme.example.com', agent: 'probe' }, 'decoded rest without query or trailing slash; host without port, case or trailing dot')
  t.equal(direct.headers['cache-control'], 'no-store', 'the handler\'s own headers')
  t.notOk(direct.headers['x-request-id'], 'no request id: the pipeline did not run')
  t.notOk(direct.headers['content-security-policy'], 'no CSP nonce was made')
  t.notOk(direct.headers['set-cookie'], 'no cookie')

  const injected = await app.inject({ url: '/echo/hello%20world/?utm=1', headers: { host: 'Acme.Example.COM.:8080', 'user-agent': 'probe' }, remoteAddress: '127.0.0.1' })
  t.equal(injected.statusCode, 200)
  t.same(injected.json(), { rest: 'hello world', ip: '127.0.0.1', host: 'acme.example.com', agent: 'probe' }, 'app.inject reaches the same handler')
  t.notOk(injected.headers['set-cookie'])

  t.equal(direct.headers['x-method'], 'GET')
  const head = await send(url('/echo/hello'), { method: 'HEAD', headers: { 'user-agent': 'probe' } })
  t.equal(head.status, 200, 'a HEAD is a direct route too')
  t.equal(head.headers['x-method'], 'HEAD', 'and the handler is told, so it can record nothing')
  t.equal(head.text, '', 'no body is sent')
  t.equal(head.headers['content-length'], String(JSON.stringify({ rest: 'hello', ip: '127.0.0.1', host: '127.0.0.1', agent: 'probe' }).length), 'the length a GET would have')
  const injectedHead = await app.inject({ method: 'HEAD', url: '/echo/hello', headers: { 'user-agent': 'probe' } })
  t.equal(injectedHead.headers['x-method'], 'HEAD', 'through Fastify alike')
  t.equal(injectedHead.body, '')

  const posted = await send(url('/echo/x'), { method: 'POST' })
  t.ok(posted.status >= 400 && posted.status < 500 && !posted.text.includes('rest'), `only GET and HEAD are direct routes; a POST is Fastify's (${posted.status})`)
  const malformed = await fetch(url('/echo/%E0%A4%A'))
  t.equal(malformed.status, 400, 'a path that does not decode is left to Fastify, which refuses it')

  const failed = await fetch(url('/echo/explode'))
  t.equal(failed.status, 500)
  t.equal(await failed.text(), 'Something went wrong.', 'a failing handler: a plain 500, no stack')

  const metrics = await (await fetch(url('/metrics'))).text()
  t.match(metrics, /kaiku_http_requests_total\{method="GET",route="\/echo\/\*",status_code="200"\} [1-9]/, 'counted in the request metrics under its prefix')
  t.match(metrics, /kaiku_http_requests_total\{method="GET",route="\/echo\/\*",status_code="500"\} 1/)
})

t.test('X-Forwarded-For and X-Forwarded-Host count only from a trusted proxy', async (t) => {
  const forwarded = { 'x-forwarded-for': '203.0.113.9, 198.51.100.4', 'x-forwarded-host': 'spoof.example, go.acme.com' }
  const trusting = await listening(t, { KAIKU_TRUST_PROXY: '127.0.0.1' })
  const viaProxy = json(await send(trusting.url('/echo/a'), { headers: forwarded }))
  t.equal(viaProxy.ip, '198.51.100.4', 'the nearest untrusted address')
  t.equal(viaProxy.host, 'go.acme.com', 'the last forwarded host')
  const injected = trusting.app.inject({ url: '/echo/a', headers: forwarded, remoteAddress: '127.0.0.1' })
  t.same((await injected).json().ip, '198.51.100.4', 'as Fastify reads it')

  const direct = await listening(t, { KAIKU_TRUST_PROXY: '10.0.0.1' })
  const spoofed = json(await send(direct.url('/echo/a'), { headers: { ...forwarded, host: 'kaiku.test' } }))
  t.equal(spoofed.ip, '127.0.0.1', 'an untrusted peer cannot choose its address')
  t.equal(spoofed.host, 'kaiku.test', 'nor its host')
})

t.test('closing: the request in hand is answered and ends its connection; closing waits for it', async (t) => {
  const { app, url } = await listening(t)
  const answer = fetch(url('/echo/hold'))
  while (!held()) await new Promise((resolve) => setTimeout(resolve, 10))
  let closed = false
  const closing = app.close().then(() => (closed = true))
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.notOk(closed, 'the app waits for the request in hand')
  releaseHeld()
  const response = await answer
  t.equal(response.status, 200, 'which is answered')
  t.equal(response.headers.get('connection'), 'close', 'and its keep-alive connection ended')
  await closing
})

t.test('the direct route registry: one owner per prefix, one segment each; a closing server answers 503', async (t) => {
  const routes = new DirectRoutes(false, () => undefined)
  routes.add('a', '/s/', () => ({ status: 204, headers: {} }))
  t.throws(() => routes.add('b', '/s/', () => ({ status: 204, headers: {} })), /b: the direct route \/s\/ is already a's/)
  for (const prefix of ['/s', 's/', '/s/t/', '/S/', '/']) t.throws(() => routes.add('b', prefix, () => ({ status: 204, headers: {} })), /one lower-case segment/, prefix)

  const seen: number[] = []
  const observed = new DirectRoutes(false, (_route, status) => seen.push(status))
  observed.add('a', '/s/', () => ({ status: 204, headers: {} }))
  const server = observed.serverFactory((_request, response) => response.writeHead(404).end(), { keepAliveTimeout: 5000 })
  t.equal(server.keepAliveTimeout, 5000, 'Fastify\'s server settings applied')
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.equal((await fetch(`${base}/s/x`)).status, 204)
  t.equal((await fetch(`${base}/t/x`)).status, 404, 'other paths go to Fastify\'s listener')
  t.equal((await fetch(`${base}/s`)).status, 404)
  observed.close()
  const late = await fetch(`${base}/s/x`)
  t.equal(late.status, 503)
  t.equal(late.headers.get('connection'), 'close')
  t.same(seen, [204, 503], 'each direct answer observed')
})

t.test('bodies arrive byte for byte; small ones go out with the headers in one write, large ones after them', async (t) => {
  const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  const large = Buffer.alloc(40_000, every)
  const text = 'Grüße aus Åbo ✓ 👋'
  const routes = new DirectRoutes(false, () => undefined)
  routes.add('a', '/b/', (request) =>
    request.rest === 'text'
      ? { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text }
      : { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: request.rest === 'large' ? large : every }
  )
  const server = routes.serverFactory((_request, response) => response.writeHead(404).end(), {})
  // What each answer cost the socket: `write` calls (one chunk each) and `writev` calls (several).
  const calls: string[] = []
  server.on('connection', (socket: Socket & { _writev?: unknown }) => {
    const write = socket._write.bind(socket)
    socket._write = (...args) => (calls.push('write'), write(...args))
    const writev = (socket._writev as (...args: unknown[]) => void).bind(socket)
    socket._writev = (...args: unknown[]) => (calls.push('writev'), writev(...args))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const [path, expected] of [['/b/small', every], ['/b/text', Buffer.from(text)], ['/b/large', large]] as const) {
    calls.length = 0
    const answer = await fetch(`${base}${path}`)
    t.equal(answer.headers.get('content-length'), String(expected.length), path)
    t.ok(Buffer.from(await answer.arrayBuffer()).equals(expected), `${path}: the same bytes`)
    if (path !== '/b/large') t.same(calls, ['write'], `${path}: one write, headers and body together`)
  }
})
