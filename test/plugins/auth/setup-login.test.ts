import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member, Operator } from '../../../plugins/auth/entities/member.entity.js'
import { html } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App, comparable } from './helpers.js'

const members = (app: App) => app.kaiku.orm.em.fork().find(Member, {}, { filters: false, orderBy: { email: 'asc' } })

t.test('first run: / leads to /setup, which creates operator, instance and owner once', async (t) => {
  const app = await buildAuth(t)
  const home = await app.inject({ url: '/', headers: html })
  t.equal(home.headers.location, '/setup')
  const publicSetup = new URL('/setup', app.kaiku.config.publicUrl).href
  // The server's address instead of the public URL's host name: setup is found at the public URL.
  for (const url of ['/', '/setup', '/login']) {
    const elsewhere = await app.inject({ url, headers: { ...html, host: '127.0.0.1:3000' } })
    t.equal(elsewhere.statusCode, 302, `${url} under another host name`)
    t.equal(elsewhere.headers.location, publicSetup, `${url} leads to the setup page at the public URL`)
  }
  const bare = client(app, 'localhost')
  const bad = await bare.submit('/setup', { ...owner, email: 'olivia@gmail.com' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /Your email must be at one of the company’s domains/)
  t.match(bad.body, /value="Olivia Owner"/, 'the form keeps what was typed')
  t.notMatch(bad.body, /correct horse/, 'but never the password')
  const weak = await bare.submit('/setup', { ...owner, password: 'password123' })
  t.match(weak.body, /This password is too common/)
  // Every mistake at once, each next to its field, in words (not the service's own "slug: …").
  const mistakes = await bare.submit('/setup', { ...owner, name: '', password: 'short', slug: 'Acme Corp', domains: 'acme.com gmail.com' })
  t.equal(mistakes.statusCode, 400)
  const errorOf = (field: string) => new RegExp(`id="${field}-error" role="alert">([^<]+)<`).exec(mistakes.body)?.[1]
  t.equal(errorOf('name'), 'Please fill this in.')
  t.equal(errorOf('password'), 'Use at least 10 characters.')
  t.match(errorOf('slug'), /^Use 1 to 40 lower-case letters, digits and dashes/)
  t.equal(errorOf('domains'), 'A public mail service cannot be a company’s domain: anyone with an address there could join.')
  t.notMatch(mistakes.body, /slug: use/, 'no message meant for developers')
  t.equal((await bare.submit('/setup', { ...owner, email: 'olivia@gmail.com', domains: 'gmail.com' })).statusCode, 400, 'a public mail service is no company, even when it is the owner’s own')
  t.equal(await app.tenancy.count(app.kaiku.orm.em.fork()), 0, 'nothing was created by refused forms')

  const done = await bare.submit('/setup', owner)
  t.equal(done.statusCode, 303)
  const [member] = await members(app)
  t.match(member, { email: 'olivia@acme.com', role: 'owner', status: 'active', name: 'Olivia Owner' })
  t.equal(await app.kaiku.orm.em.fork().count(Operator), 1)
  t.equal((await bare.get('/setup')).statusCode, 404, 'never reachable again')
  const again = await client(app, 'localhost').get('/setup')
  t.equal(again.statusCode, 404)
  const otherHost = await app.inject({ url: '/setup', headers: { ...html, host: '127.0.0.1:3000' } })
  t.equal(otherHost.statusCode, 404, 'once set up, another host name leads nowhere')
})

t.test('password login: same answer for unknown and wrong, a new session id, logout by POST', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const browser = client(app, 'acme.localhost')
  const unknown = await browser.submit('/login', { email: 'nobody@acme.com', password: 'whatever it is' })
  const wrong = await browser.submit('/login', { email: owner.email, password: 'not the password' })
  t.equal(unknown.statusCode, 400)
  t.equal(wrong.statusCode, 400)
  const message = /<p class="flash flash--error" role="alert">([^<]+)<\/p>/
  t.equal(message.exec(unknown.body)?.[1], message.exec(wrong.body)?.[1], 'the same message either way')

  const before = browser.cookie
  const ok = await browser.submit('/login', { email: 'OLIVIA@Acme.com', password: owner.password })
  t.equal(ok.statusCode, 303)
  t.not(browser.cookie, before, 'a new session id at login')
  const stale = await app.inject({ url: '/login', headers: { ...html, host: 'acme.localhost', cookie: before } })
  t.equal(stale.statusCode, 200, 'the old session is not signed in')
  t.equal((await browser.get('/login')).statusCode, 303, 'the new one is')
  const cookie = ok.cookies.find((c) => c.name === 'kaiku')
  t.notOk(cookie?.maxAge ?? cookie?.expires, 'without "remember me", a browser-session cookie')

  const getLogout = await browser.get('/logout')
  t.equal(getLogout.statusCode, 404, 'no state change on GET')
  const logout = await browser.submit('/login/link', {}, '/logout')
  t.equal(logout.statusCode, 303)
})

t.test('"remember me" gives a persistent cookie', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const browser = client(app, 'acme.localhost')
  const ok = await browser.submit('/login', { email: owner.email, password: owner.password, remember: 'on' })
  const expires = ok.cookies.find((c) => c.name === 'kaiku')?.expires as Date | undefined
  t.ok(expires && Math.abs(expires.getTime() - Date.now() - 30 * 24 * 3600_000) < 60_000, 'expires in 30 days')
})

t.test('a session of one instance is not signed in on another instance', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const acme = client(app, 'acme.localhost')
  await acme.submit('/login', { email: owner.email, password: owner.password })
  t.equal((await acme.get('/login')).statusCode, 303, 'signed in on acme')
  const replay = await app.inject({ url: '/login', headers: { ...html, host: 'globex.localhost', cookie: acme.cookie } })
  t.equal(replay.statusCode, 200, 'anonymous on globex')
})

t.test('magic link: same page for anyone, single use, GET shows a button and only POST signs in', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const browser = client(app, 'acme.localhost')
  const sent = await browser.submit('/login/link', { email: owner.email })
  const unknown = await client(app, 'acme.localhost').submit('/login/link', { email: 'ghost@acme.com' })
  t.equal(sent.statusCode, 200)
  t.equal(comparable(unknown.body).replace(/ghost@acme\.com/g, 'X'), comparable(sent.body).replace(/olivia@acme\.com/g, 'X'), 'indistinguishable')
  const mail = await app.kaiku.orm.em.fork().find(MailRecord, {})
  t.equal(mail.length, 1, 'mail only for the real account')
  const link = /http:\/\/acme\.localhost(?::\d+)?(\/login\/link\/[A-Za-z0-9_-]{43})/.exec(mail[0].text)![1]
  t.match(mail[0].subject, /Your sign-in link – Acme/)

  const scanner = await browser.get(link)
  t.equal(scanner.statusCode, 200)
  t.match(scanner.body, /Continue to sign in/)
  t.equal((await browser.get('/login')).statusCode, 200, 'opening the link did not sign in')
  const signIn = await browser.submit(link, {})
  t.equal(signIn.statusCode, 303)
  t.equal((await browser.get('/login')).statusCode, 303, 'signed in')
  t.equal((await client(app, 'acme.localhost').get(link)).statusCode, 410, 'a spent link shows no button')
  const reuse = await client(app, 'acme.localhost').submit('/login/link', {}, link)
  t.equal(reuse.statusCode, 410, 'and posting to it does nothing')
  const otherTenant = await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  t.ok(otherTenant)
  t.equal((await client(app, 'globex.localhost').get(link)).statusCode, 410, 'and a link never works on another instance')
})

t.test('a sign-in or reset link is never written for a host smuggled into the Host header', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const browser = client(app, 'acme.localhost')
  const page = await browser.get('/password/forgot')
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]
  for (const host of ['acme.localhost:3000@evil.example', 'acme.localhost@evil.example', 'acme.localhost/evil', 'acme.localhost evil.example']) {
    for (const [url, email] of [['/password/forgot', owner.email], ['/login/link', owner.email]]) {
      const sent = await app.inject({ method: 'POST', url, headers: { ...html, host, cookie: browser.cookie }, payload: { email, _csrf: token } })
      t.equal(sent.statusCode, 400, `${url} with Host ${host}`)
      t.match(sent.body, /The Host header is not a host name/)
    }
    t.equal((await app.inject({ url: '/login', headers: { ...html, host } })).statusCode, 400)
  }
  t.equal((await app.kaiku.orm.em.fork().find(MailRecord, {})).length, 0, 'no mail was written')
  t.equal((await browser.submit('/password/forgot', { email: owner.email })).statusCode, 200, 'the real host still works')
  t.match((await app.kaiku.orm.em.fork().find(MailRecord, {}))[0].text, /http:\/\/acme\.localhost\/password\/reset\//)
})

t.test('after signing in, `next` leads only to a local path a Location header can carry', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  for (const [next, location] of [
    ['/admin/members?page=2', '/admin/members?page=2'],
    ['/€', '/'],
    ['/x\u0001', '/'],
    ['/x\u007f', '/'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example', '/']
  ]) {
    const browser = client(app, 'acme.localhost')
    const signedIn = await browser.submit('/login', { email: owner.email, password: owner.password, next })
    t.equal(signedIn.statusCode, 303, JSON.stringify(next))
    t.equal(signedIn.headers.location, location)
    t.ok(signedIn.cookies.some((c) => c.name === 'kaiku' && c.value), 'and the session cookie was set')
    const again = await browser.get(`/login?next=${encodeURIComponent(next)}`)
    t.equal(again.statusCode, 303)
    t.equal(again.headers.location, location)
  }
})

t.test('rate limits: per account on login, with Retry-After', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const statuses = []
  for (let i = 0; i < 9; i++) statuses.push((await client(app, 'acme.localhost').submit('/login', { email: owner.email, password: `wrong guess ${i}` })).statusCode)
  t.same(statuses, [400, 400, 400, 400, 400, 400, 400, 400, 429])
  const limited = await client(app, 'acme.localhost').submit('/login', { email: owner.email, password: owner.password })
  t.equal(limited.statusCode, 429, 'even the right password waits')
  t.ok(Number(limited.headers['retry-after']) > 0)
})

t.test('CLI: tenant create, user create with a one-time link, operator create', async (t) => {
  const { runCli } = await import('../../../core/cli.js')
  const { testEnv } = await import('../../helper.js')
  const { env, dir } = await testEnv(t, { plugins: ['tenancy', 'auth'] })
  const out: string[] = []
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), env, cwd: dir }
  t.equal(await runCli(['tenant', 'create', '--slug', 'acme', '--name', 'Acme', '--domain', 'acme.com'], io), 0)
  t.equal(await runCli(['user', 'create', '--tenant', 'acme', '--email', 'Ada@acme.com', '--name', 'Ada', '--role', 'admin'], io), 0)
  t.match(out.join('\n'), /created admin ada@acme\.com in acme\none-time login link \(valid 15 minutes\): http:\/\/acme\.localhost:3000\/login\/link\/[A-Za-z0-9_-]{43}/)
  t.equal(await runCli(['user', 'create', '--tenant', 'acme', '--email', 'bob@acme.com', '--name', 'Bob', '--password', 'short'], io), 1)
  t.equal(await runCli(['operator', 'create', '--email', 'ops@example.com', '--name', 'Ops', '--password', 'a long operator passphrase'], io), 0)
  t.equal(await runCli(['user', 'reset-password', '--tenant', 'acme', '--email', 'ada@acme.com', '--password', 'another long passphrase'], io), 0)
  t.match(out.join('\n'), /password of ada@acme\.com changed; their sessions are ended/)
})
