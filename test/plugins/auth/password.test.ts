import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import messages from '../../../plugins/auth/messages/en.js'
import signupMessages from '../../../plugins/auth/messages/signup.en.js'
import { html, repoRoot } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App, comparable } from './helpers.js'

const mails = (app: App) => app.kaiku.orm.em.fork().find(MailRecord, {}, { orderBy: { createdAt: 'asc' } })
const linkIn = (text: string, path: string) => new RegExp(`http://acme\\.localhost(?::\\d+)?(${path}/[A-Za-z0-9_-]{43})`).exec(text)?.[1]
const stripped = (body: string, email: string) => comparable(body).replaceAll(email, 'EMAIL')
const fieldError = (body: string, field: string) => new RegExp(`id="${field}-error" role="alert">([^<]+)<`).exec(body)?.[1]
const newPassword = 'a brand new passphrase'

/** Asks for a reset link for the owner and returns its path. */
async function resetLink(t: Test, app: App) {
  const before = (await mails(app)).length
  await client(app, 'acme.localhost').submit('/password/forgot', { email: owner.email })
  const sent = await mails(app)
  t.equal(sent.length, before + 1)
  return linkIn(sent[sent.length - 1].text, '/password/reset')!
}

t.test('forgot password: the same page for known and unknown addresses; mail only for a member who may sign in', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const form = await client(app, 'acme.localhost').get('/password/forgot')
  t.equal(form.statusCode, 200)
  t.match(form.body, /Forgot your password\?/)

  const known = await client(app, 'acme.localhost').submit('/password/forgot', { email: 'Olivia@ACME.com' })
  const unknown = await client(app, 'acme.localhost').submit('/password/forgot', { email: 'ghost@acme.com' })
  const elsewhere = await client(app, 'acme.localhost').submit('/password/forgot', { email: 'ghost@evil.io' })
  t.equal(known.statusCode, 200)
  t.match(known.body, /If olivia@acme\.com has an account here, a link to choose a new password is on its way/)
  for (const [other, email] of [[unknown, 'ghost@acme.com'], [elsewhere, 'ghost@evil.io']] as const) {
    t.equal(other.statusCode, known.statusCode)
    t.equal(stripped(other.body, email), stripped(known.body, owner.email), `${email}: indistinguishable from a real account`)
  }
  const sent = await mails(app)
  t.equal(sent.length, 1, 'mail only for the real account')
  t.equal(sent[0].recipient, owner.email)
  t.equal(sent[0].subject, 'Choose a new password – Acme')
  t.match(sent[0].text, /It works once, for an hour/)
  t.ok(linkIn(sent[0].text, '/password/reset'))

  await client(app, 'acme.localhost').submit('/signup', { name: 'Sam Suspended', email: 'sam@acme.com', password: 'suspended for a reason' })
  await app.kaiku.orm.em.fork().nativeUpdate(Member, { email: 'sam@acme.com' }, { status: 'suspended' }, { filters: false })
  const before = (await mails(app)).length
  const suspended = await client(app, 'acme.localhost').submit('/password/forgot', { email: 'sam@acme.com' })
  t.equal(stripped(suspended.body, 'sam@acme.com'), stripped(known.body, owner.email), 'a suspended member gets the same page')
  t.equal((await mails(app)).length, before, 'and no mail')

  const malformed = await client(app, 'acme.localhost').submit('/password/forgot', { email: 'olivia at acme' })
  t.equal(malformed.statusCode, 400)
  t.equal(fieldError(malformed.body, 'email'), 'Enter an email address such as name@company.com.', 'a malformed address: the error next to the field')
  t.match(malformed.body, /value="olivia at acme"/)
})

t.test('reset: the form only for a valid link; a new password ends every old session and signs in afresh', async (t) => {
  const app = await buildAuth(t)
  const bare = await setUp(app)
  const laptop = client(app, 'acme.localhost')
  t.equal((await laptop.submit('/login', { email: owner.email, password: owner.password, remember: 'on' })).statusCode, 303)
  t.equal((await laptop.get('/login')).statusCode, 303, 'signed in on the laptop')
  const link = await resetLink(t, app)

  const browser = client(app, 'acme.localhost')
  const form = await browser.get(link)
  t.equal(form.statusCode, 200)
  t.match(form.body, /Choose a new password/)
  t.match(form.body, /For olivia@acme\.com\./)
  t.equal((await laptop.get('/login')).statusCode, 303, 'opening the link changes nothing')

  const weak = await browser.submit(link, { password: 'password123' })
  t.equal(weak.statusCode, 400)
  t.equal(fieldError(weak.body, 'password'), 'This password is too common; choose one that is hard to guess.', 'the error next to the field')
  const short = await browser.submit(link, { password: 'short' })
  t.equal(fieldError(short.body, 'password'), 'Use at least 10 characters.')
  t.equal((await browser.get(link)).statusCode, 200, 'a refused password leaves the link usable')

  const saved = await browser.submit(link, { password: newPassword })
  t.equal(saved.statusCode, 303)
  t.equal(saved.headers.location, '/')
  t.equal((await browser.get('/login')).statusCode, 303, 'the browser that reset is signed in')

  const stale = await laptop.get('/signup/sent')
  t.equal(stale.headers.location, '/signup', 'the laptop’s old session is anonymous now')
  const laptopLogin = await laptop.get('/login')
  t.equal(laptopLogin.statusCode, 200)
  t.match(laptopLogin.body, /name="password"/, 'it is asked to sign in again')
  t.equal((await bare.get('/signup/sent')).headers.location, '/signup', 'so is the session from the first-run setup')

  const oldPassword = await client(app, 'acme.localhost').submit('/login', { email: owner.email, password: owner.password })
  t.equal(oldPassword.statusCode, 400, 'the old password no longer works')
  const fresh = client(app, 'acme.localhost')
  t.equal((await fresh.submit('/login', { email: owner.email, password: newPassword })).statusCode, 303, 'the new one does')

  const spent = await client(app, 'acme.localhost').get(link)
  t.equal(spent.statusCode, 410, 'a used link shows no form')
  t.match(spent.body, /This link has expired or was already used/)
  t.match(spent.body, /href="\/password\/forgot"/, 'but a way to ask again')
  const reused = await client(app, 'acme.localhost').submit('/login', { password: 'yet another passphrase' }, link)
  t.equal(reused.statusCode, 410, 'posting to a used link does nothing')
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: owner.email, password: newPassword })).statusCode, 303, 'the password is still the new one')
})

t.test('a stale session on a page with a form', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const laptop = client(app, 'acme.localhost')
  await laptop.submit('/login', { email: owner.email, password: owner.password })
  await client(app, 'acme.localhost').submit(await resetLink(t, app), { password: newPassword })
  const first = await laptop.get('/login')
  t.equal(first.statusCode, 200, 'the first page after the session ended renders the login form')
  t.match(first.body, /name="_csrf"/)
})

t.test('reset links: one instance, one kind, and odd tokens are a 4xx', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const link = await resetLink(t, app)
  const globex = client(app, 'globex.localhost')
  t.equal((await globex.get(link)).statusCode, 410, 'another instance does not know the link')
  t.equal((await globex.submit('/login', { password: 'globex takes over' }, link)).statusCode, 410, 'nor accepts it')
  t.notMatch((await globex.get(link)).body, /olivia@acme\.com/, 'nor shows whose it is')
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: owner.email, password: owner.password })).statusCode, 303, 'the password is unchanged')

  await client(app, 'acme.localhost').submit('/signup', { name: 'Ada', email: 'ada@acme.com', password: 'analytical engine notes' })
  const verify = linkIn((await mails(app)).at(-1)!.text, '/verify')!
  t.equal((await client(app, 'acme.localhost').get(verify.replace('/verify/', '/password/reset/'))).statusCode, 410, 'a verification token is no reset token')
  t.equal((await client(app, 'acme.localhost').get(link.replace('/password/reset/', '/verify/'))).statusCode, 410, 'nor the other way round')
  t.equal((await client(app, 'acme.localhost').get(link)).statusCode, 200, 'and the reset link still works on its own host')
  for (const url of ['/password/reset/nonsense', `/password/reset/${'A'.repeat(43)}`, `/password/reset/${'A'.repeat(300)}`]) {
    const odd = await client(app, 'acme.localhost').get(url)
    t.ok(odd.statusCode >= 400 && odd.statusCode < 500, `${url.slice(0, 40)}…: ${odd.statusCode}`)
  }
  app.tenancyCache.clear()
  const bare = await app.inject({ url: '/password/forgot', headers: { ...html, host: 'localhost' } })
  t.equal(bare.statusCode, 404, 'the bare host of several instances has no password reset')
})

t.test('a reset link proves the address of an unverified account', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await client(app, 'acme.localhost').submit('/signup', { name: 'Ada', email: 'ada@acme.com', password: 'analytical engine notes' })
  await client(app, 'acme.localhost').submit('/password/forgot', { email: 'ada@acme.com' })
  const link = linkIn((await mails(app)).at(-1)!.text, '/password/reset')!
  const browser = client(app, 'acme.localhost')
  t.equal((await browser.submit(link, { password: newPassword })).statusCode, 303)
  const ada = await app.kaiku.orm.em.fork().findOneOrFail(Member, { email: 'ada@acme.com' }, { filters: false })
  t.equal(ada.status, 'active')
  t.ok(ada.verifiedAt)
  t.equal((await browser.get('/login')).statusCode, 303, 'signed in, past "check your mail"')
})

t.test('rate limits: per address and per typed email, 429 with Retry-After, the same for unknown addresses', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  for (const email of [owner.email, 'ghost@acme.com']) {
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await client(app, 'acme.localhost').submit('/password/forgot', { email })).statusCode)
    t.same(statuses, [200, 200, 200, 200, 200, 429], email)
  }
  const limited = await client(app, 'acme.localhost').submit('/password/forgot', { email: 'ghost@acme.com' })
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.match(limited.body, /Too many requests for this address/)
  t.equal((await mails(app)).length, 5, 'no mail beyond the limit')

  // 13 requests so far from this network address; the route allows 20 a minute.
  const statuses = []
  for (let i = 0; i < 8; i++) statuses.push((await client(app, 'acme.localhost').submit('/password/forgot', { email: `person${i}@acme.com` })).statusCode)
  t.same(statuses, [200, 200, 200, 200, 200, 200, 200, 429], 'past 20 requests a minute, one network address is refused whatever email it types')
  const perAddress = await client(app, 'acme.localhost').submit('/password/forgot', { email: 'new@acme.com' })
  t.equal(perAddress.statusCode, 429)
  t.ok(Number(perAddress.headers['retry-after']) > 0, 'with Retry-After')
})

t.test('every message key in the sign-up and password templates exists', async (t) => {
  const catalogue: Record<string, string> = { ...messages, ...signupMessages }
  for (const folder of ['plugins/auth/views', 'plugins/auth/mail']) {
    const files = readdirSync(join(repoRoot, folder)).filter((f) => /^(signup|verify|password-|verify-email|reset-password)/.test(f))
    t.ok(files.length > 0, folder)
    for (const file of files) {
      for (const [, key] of readFileSync(join(repoRoot, folder, file), 'utf8').matchAll(/\{\{t "auth\.([^"]+)"/g)) {
        t.ok(key in catalogue, `${key} (${file})`)
      }
    }
  }
})
