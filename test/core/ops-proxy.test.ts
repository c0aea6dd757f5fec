import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { ConfigError, loadConfig } from '../../core/config/load.js'
import { MailRecord } from '../../core/mail/mail.entity.js'
import { build, html, tempDir } from '../helper.js'
import { addMember, type App } from '../plugins/auth/helpers.js'

const PROXIES = '10.0.0.1, 192.168.7.0/24'
const ACME = 'acme.kaiku.example.com'

/** Behind a TLS-terminating proxy: Kaiku itself speaks http and trusts the proxies listed. */
async function behindProxy(t: Test) {
  const app = await build(t, {
    plugins: ['tenancy', 'auth'],
    env: { KAIKU_PUBLIC_URL: 'https://kaiku.example.com', KAIKU_TRUST_PROXY: PROXIES }
  })
  const tenant = await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'acme', name: 'Acme', domains: ['acme.com'] })
  await addMember(app, { email: 'ada@acme.com', name: 'Ada Admin', role: 'admin', password: 'correct horse battery' })
  return { app, tenant }
}

/** A browser on the internet, seen through a proxy at `via` (or, without it, connecting directly). */
function visitor(app: App, options: { remoteAddress: string; headers?: Record<string, string> }) {
  let cookie = ''
  const request = async (method: 'GET' | 'POST', url: string, payload?: Record<string, string>) => {
    const response = await app.inject({ method, url, payload, remoteAddress: options.remoteAddress, headers: { host: ACME, ...html, ...options.headers, ...(cookie ? { cookie } : {}) } })
    const session = response.cookies.find((c) => c.name === '__Host-kaiku')
    if (session) cookie = `${session.name}=${session.value}`
    return response
  }
  return {
    get: (url: string) => request('GET', url),
    async submit(url: string, fields: Record<string, string>) {
      const token = /name="_csrf" value="([^"]+)"/.exec((await request('GET', url)).body)?.[1] ?? ''
      return request('POST', url, { ...fields, _csrf: token })
    }
  }
}

const sessionCookie = (response: LightMyRequestResponse) => response.headers['set-cookie']?.toString() ?? ''

const throughProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' }

t.test('behind a trusted TLS proxy the session cookie is Secure and links are https', async (t) => {
  const { app } = await behindProxy(t)
  for (const proxy of ['10.0.0.1', '192.168.7.20', '::ffff:10.0.0.1']) {
    const browser = visitor(app, { remoteAddress: proxy, headers: throughProxy })
    const form = await browser.get('/login')
    t.equal(form.statusCode, 200)
    t.match(sessionCookie(form), /^__Host-kaiku=[^;]+;.*Secure/, `${proxy}: a Secure, __Host- cookie`)
    const login = await browser.submit('/login', { email: 'ada@acme.com', password: 'correct horse battery' })
    t.equal(login.statusCode, 303, `${proxy}: signed in`)
    t.equal((await browser.get('/me')).statusCode, 200)
  }

  const browser = visitor(app, { remoteAddress: '10.0.0.1', headers: throughProxy })
  t.equal((await browser.submit('/login/link', { email: 'ada@acme.com' })).statusCode, 200, 'a link is on its way')
  const mail = await app.kaiku.orm.em.fork().findOneOrFail(MailRecord, { recipient: 'ada@acme.com' })
  t.match(mail.text, /https:\/\/acme\.kaiku\.example\.com\/login\/link\/\S+/, 'the mailed link is https, on the public host')

  const internal = await app.inject({ url: '/login', remoteAddress: '192.168.7.3', headers: { ...html, host: 'kaiku:3000', 'x-forwarded-host': ACME, 'x-forwarded-proto': 'https' } })
  t.equal(internal.statusCode, 200, "the proxy's X-Forwarded-Host picks the instance")

  const viaProxy = (client: string) => app.inject({ url: '/metrics', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': client } })
  t.equal((await viaProxy('127.0.0.1')).statusCode, 200, 'the client address is the one the proxy forwards…')
  t.equal((await viaProxy('198.51.100.4')).statusCode, 403, '…not the proxy’s own')
})

t.test('a direct request that forges X-Forwarded-Proto, -For and -Host changes nothing', async (t) => {
  const { app } = await behindProxy(t)
  const forged = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': ACME }
  const direct = { remoteAddress: '203.0.113.9' }

  const plain = await app.inject({ url: '/login', ...direct, headers: { ...html, host: ACME } })
  const faked = await app.inject({ url: '/login', ...direct, headers: { ...html, host: ACME, ...forged } })
  t.equal(faked.statusCode, plain.statusCode)
  t.equal(sessionCookie(faked), '', 'no session over plain http, whatever the request claims')
  t.equal(sessionCookie(plain), '')

  const otherHost = await app.inject({ url: '/login', ...direct, headers: { ...html, host: 'evil.example', ...forged } })
  t.equal(otherHost.statusCode, 404, 'X-Forwarded-Host from a stranger does not pick an instance')

  const metrics = await app.inject({ url: '/metrics', ...direct, headers: forged })
  t.equal(metrics.statusCode, 403, 'X-Forwarded-For: 127.0.0.1 from a stranger does not open /metrics')
  const loopback = await app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' })
  t.equal(loopback.statusCode, 200, 'while loopback itself may read it')
})

t.test('KAIKU_TRUST_PROXY takes addresses and CIDR ranges and refuses anything else', async (t) => {
  const dir = tempDir(t)
  const env = (value: string) => ({ KAIKU_TRUST_PROXY: value })
  t.equal(loadConfig(env('10.0.0.1, 172.18.0.0/16, ::1, fd00::/8'), dir).config.trustProxy, '10.0.0.1, 172.18.0.0/16, ::1, fd00::/8')
  for (const bad of ['10.0.0.0/33', '10.0.0.1/', '10.0.0.256', 'fd00::/129', '10.0.0.1/8/8']) {
    t.throws(() => loadConfig(env(bad), dir), ConfigError, bad)
    try {
      loadConfig(env(bad), dir)
    } catch (error) {
      t.match((error as Error).message, /^KAIKU_TRUST_PROXY: .*(not an IP address or CIDR range|not valid)/, bad)
    }
  }
})
