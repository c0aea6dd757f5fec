import t from 'tap'
import { startServer } from '../../processes.js'
import { requestForLog } from '../../../core/ops/log.js'
import type { FastifyRequest } from 'fastify'

const SECRET = 'Zq81tSecretOfAnInvitationLinkXyZ0123456789'

t.test('the server\'s log lines keep no visitor address, no query and no secret link', async (t) => {
  const server = await startServer(t, { plugins: ['tenancy', 'auth'], env: { LOG_LEVEL: 'info' } })
  let log = ''
  server.child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  await (await fetch(`${server.url}/invite/${SECRET}?next=%2Fsecret-query`, { headers: { accept: 'text/html' } })).arrayBuffer()
  await (await fetch(`${server.url}/healthz?probe=secret-query`)).arrayBuffer()
  // pino writes asynchronously: wait until both requests have their lines.
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && !(log.includes('/invite/:token') && log.includes('"/healthz"'))) await new Promise((resolve) => setTimeout(resolve, 100))
  const text = log
  t.match(text, /"url":"\/invite\/:token"/, 'a secret link is logged as its route')
  t.match(text, /"url":"\/healthz"/, 'other paths as they are, without their query')
  t.match(text, /"remoteAddress":"127\.0\.0\.0\/24"/, 'the visitor\'s network, not its address')
  t.notOk(text.includes(SECRET), 'the invitation token is nowhere in the log')
  t.notOk(text.includes('secret-query'), 'nor any query string')
  t.notMatch(text, /127\.0\.0\.1"/, 'nor the full address')
})

t.test('requestForLog: the fields of a request line', async (t) => {
  const request = (url: string, pattern: string | undefined, ip: string) => ({ method: 'GET', url, host: 'acme.example.com', ip, routeOptions: { url: pattern } }) as unknown as FastifyRequest
  t.same(requestForLog(request('/password/reset/abc?x=1', '/password/reset/:token', '2001:db8:1:2::7')), { method: 'GET', url: '/password/reset/:token', host: 'acme.example.com', remoteAddress: '2001:db8:1::/48' })
  t.same(requestForLog(request('/posts/42?utm_source=x', '/posts/:id', '::ffff:198.51.100.7')).url, '/posts/42', 'ordinary parameters stay, the query goes')
  t.same(requestForLog(request('/nowhere?q=1', undefined, '198.51.100.7')), { method: 'GET', url: '/nowhere', host: 'acme.example.com', remoteAddress: '198.51.100.0/24' }, 'an unmatched path, without its query')
})
