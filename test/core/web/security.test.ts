import t from 'tap'
import { build, fixturePlugin, formToken, html } from '../../helper.js'

const withFixture = { plugins: [fixturePlugin()] }
type App = Awaited<ReturnType<typeof build>>

const noteCount = async (app: App) =>
  Number((await app.kaiku.orm.em.fork().getConnection().execute("select count(*) as n from fixture_note where text not like 'event:%'"))[0].n)

t.test('CSRF: a state-changing request without the form token is refused and changes nothing', async (t) => {
  const app = await build(t, withFixture)
  const { token, cookie } = formToken(await app.inject({ url: '/fixture', headers: html }))

  const missing = await app.inject({ method: 'POST', url: '/fixture/notes', headers: { ...html, cookie }, payload: { text: 'x' } })
  t.equal(missing.statusCode, 403)
  t.match(missing.body, /This form has expired/)
  const forged = await app.inject({
    method: 'POST',
    url: '/fixture/notes',
    headers: { ...html, cookie },
    payload: { text: 'x', _csrf: 'forged-token' }
  })
  t.equal(forged.statusCode, 403)
  const json = await app.inject({
    method: 'POST',
    url: '/fixture/notes',
    headers: { accept: 'application/json', cookie, 'content-type': 'application/json' },
    payload: JSON.stringify({ text: 'x' })
  })
  t.equal(json.statusCode, 403, 'JSON bodies need the token too')
  t.equal(json.json().code, 'CSRF')
  const noSession = await app.inject({ method: 'POST', url: '/fixture/notes', headers: html, payload: { text: 'x', _csrf: token } })
  t.equal(noSession.statusCode, 403, 'a token without its session is worthless')
  t.equal(await noteCount(app), 0, 'no row was written')

  const urlencoded = await app.inject({
    method: 'POST',
    url: '/fixture/notes',
    headers: { ...html, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `text=hello&_csrf=${encodeURIComponent(token)}`
  })
  t.equal(urlencoded.statusCode, 303, 'the _csrf field of a plain HTML form is accepted')
  t.equal(await noteCount(app), 1)
})

t.test('bad input gets a clear 4xx, never a 500, and nothing is written', async (t) => {
  const app = await build(t, withFixture)
  const { token, cookie } = formToken(await app.inject({ url: '/fixture', headers: html }))
  const post = (payload: string, type: string, accept = 'application/json') =>
    app.inject({ method: 'POST', url: '/fixture/notes', headers: { accept, cookie, 'content-type': type, 'x-csrf-token': token }, payload })

  const malformed = await post('{"text": ', 'application/json')
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().code, 'INVALID_INPUT')
  const wrongType = await post(JSON.stringify({ text: { nested: true } }), 'application/json')
  t.equal(wrongType.statusCode, 400)
  t.match(wrongType.json().detail, /text/, 'the message names the field')
  const tooLong = await post(`text=${'x'.repeat(201)}`, 'application/x-www-form-urlencoded', 'text/html')
  t.equal(tooLong.statusCode, 400)
  t.match(tooLong.body, /<h1 id="error-title">Some of what was sent is not valid.<\/h1>/, 'browsers get an error page')
  const unsupported = await post('<xml/>', 'application/xml')
  t.equal(unsupported.statusCode, 415)
  const oversized = await post(JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }), 'application/json')
  t.equal(oversized.statusCode, 413)
  t.equal(oversized.json().code, 'PAYLOAD_TOO_LARGE')
  t.equal(await noteCount(app), 0)
})

t.test('unknown routes: a 404 page for browsers, JSON for JSON clients', async (t) => {
  const app = await build(t, withFixture)
  const page = await app.inject({ url: '/no/such/page', headers: html })
  t.equal(page.statusCode, 404)
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /We could not find that page/)
  t.match(page.body, /<header class="site-header">/)
  const api = await app.inject({ url: '/no/such/page', headers: { accept: 'application/json' } })
  t.equal(api.statusCode, 404)
  t.same(api.json().code, 'NOT_FOUND')
})

t.test('a 500 shows the request id, never the error or its stack', async (t) => {
  const app = await build(t, withFixture)
  for (const accept of ['text/html', 'application/json']) {
    const response = await app.inject({ url: '/fixture/boom', headers: { accept } })
    t.equal(response.statusCode, 500)
    t.notMatch(response.body, /secret internal detail/)
    t.notMatch(response.body, /at .*\.ts:\d+/)
    t.match(response.body, response.headers['x-request-id'] as string, 'the reference lets an operator find the log line')
  }
})

t.test('security headers: a strict CSP with nonces and no third-party origin', async (t) => {
  const app = await build(t, withFixture)
  const page = await app.inject({ url: '/fixture', headers: html })
  const csp = page.headers['content-security-policy'] as string
  t.match(csp, /default-src 'self'/)
  t.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/)
  t.match(csp, /frame-ancestors 'none'/)
  t.match(csp, /form-action 'self'/)
  t.notMatch(csp, /https?:\/\//, 'no other origin is allowed')
  t.notMatch(csp, /unsafe-inline|unsafe-eval/)
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.equal(page.headers['referrer-policy'], 'same-origin')
  t.notMatch(page.body, /(src|href|action)="https?:\/\//, 'the page loads nothing from another host')
})

t.test('session cookie: only when needed, HttpOnly, SameSite=Lax; Secure and __Host- over https', async (t) => {
  const app = await build(t, withFixture)
  for (const url of ['/healthz', '/readyz', '/static/kaiku.css', '/setup']) {
    t.notOk((await app.inject({ url })).headers['set-cookie'], `${url} creates no session`)
  }
  const form = await app.inject({ url: '/fixture', headers: html })
  const cookie = form.cookies.find((c) => c.name === 'kaiku')!
  t.ok(cookie, 'a page with a form starts a session (for its CSRF secret)')
  t.equal(cookie.httpOnly, true)
  t.equal(cookie.sameSite, 'Lax')
  t.notOk(cookie.secure)

  const secure = await build(t, {
    ...withFixture,
    env: { KAIKU_PUBLIC_URL: 'https://kaiku.example.com', KAIKU_TRUST_PROXY: '127.0.0.1' }
  })
  // Behind the configured TLS-terminating proxy, as in production.
  const secureForm = await secure.inject({ url: '/fixture', headers: { ...html, 'x-forwarded-proto': 'https' } })
  const hostCookie = secureForm.cookies.find((c) => c.name === '__Host-kaiku')!
  t.ok(hostCookie, '__Host- prefix over https')
  t.equal(hostCookie.secure, true)
  t.equal(hostCookie.path, '/')
  t.match(secureForm.headers['strict-transport-security'], /max-age=/)
})

t.test('rate-limit plumbing: a route that opts in answers 429 past its limit', async (t) => {
  const app = await build(t, { ...withFixture, env: { KAIKU_FIXTURE_LIMIT: '2' } })
  const codes = []
  for (let i = 0; i < 3; i++) codes.push((await app.inject({ url: '/fixture/limited', headers: { accept: 'application/json' } })).statusCode)
  t.same(codes, [200, 200, 429])
  const page = await app.inject({ url: '/fixture/limited', headers: html })
  t.equal(page.statusCode, 429)
  t.match(page.body, /Too many attempts/)
  t.ok(page.headers['retry-after'])
})

t.test('every request carries a request id', async (t) => {
  const app = await build(t)
  const one = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'spoofed' } })
  const two = await app.inject({ url: '/healthz' })
  t.match(one.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'generated, not taken from the client')
  t.not(one.headers['x-request-id'], two.headers['x-request-id'])
})
