import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { memberService, type NewMember } from '../../../plugins/auth/services/members.js'
import { issueToken } from '../../../plugins/auth/services/tokens.js'
import { html } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App } from './helpers.js'

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'

/** A member of an instance, created as the CLI or an invitation would. */
async function addMember(app: App, slug: string, input: Partial<NewMember> & { email: string; name: string }, profile: { title?: string; department?: string } = {}) {
  const em = app.kaiku.orm.em.fork()
  const tenant = await app.tenancy.bySlug(em, slug)
  const member = await memberService((text) => app.tenancy.parseEmail(text)).create(em, tenant!, { role: 'member', status: 'active', ...input })
  if (profile.title || profile.department) {
    member.title = profile.title ?? null
    member.department = profile.department ?? null
    await em.flush()
  }
  return member
}

const reload = (app: App, id: string) => app.kaiku.orm.em.fork().findOneOrFail(Member, { id }, { filters: false })

/** Like the shared client, with a browser of its own (its User-Agent shows in the session list). */
function browser(app: App, host: string, userAgent: string) {
  let cookie = ''
  const remember = (response: LightMyRequestResponse) => {
    const session = response.cookies.find((c) => c.name === 'kaiku')
    if (session) cookie = session.value ? `kaiku=${session.value}` : ''
    return response
  }
  const headers = () => ({ ...html, host, cookie, 'user-agent': userAgent })
  const self = {
    get cookie() {
      return cookie
    },
    get: async (url: string) => remember(await app.inject({ url, headers: headers() })),
    submit: async (formUrl: string, fields: Record<string, string>, action = formUrl) => {
      const page = await self.get(formUrl)
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1]
      if (!token) throw new Error(`no form on ${formUrl}: ${page.statusCode}`)
      return remember(await app.inject({ method: 'POST', url: action, headers: headers(), payload: { ...fields, _csrf: token } }))
    }
  }
  return self
}

const signedIn = async (b: { get(url: string): Promise<LightMyRequestResponse> }) => (await b.get('/me')).statusCode === 200

/** The text of the rows of a page's session table, one string per row. */
const sessionRows = (body: string) => [...body.matchAll(/<tr class="session[^"]*">([\s\S]*?)<\/tr>/g)].map((m) => m[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim())

t.test('the directory lists the active members by name, filters by name, and links to profiles', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const bea = await addMember(app, 'acme', { email: 'bea@acme.com', name: 'Bea Berg' }, { title: 'Designer', department: 'Brand' })
  await addMember(app, 'acme', { email: 'ada@acme.com', name: 'ada Ahlberg' }, { department: 'Finance' })
  const sam = await addMember(app, 'acme', { email: 'sam@acme.com', name: 'Sam Suspended', status: 'suspended' })
  await addMember(app, 'acme', { email: 'una@acme.com', name: 'Una Unverified', status: 'unverified' })
  const olivia = client(app, 'acme.localhost')
  await olivia.submit('/login', { email: owner.email, password: owner.password })

  const page = await olivia.get('/people')
  t.equal(page.statusCode, 200)
  t.match(page.body, /People at Acme/)
  t.match(page.body, /<a href="\/people" aria-current="page">People<\/a>/, 'a "People" entry in the navigation')
  t.match(page.body, /<a href="\/me">Profile<\/a>/, 'and a "Profile" entry')
  const names = [...page.body.matchAll(/class="person__name" href="\/people\/[^"]+">([^<]+)</g)].map((m) => m[1])
  t.same(names, ['ada Ahlberg', 'Bea Berg', 'Olivia Owner'], 'active members only, sorted by name whatever the case')
  t.match(page.body, /3 people/)
  t.match(page.body, /aria-hidden="true">BB<\/span>[\s\S]*?Bea Berg<\/a>[\s\S]*?Designer · Brand/, 'initials as avatar, then title and department')
  t.match(page.body, /Olivia Owner<\/a> <span class="badge">You<\/span>/)
  t.notMatch(page.body, /Sam Suspended|Una Unverified/)
  t.notMatch(page.body, /<img|https?:\/\/(?!www\.w3\.org)/, 'no images and no other origin')

  const filtered = await olivia.get('/people?q=BEA')
  const filteredNames = [...filtered.body.matchAll(/class="person__name" href="\/people\/[^"]+">([^<]+)</g)].map((m) => m[1])
  t.same(filteredNames, ['Bea Berg'], 'the filter ignores case')
  t.match(filtered.body, /value="BEA"/, 'and keeps what was typed')
  t.match(filtered.body, /1 person/)
  const none = await olivia.get('/people?q=%3Cscript%3Ezed')
  t.match(none.body, /Nobody here has a name containing “&lt;script&gt;zed”/, 'nobody found, the query shown escaped')
  t.notMatch(none.body, /<script>zed/)

  const profile = await olivia.get(`/people/${bea.id}`)
  t.equal(profile.statusCode, 200)
  t.match(profile.body, /<h1 id="profile-name">Bea Berg<\/h1>/)
  t.match(profile.body, /Designer/)
  t.match(profile.body, /Brand/)
  t.match(profile.body, /mailto:bea@acme\.com/, 'members of the same instance see the email')
  t.notMatch(profile.body, /Edit your profile/, 'someone else’s profile is not editable')
  t.match((await olivia.get(`/people/${(await olivia.get('/me')).body.match(/href="\/people\/([^"]+)"/)![1]}`)).body, /Edit your profile/)
  t.equal((await olivia.get(`/people/${sam.id}`)).statusCode, 404, 'a suspended member has no profile')
})

t.test('/me saves a valid profile, and refuses bad input next to its field without saving anything', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const ada = await addMember(app, 'acme', { email: 'ada@acme.com', name: 'Ada Lovelace', password: 'analytical engine 1843' })
  const b = client(app, 'acme.localhost')
  await b.submit('/login', { email: 'ada@acme.com', password: 'analytical engine 1843' })
  const form = await b.get('/me')
  t.match(form.body, /name="name" type="text" value="Ada Lovelace"/)
  t.match(form.body, /ada@acme\.com/)

  const bad = await b.submit('/me', { name: '   ', title: 'Chief\u0007Bell', department: 'x'.repeat(121) })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /id="name-error" role="alert">Please fill this in\./)
  t.match(bad.body, /id="title-error" role="alert">Use letters, digits and punctuation only\./)
  t.match(bad.body, /id="department-error" role="alert">This is too long\./)
  const half = await b.submit('/me', { name: 'Ada King', title: 'Countess', department: 'y'.repeat(121) })
  t.equal(half.statusCode, 400, 'one bad field refuses the whole form')
  t.match(half.body, /value="Countess"/, 'the form keeps what was typed')
  let stored = await reload(app, ada.id)
  t.match(stored, { name: 'Ada Lovelace', title: null, department: null }, 'nothing was saved')
  const tooLongName = await b.submit('/me', { name: 'n'.repeat(121) })
  t.match(tooLongName.body, /id="name-error" role="alert">This is too long\./)

  const ok = await b.submit('/me', { name: '  Ada King <Countess>  ', title: 'Mathematician', department: '' })
  t.equal(ok.statusCode, 303)
  t.equal(ok.headers.location, '/me')
  stored = await reload(app, ada.id)
  t.match(stored, { name: 'Ada King <Countess>', title: 'Mathematician', department: null }, 'trimmed, saved; an empty department is none')
  const after = await b.get('/me')
  t.match(after.body, /<p class="flash flash--success">Your profile is saved\.<\/p>/)
  t.match(after.body, /class="site-viewer__name">Ada King &lt;Countess&gt;</, 'the header shows the new name, escaped')
  t.notMatch(after.body, /<Countess>/)
  t.notMatch((await b.get('/me')).body, /Your profile is saved/, 'the flash shows once')
  const directory = await b.get('/people')
  t.match(directory.body, /Ada King &lt;Countess&gt;<\/a>[\s\S]*?Mathematician/)
})

t.test('/me/security lists sessions; "sign out other sessions" ends the others and keeps this one', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await addMember(app, 'acme', { email: 'ada@acme.com', name: 'Ada Lovelace', password: 'analytical engine 1843' })
  const laptop = browser(app, 'acme.localhost', FIREFOX)
  const phone = browser(app, 'acme.localhost', CHROME)
  await laptop.submit('/login', { email: 'ada@acme.com', password: 'analytical engine 1843' })
  await phone.submit('/login', { email: 'ada@acme.com', password: 'analytical engine 1843' })

  const page = await laptop.get('/me/security')
  t.equal(page.statusCode, 200)
  const rows = sessionRows(page.body)
  t.equal(rows.length, 2, 'two sessions after two logins')
  // Times as members read them elsewhere: in the instance's zone and the page's language.
  const when = String.raw`\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d`
  t.match(rows[0], new RegExp(`^Firefox on Linux This browser ${when} ${when}$`), 'this browser first, marked')
  t.match(rows[1], /^Chrome on Windows \d{1,2} [A-Z][a-z]{2} \d{4}/)
  t.notMatch(rows[1], /This browser/)
  t.match(sessionRows((await phone.get('/me/security')).body)[0], /^Chrome on Windows This browser/, 'each browser recognises itself')

  const done = await laptop.submit('/me/security', {}, '/me/security/sessions')
  t.equal(done.statusCode, 303)
  const after = await laptop.get('/me/security')
  t.equal(after.statusCode, 200, 'this one stays signed in')
  t.match(after.body, /One other session was signed out\./)
  t.notOk(await signedIn(phone), 'the other session is signed out')
  t.equal((await phone.get('/people')).headers.location, '/login?next=%2Fpeople')
  t.equal(sessionRows(after.body).length, 1)
  t.match(after.body, /You are signed in only here\./)
  t.notMatch(after.body, /Sign out other sessions/, 'no button when there is nothing to sign out')
})

t.test('changing the password ends other sessions, keeps this browser signed in, and the new password works', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const ada = await addMember(app, 'acme', { email: 'ada@acme.com', name: 'Ada Lovelace', password: 'analytical engine 1843' })
  const laptop = browser(app, 'acme.localhost', FIREFOX)
  const phone = browser(app, 'acme.localhost', CHROME)
  await laptop.submit('/login', { email: 'ada@acme.com', password: 'analytical engine 1843', remember: 'on' })
  await phone.submit('/login', { email: 'ada@acme.com', password: 'analytical engine 1843' })
  const before = await reload(app, ada.id)

  const wrong = await laptop.submit('/me/security', { current: 'not my password', password: 'difference engine 1822' }, '/me/security/password')
  t.equal(wrong.statusCode, 400)
  t.match(wrong.body, /id="current-error" role="alert">This is not your current password\./)
  const weak = await laptop.submit('/me/security', { current: 'analytical engine 1843', password: 'password123' }, '/me/security/password')
  t.equal(weak.statusCode, 400)
  t.match(weak.body, /id="password-error" role="alert">This password is too common/)
  const short = await laptop.submit('/me/security', { current: 'analytical engine 1843', password: 'short' }, '/me/security/password')
  t.match(short.body, /id="password-error" role="alert">Use at least 10 characters\./)
  t.notMatch(short.body, /analytical engine/, 'passwords are never echoed')
  t.match(await reload(app, ada.id), { passwordHash: before.passwordHash, epoch: before.epoch }, 'refused forms changed nothing')
  t.ok(await signedIn(phone), 'and ended no session')

  const oldCookie = laptop.cookie
  const changed = await laptop.submit('/me/security', { current: 'analytical engine 1843', password: 'difference engine 1822' }, '/me/security/password')
  t.equal(changed.statusCode, 303)
  t.not(laptop.cookie, oldCookie, 'this browser got a new session id')
  const expires = changed.cookies.find((c) => c.name === 'kaiku')?.expires
  t.ok(expires, '"remember me" is kept')
  const page = await laptop.get('/me/security')
  t.equal(page.statusCode, 200, 'this browser stays signed in')
  t.match(page.body, /Your password is changed\. Other sessions were signed out\./)
  t.equal(sessionRows(page.body).length, 1, 'only this session is listed')
  t.notOk(await signedIn(phone), 'the other session is ended')
  const stale = await app.inject({ url: '/me', headers: { ...html, host: 'acme.localhost', cookie: oldCookie } })
  t.equal(stale.statusCode, 303, 'the old session id of this browser is worthless')

  const oldLogin = await client(app, 'acme.localhost').submit('/login', { email: 'ada@acme.com', password: 'analytical engine 1843' })
  t.equal(oldLogin.statusCode, 400, 'the old password no longer works')
  const fresh = client(app, 'acme.localhost')
  const newLogin = await fresh.submit('/login', { email: 'ada@acme.com', password: 'difference engine 1822' })
  t.equal(newLogin.statusCode, 303, 'the new one does')
  t.equal((await fresh.get('/me')).statusCode, 200)
})

t.test('a member without a password (joined by link) is sent to the reset mail, and cannot set one here', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const ada = await addMember(app, 'acme', { email: 'ada@acme.com', name: 'Ada Lovelace' })
  const olivia = client(app, 'acme.localhost')
  await olivia.submit('/login', { email: owner.email, password: owner.password })
  t.match((await olivia.get('/me/security')).body, /name="current"/, 'a member with a password gets the form')

  // Sign Ada in by a one-time link, as an invitee who chose the magic link would be.
  const em = app.kaiku.orm.em.fork()
  const { raw } = issueToken(em, { tenantId: ada.tenantId, kind: 'magic', email: ada.email, memberId: ada.id })
  await em.flush()
  const b = client(app, 'acme.localhost')
  t.equal((await b.submit(`/login/link/${raw}`, {})).statusCode, 303)
  const page = await b.get('/me/security')
  t.match(page.body, /have no password yet/)
  t.match(page.body, /href="\/password\/forgot"/)
  t.notMatch(page.body, /name="current"/)
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]
  const post = await app.inject({ method: 'POST', url: '/me/security/password', headers: { ...html, host: 'acme.localhost', cookie: b.cookie }, payload: { _csrf: token, password: 'a brand new passphrase' } })
  t.equal(post.statusCode, 400)
  t.equal((await reload(app, ada.id)).passwordHash, null, 'no password was set')
})

t.test('guessing the current password is limited per account', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const ada = await addMember(app, 'acme', { email: 'ada@acme.com', name: 'Ada Lovelace', password: 'analytical engine 1843' })
  const b = client(app, 'acme.localhost')
  await b.submit('/login', { email: 'ada@acme.com', password: 'analytical engine 1843' })
  const statuses = []
  for (let i = 0; i < 6; i++) statuses.push((await b.submit('/me/security', { current: `guess ${i} of many`, password: 'difference engine 1822' }, '/me/security/password')).statusCode)
  t.same(statuses, [400, 400, 400, 400, 400, 429])
  const limited = await b.submit('/me/security', { current: 'analytical engine 1843', password: 'difference engine 1822' }, '/me/security/password')
  t.equal(limited.statusCode, 429, 'even the right password waits')
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.match(limited.body, /Too many attempts/)
  t.equal((await reload(app, ada.id)).epoch, ada.epoch, 'and nothing changed')
})

t.test('anonymous visitors are sent to the login page and come back after', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const bea = await addMember(app, 'acme', { email: 'bea@acme.com', name: 'Bea Berg' })
  const anonymous = client(app, 'acme.localhost')
  for (const url of ['/people', '/people?q=bea', `/people/${bea.id}`, '/me', '/me/security']) {
    const response = await anonymous.get(url)
    t.equal(response.statusCode, 303, url)
    t.equal(response.headers.location, `/login?next=${encodeURIComponent(url)}`)
    t.notMatch(response.body, /Bea Berg/)
  }
  const post = await app.inject({ method: 'POST', url: '/me', headers: { ...html, host: 'acme.localhost' }, payload: { name: 'Mallory' } })
  t.equal(post.statusCode, 401, 'a POST without a session is refused')
  t.equal(await app.kaiku.orm.em.fork().count(Member, { name: 'Mallory' }, { filters: false }), 0)
  const back = await anonymous.submit(`/login?next=${encodeURIComponent(`/people/${bea.id}`)}`, { email: owner.email, password: owner.password, next: `/people/${bea.id}` }, '/login')
  t.equal(back.headers.location, `/people/${bea.id}`)
})
