import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { memberService, type NewMember } from '../../../plugins/auth/services/members.js'
import { html } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App, comparable } from './helpers.js'

/**
 * Two instances side by side: acme (from the first-run setup) and globex, each with members whose
 * names and titles are easy to spot, and one address that is a member of both.
 */
async function twoInstances(t: Parameters<typeof buildAuth>[0]) {
  const app = await buildAuth(t)
  await setUp(app)
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  app.tenancyCache.clear()
  const add = async (slug: string, input: Partial<NewMember> & { email: string; name: string }, title?: string, department?: string) => {
    const em = app.kaiku.orm.em.fork()
    const tenant = await app.tenancy.bySlug(em, slug)
    const member = await memberService((text) => app.tenancy.parseEmail(text)).create(em, tenant!, { role: 'member', status: 'active', ...input })
    member.title = title ?? null
    member.department = department ?? null
    await em.flush()
    return member
  }
  const ada = await add('acme', { email: 'ada@acme.com', name: 'Ada Acmeson', password: 'acme secret passphrase' }, 'Rocket Scientist at Acme', 'Acme Skunkworks')
  const gus = await add('globex', { email: 'gus@globex.com', name: 'Gus Globexer', password: 'globex secret passphrase', role: 'admin' }, 'Head of Globex Sales', 'Globex Europe')
  const acmeOwner = await app.kaiku.orm.em.fork().findOneOrFail(Member, { email: owner.email }, { filters: false })
  return { app, ada, gus, acmeOwner, add }
}

/** What identifies instance A in a page: its members' names, titles, departments and addresses. */
const ACME_TRACES = [/Ada Acmeson/, /Rocket Scientist/, /Skunkworks/, /ada@acme\.com/, /Olivia Owner/, /olivia@acme\.com/, /\bAcme\b/]

const signIn = async (app: App, host: string, email: string, password: string) => {
  const browser = client(app, host)
  const response = await browser.submit('/login', { email, password })
  if (response.statusCode !== 303) throw new Error(`sign-in failed: ${response.statusCode}`)
  return browser
}

/** A 404 page without what differs between any two requests (request id, CSRF token, nonces). */
const page404 = (response: LightMyRequestResponse) => comparable(response.body)

t.test('a member of B asking for a profile of A gets the same 404 as for a made-up id', async (t) => {
  const { app, ada, acmeOwner } = await twoInstances(t)
  const gus = await signIn(app, 'globex.localhost', 'gus@globex.com', 'globex secret passphrase')
  const foreign = await gus.get(`/people/${ada.id}`)
  const foreignOwner = await gus.get(`/people/${acmeOwner.id}`)
  const random = await gus.get(`/people/${randomUUID()}`)
  const garbage = await gus.get('/people/not-an-id')
  t.equal(foreign.statusCode, 404)
  t.equal(random.statusCode, 404)
  t.equal(garbage.statusCode, 404, 'a malformed id is the same 404, not a 400 that would tell ids apart')
  t.equal(page404(foreign), page404(random), 'the same page, byte for byte, as for an id that exists nowhere')
  t.equal(page404(foreignOwner), page404(random))
  t.equal(page404(garbage), page404(random))
  for (const trace of ACME_TRACES) t.notMatch(foreign.body, trace)

  // The profile exists: acme's own members see it.
  const olivia = await signIn(app, 'acme.localhost', owner.email, owner.password)
  t.match((await olivia.get(`/people/${ada.id}`)).body, /Rocket Scientist at Acme/)
})

t.test('A’s names and titles never appear in any of B’s pages', async (t) => {
  const { app, ada } = await twoInstances(t)
  const gus = await signIn(app, 'globex.localhost', 'gus@globex.com', 'globex secret passphrase')
  const pages = ['/people', '/people?q=ada', '/people?q=Rocket', '/people?q=olivia', `/people/${ada.id}`, '/me', '/me/security']
  for (const url of pages) {
    const response = await gus.get(url)
    t.ok(response.statusCode === 200 || response.statusCode === 404, `${url} answers`)
    for (const trace of ACME_TRACES) t.notMatch(response.body, trace, `${url} shows nothing of Acme (${trace})`)
  }
  const directory = await gus.get('/people')
  const names = [...directory.body.matchAll(/class="person__name" href="\/people\/[^"]+">([^<]+)</g)].map((m) => m[1])
  t.same(names, ['Gus Globexer'], 'B’s directory lists B’s members only')
  t.match(directory.body, /People at Globex/)
  t.match(directory.body, /Head of Globex Sales · Globex Europe/)

  // Nor does editing one's profile on B reach A.
  const saved = await gus.submit('/me', { name: 'Gus Globexer', title: 'Head of Globex Sales', department: 'Globex Nordics' })
  t.equal(saved.statusCode, 303)
  const unchanged = await app.kaiku.orm.em.fork().findOneOrFail(Member, { id: ada.id }, { filters: false })
  t.match(unchanged, { name: 'Ada Acmeson', title: 'Rocket Scientist at Acme', department: 'Acme Skunkworks' })
})

t.test('a session of B sent to A’s host is anonymous there', async (t) => {
  const { app, ada } = await twoInstances(t)
  const gus = await signIn(app, 'globex.localhost', 'gus@globex.com', 'globex secret passphrase')
  t.equal((await gus.get('/people')).statusCode, 200, 'signed in on globex')
  const onAcme = (url: string) => app.inject({ url, headers: { ...html, host: 'acme.localhost', cookie: gus.cookie } })
  for (const url of ['/people', `/people/${ada.id}`, '/me', '/me/security']) {
    const response = await onAcme(url)
    t.equal(response.statusCode, 303, `${url} on acme`)
    t.equal(response.headers.location, `/login?next=${encodeURIComponent(url)}`, 'sent to sign in')
    for (const trace of ACME_TRACES) t.notMatch(response.body, trace)
  }

  // A form token of B's session, posted to A's host with that session, changes nothing there.
  const token = /name="_csrf" value="([^"]+)"/.exec((await gus.get('/me')).body)![1]
  for (const url of ['/me', '/me/security/sessions', '/me/security/password']) {
    const post = await app.inject({
      method: 'POST',
      url,
      headers: { ...html, host: 'acme.localhost', cookie: gus.cookie },
      payload: { _csrf: token, name: 'Hijacked', current: 'globex secret passphrase', password: 'hijacked passphrase 1' }
    })
    t.equal(post.statusCode, 401, `POST ${url} on acme is refused`)
  }
  const members = await app.kaiku.orm.em.fork().find(Member, {}, { filters: false })
  t.notOk(members.some((member) => member.name === 'Hijacked'), 'no name changed')
  t.ok((await gus.get('/me')).statusCode === 200, 'and B’s session still works on B')
})

t.test('the same address in two instances is two separate accounts', async (t) => {
  const { app, add } = await twoInstances(t)
  const inAcme = await add('acme', { email: 'pat@partner.example', name: 'Pat in Acme', password: 'pat acme passphrase' }, 'Acme Liaison')
  const inGlobex = await add('globex', { email: 'PAT@partner.example', name: 'Pat in Globex', password: 'pat globex passphrase' }, 'Globex Liaison')
  t.not(inAcme.id, inGlobex.id)
  t.equal(inAcme.email, inGlobex.email, 'one address')
  t.not(inAcme.tenantId, inGlobex.tenantId, 'two instances')
  t.equal(await app.kaiku.orm.em.fork().count(Member, { email: 'pat@partner.example' }, { filters: false }), 2)

  const wrongInstance = await client(app, 'globex.localhost').submit('/login', { email: 'pat@partner.example', password: 'pat acme passphrase' })
  t.equal(wrongInstance.statusCode, 400, 'acme’s password does not open the globex account')
  const acmePat = await signIn(app, 'acme.localhost', 'pat@partner.example', 'pat acme passphrase')
  const globexPat = await signIn(app, 'globex.localhost', 'pat@partner.example', 'pat globex passphrase')
  const acmeMe = await acmePat.get('/me')
  const globexMe = await globexPat.get('/me')
  t.match(acmeMe.body, /value="Pat in Acme"/)
  t.notMatch(acmeMe.body, /Globex/)
  t.match(globexMe.body, /value="Pat in Globex"/)
  t.notMatch(globexMe.body, /Acme/)

  // Each account sees and ends only its own sessions.
  const acmeSecurity = await acmePat.get('/me/security')
  t.equal([...acmeSecurity.body.matchAll(/<tr class="session/g)].length, 1, 'the globex session is not listed on acme')
  await acmePat.submit('/me/security', {}, '/me/security/sessions')
  t.equal((await globexPat.get('/me')).statusCode, 200, 'signing out other sessions on acme leaves the globex account signed in')
  const changed = await globexPat.submit('/me/security', { current: 'pat globex passphrase', password: 'pat new globex passphrase' }, '/me/security/password')
  t.equal(changed.statusCode, 303)
  t.equal((await acmePat.get('/me')).statusCode, 200, 'a new password on globex ends no acme session')
  const stillOld = await client(app, 'acme.localhost').submit('/login', { email: 'pat@partner.example', password: 'pat acme passphrase' })
  t.equal(stillOld.statusCode, 303, 'and leaves the acme password as it was')
})
