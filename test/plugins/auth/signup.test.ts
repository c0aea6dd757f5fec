import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { html } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App, comparable } from './helpers.js'

const ada = { name: 'Ada Lovelace', email: 'Ada@ACME.fi', password: 'analytical engine notes' }

const membersOf = (app: App) => app.kaiku.orm.em.fork().find(Member, {}, { filters: false, orderBy: { email: 'asc' } })
const mails = (app: App) => app.kaiku.orm.em.fork().find(MailRecord, {}, { orderBy: { createdAt: 'asc' } })
const linkIn = (text: string, path: string) => new RegExp(`http://acme\\.localhost(?::\\d+)?(${path}/[A-Za-z0-9_-]{43})`).exec(text)?.[1]
/** A page without what differs between two visitors anyway: the CSRF token and the address typed. */
const stripped = (body: string, email: string) => comparable(body).replaceAll(email, 'EMAIL')
/** The error shown next to a field, if any. */
const fieldError = (body: string, field: string) => new RegExp(`id="${field}-error" role="alert">([^<]+)<`).exec(body)?.[1]

t.test('sign-up with a work email: an unverified account, a verification mail, "check your mail" until it is confirmed', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const browser = client(app, 'acme.localhost')
  const form = await browser.get('/signup')
  t.equal(form.statusCode, 200)
  for (const field of ['name', 'email', 'password']) t.match(form.body, new RegExp(`name="${field}"`), `the form asks for ${field}`)
  t.match(form.body, /acme\.com, acme\.fi/, 'and says which domains may join')

  const done = await browser.submit('/signup', ada)
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, '/signup/sent')
  const [member] = (await membersOf(app)).filter((m) => m.email !== owner.email)
  t.match(member, { email: 'ada@acme.fi', name: 'Ada Lovelace', role: 'member', status: 'unverified', verifiedAt: null })
  t.match(member.passwordHash, /^scrypt\$/, 'the password is stored hashed')

  const [mail] = await mails(app)
  t.equal(mail.recipient, 'ada@acme.fi')
  t.equal(mail.subject, 'Confirm your email address – Acme')
  t.ok(linkIn(mail.text, '/verify'), 'the mail carries a verification link on the instance’s host')

  const sent = await browser.get('/signup/sent')
  t.equal(sent.statusCode, 200)
  t.match(sent.body, /Check your mail/)
  t.match(sent.body, /We sent a message to ada@acme\.fi/)
  t.equal((await client(app, 'acme.localhost').get('/signup/sent')).statusCode, 303, 'another browser has nothing to check')

  const signedIn = await browser.submit('/login', { email: ada.email, password: ada.password })
  t.equal(signedIn.statusCode, 303, 'the unverified account can sign in with its password…')
  for (const page of ['/', '/login', '/password/forgot', '/signup', '/people']) {
    const other = await browser.get(page)
    t.match(other.body, /Confirm your email address/, `${page} shows only "check your mail" to the unverified account`)
    t.match(other.body, /We sent a link to ada@acme\.fi/)
    t.notMatch(other.body, /name="password"/, `${page} is not shown`)
  }
  t.match((await browser.get('/signup/sent')).body, /We sent a message to ada@acme\.fi/, '…and still sees where its link went')
})

t.test('verification: GET shows a button and changes nothing, POST verifies once, only on its own instance', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const signup = client(app, 'acme.localhost')
  await signup.submit('/signup', ada)
  await signup.submit('/login', { email: ada.email, password: ada.password })
  const link = linkIn((await mails(app))[0].text, '/verify')!
  const status = async () => (await membersOf(app)).find((m) => m.email === 'ada@acme.fi')!.status

  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const globex = client(app, 'globex.localhost')
  t.equal((await globex.get(link)).statusCode, 410, 'another instance does not know the link')
  t.equal((await globex.submit('/login', {}, link)).statusCode, 410, 'nor accepts it')
  t.equal(await status(), 'unverified')

  const phone = client(app, 'acme.localhost')
  const scanned = await phone.get(link)
  t.equal(scanned.statusCode, 200)
  t.match(scanned.body, /Confirm ada@acme\.fi to finish creating your account/)
  t.match(scanned.body, /Confirm my address/)
  t.equal(await status(), 'unverified', 'opening the link verifies nothing')

  t.match(scanned.body, /The password you chose when you signed up/)
  const wrong = await phone.submit(link, { password: 'not the one' })
  t.equal(wrong.statusCode, 400, 'confirming asks for the sign-up\'s password')
  t.match(wrong.body, /That is not the password of this sign-up/)
  t.equal(await status(), 'unverified')
  const confirmed = await phone.submit(link, { password: ada.password })
  t.equal(confirmed.statusCode, 303)
  t.equal(confirmed.headers.location, '/')
  const member = (await membersOf(app)).find((m) => m.email === 'ada@acme.fi')!
  t.equal(member.status, 'active')
  t.ok(member.verifiedAt, 'verifiedAt is set')
  t.equal((await phone.get('/login')).statusCode, 303, 'the browser that confirmed is signed in')
  const ended = await signup.get('/signup/sent')
  t.equal(ended.headers.location, '/signup', 'the unverified session opened before ended with the confirmation')
  const signupSession = await signup.get('/login')
  t.match(signupSession.body, /name="password"/, 'that browser is anonymous: it sees the login form, not "check your mail"')

  const again = await client(app, 'acme.localhost').get(link)
  t.equal(again.statusCode, 410, 'a used link shows no button')
  t.match(again.body, /This link has expired or was already used/)
  t.notMatch(again.body, /Confirm my address/)
  const reuse = await client(app, 'acme.localhost').submit('/login', {}, link)
  t.equal(reuse.statusCode, 410, 'and posting to it again does nothing')

  const login = await client(app, 'acme.localhost').submit('/login', { email: ada.email, password: ada.password })
  t.equal(login.statusCode, 303, 'the password chosen at sign-up works')
})

t.test("signing up with a colleague's address: the colleague cannot confirm it into an account someone else can open", async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  // Mallory signs up as Ada with a password of his own; the mail goes to Ada.
  await client(app, 'acme.localhost').submit('/signup', { ...ada, password: 'mallory knows this one' })
  const link = linkIn((await mails(app))[0].text, '/verify')!
  const victim = client(app, 'acme.localhost')
  const page = await victim.get(link)
  t.match(page.body, /If you did not sign up, ignore the email/)
  const pressed = await victim.submit(link, {})
  t.equal(pressed.statusCode, 400, 'pressing the button without the password confirms nothing')
  t.equal((await membersOf(app)).find((m) => m.email === 'ada@acme.fi')!.status, 'unverified')

  // Ada signs up herself: her own link, with her own password, makes the account hers.
  await client(app, 'acme.localhost').submit('/signup', ada)
  const own = linkIn((await mails(app)).filter((m) => m.recipient === 'ada@acme.fi')[1].text, '/verify')!
  t.equal((await victim.submit(own, { password: ada.password })).statusCode, 303)
  t.equal((await membersOf(app)).find((m) => m.email === 'ada@acme.fi')!.status, 'active')
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: ada.email, password: 'mallory knows this one' })).statusCode, 400, "Mallory's password opens nothing")
  t.equal((await client(app, 'acme.localhost').get(link)).statusCode, 410, 'and his link is spent')
})

t.test('refused domains: suffixes, quoted local parts and look-alikes create nothing and mail nothing', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const tricks = {
    'ada@acme.com.evil.io': 'Use your work email address at one of this company’s domains.',
    'ada@evil-acme.com': 'Use your work email address at one of this company’s domains.',
    'ada@mail.acme.com': 'Use your work email address at one of this company’s domains.',
    'ada@аcme.com': 'Use your work email address at one of this company’s domains.',
    'ada@ACMЕ.COM': 'Use your work email address at one of this company’s domains.',
    '"ada@acme.com"@evil.io': 'Enter an email address such as name@company.com.',
    'ada@acme.com@evil.io': 'Enter an email address such as name@company.com.',
    'ada@evil.io (acme.com)': 'Enter an email address such as name@company.com.',
    'ada@evil.io\n@acme.com': 'Enter an email address such as name@company.com.'
  }
  for (const [email, message] of Object.entries(tricks)) {
    const refused = await client(app, 'acme.localhost').submit('/signup', { ...ada, email })
    t.equal(refused.statusCode, 400, email)
    t.equal(fieldError(refused.body, 'email'), message, `${JSON.stringify(email)}: the error is next to the email field`)
    t.match(refused.body, /value="Ada Lovelace"/, 'the form keeps the name')
    t.notMatch(refused.body, new RegExp(ada.password), 'but never the password')
  }
  t.same((await membersOf(app)).map((m) => m.email), [owner.email], 'no member was created')
  t.equal((await mails(app)).length, 0, 'no mail was sent')

  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  app.tenancyCache.clear()
  const bare = await app.inject({ url: '/signup', headers: { ...html, host: 'localhost' } })
  t.equal(bare.statusCode, 404, 'the bare host of several instances has no sign-up')
  const otherDomain = await client(app, 'globex.localhost').submit('/signup', { ...ada, email: 'ada@acme.com' })
  t.equal(fieldError(otherDomain.body, 'email'), 'Use your work email address at one of this company’s domains.', 'nor does one instance take another’s domain')
  t.equal((await membersOf(app)).length, 1)
})

t.test('bad input: the form again with the error next to the field, nothing saved, never a 500', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const cases: [Record<string, string>, string, string][] = [
    [{ name: 'A'.repeat(121) }, 'name', 'This is too long.'],
    [{ name: 'Ada\u0007Lovelace' }, 'name', 'Use letters, digits and punctuation only.'],
    [{ name: 'Ada\r\nBcc: x@evil.io' }, 'name', 'Use letters, digits and punctuation only.'],
    [{ name: '   ' }, 'name', 'Please fill this in.'],
    [{ email: 'not-an-email' }, 'email', 'Enter an email address such as name@company.com.'],
    [{ email: '' }, 'email', 'Enter an email address such as name@company.com.'],
    [{ password: 'short' }, 'password', 'Use at least 10 characters.'],
    [{ password: 'password123' }, 'password', 'This password is too common; choose one that is hard to guess.'],
    [{ password: 'ada@acme.fi' }, 'password', 'Your password cannot be your email address.']
  ]
  for (const [change, field, message] of cases) {
    const response = await client(app, 'acme.localhost').submit('/signup', { ...ada, ...change })
    t.equal(response.statusCode, 400, JSON.stringify(change))
    t.equal(fieldError(response.body, field), message, `${JSON.stringify(change)}: ${message}`)
  }
  // A NUL (which no browser form sends) is refused before the route, for every route alike.
  const nul = await client(app, 'acme.localhost').submit('/signup', { ...ada, email: 'ada\u0000@acme.com' })
  t.equal(nul.statusCode, 400)
  t.match(nul.body, /The request holds a NUL character/)
  const escaped = await client(app, 'acme.localhost').submit('/signup', { ...ada, name: '<script>alert(1)</script>', email: 'x' })
  t.match(escaped.body, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/, 'what was typed comes back escaped')

  const huge = await client(app, 'acme.localhost').submit('/signup', { ...ada, name: 'A'.repeat(5000) })
  t.equal(huge.statusCode, 400, 'a name beyond any form is a 400 page')
  t.match(huge.headers['content-type'], /text\/html/)
  const browser = client(app, 'acme.localhost')
  const token = /name="_csrf" value="([^"]+)"/.exec((await browser.get('/signup')).body)![1]
  const json = await app.inject({ method: 'POST', url: '/signup', headers: { ...html, host: 'acme.localhost', cookie: browser.cookie }, payload: { name: 42, email: ['a'], _csrf: token } })
  t.ok(json.statusCode >= 400 && json.statusCode < 500, `a JSON body of the wrong shape is a ${json.statusCode}, not a 500`)
  for (const url of ['/verify/%00', `/verify/${'x'.repeat(500)}`, '/password/reset/..%2F..', '/signup/sent?x=%ff']) {
    const odd = await client(app, 'acme.localhost').get(url)
    t.ok(odd.statusCode >= 300 && odd.statusCode < 500, `${url}: ${odd.statusCode}`)
  }

  t.same((await membersOf(app)).map((m) => m.email), [owner.email], 'nothing was saved')
  t.equal((await mails(app)).length, 0, 'nothing was mailed')
})

t.test('duplicate sign-up: one account, the same response, and mail that says what to do', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const first = client(app, 'acme.localhost')
  const fresh = await first.submit('/signup', ada)
  const freshPage = await first.get('/signup/sent')

  const second = client(app, 'acme.localhost')
  const again = await second.submit('/signup', { ...ada, name: 'Ada King', password: 'a second passphrase here' })
  t.equal(again.statusCode, fresh.statusCode)
  t.equal(again.headers.location, fresh.headers.location)
  t.ok(again.cookies.some((c) => c.name === 'kaiku'), 'a session cookie either way')
  const againPage = await second.get('/signup/sent')
  t.equal(stripped(againPage.body, 'ada@acme.fi'), stripped(freshPage.body, 'ada@acme.fi'), '"check your mail" looks the same')
  for (const page of ['/', '/login', '/people']) {
    const [a, b] = [await first.get(page), await second.get(page)]
    t.equal(b.statusCode, a.statusCode, `${page}: the same status after either sign-up`)
    t.equal(stripped(b.body, 'x'), stripped(a.body, 'x'), `${page}: the same page after either sign-up`)
  }
  t.equal((await membersOf(app)).filter((m) => m.email === 'ada@acme.fi').length, 1, 'still one account')

  const verifyMails = (await mails(app)).filter((m) => m.recipient === 'ada@acme.fi')
  t.equal(verifyMails.length, 2, 'the unverified address got a fresh link')
  t.match(verifyMails[1].text, /Hello Ada King/)
  // The second sign-up's link brings its own name and password; the first one's no longer counts.
  t.equal((await client(app, 'acme.localhost').submit(linkIn(verifyMails[1].text, '/verify')!, { password: ada.password })).statusCode, 400, 'the first sign-up\'s password does not confirm the second')
  await client(app, 'acme.localhost').submit(linkIn(verifyMails[1].text, '/verify')!, { password: 'a second passphrase here' })
  const member = (await membersOf(app)).find((m) => m.email === 'ada@acme.fi')!
  t.match(member, { status: 'active', name: 'Ada King' })
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: ada.email, password: ada.password })).statusCode, 400)
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: ada.email, password: 'a second passphrase here' })).statusCode, 303)
  t.equal((await client(app, 'acme.localhost').get(linkIn(verifyMails[0].text, '/verify')!)).statusCode, 410, 'the older link is spent')

  const existing = client(app, 'acme.localhost')
  const taken = await existing.submit('/signup', { name: 'Mallory', email: 'OLIVIA@acme.com', password: 'mallory wants in now' })
  t.equal(taken.statusCode, 303)
  t.equal(taken.headers.location, '/signup/sent')
  const takenPage = await existing.get('/signup/sent')
  t.equal(stripped(takenPage.body, owner.email), stripped(freshPage.body, 'ada@acme.fi'), 'an active account gets the same page')
  const login = await existing.get('/login')
  t.match(login.body, /name="password"/, 'and nobody is signed in as its owner')
  const [notice] = (await mails(app)).filter((m) => m.recipient === owner.email)
  t.equal(notice.subject, 'You already have an account – Acme')
  t.ok(linkIn(notice.text, '/password/reset'), 'with a link to choose a new password')
  const olivia = (await membersOf(app)).find((m) => m.email === owner.email)!
  t.match(olivia, { name: 'Olivia Owner', status: 'active' }, 'the account is untouched')
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: owner.email, password: owner.password })).statusCode, 303, 'its password still works')
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: owner.email, password: 'mallory wants in now' })).statusCode, 400)
})

t.test('two sign-ups for one address at the same moment make one account and no error', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const forms = await Promise.all(
    [0, 1, 2].map(async () => {
      const browser = client(app, 'acme.localhost')
      const token = /name="_csrf" value="([^"]+)"/.exec((await browser.get('/signup')).body)![1]
      return { cookie: browser.cookie, token }
    })
  )
  const responses = await Promise.all(
    forms.map(({ cookie, token }) =>
      app.inject({ method: 'POST', url: '/signup', headers: { ...html, host: 'acme.localhost', cookie }, payload: { ...ada, _csrf: token } })
    )
  )
  t.same(responses.map((r) => r.statusCode), [303, 303, 303])
  t.same(responses.map((r) => r.headers.location), ['/signup/sent', '/signup/sent', '/signup/sent'])
  t.equal((await membersOf(app)).filter((m) => m.email === 'ada@acme.fi').length, 1, 'one account')
  t.ok((await mails(app)).length >= 1, 'and its verification mail')
})

t.test('rate limit: sign-ups per address answer 429 with Retry-After', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const statuses = []
  for (let i = 0; i < 6; i++) statuses.push((await client(app, 'acme.localhost').submit('/signup', ada)).statusCode)
  t.same(statuses, [303, 303, 303, 303, 303, 429])
  const limited = await client(app, 'acme.localhost').submit('/signup', { ...ada, email: 'ADA@acme.fi' })
  t.equal(limited.statusCode, 429, 'the same address in other letters is the same account')
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.match(limited.body, /Too many attempts for this address/)
  t.equal((await mails(app)).length, 5, 'no mail beyond the limit')
  t.equal((await client(app, 'acme.localhost').submit('/signup', { ...ada, email: 'grace@acme.com' })).statusCode, 303, 'another address is not limited')
})
