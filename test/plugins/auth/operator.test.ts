import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Tenant } from '../../../plugins/tenancy/entities/tenant.entity.js'
import { AuditEntry } from '../../../plugins/auth/entities/token.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { memberService, type NewMember } from '../../../plugins/auth/services/members.js'
import { issueToken } from '../../../plugins/auth/services/tokens.js'
import { html, repoRoot, type TestLike } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App } from './helpers.js'

/** Acme (from the first-run setup, whose owner is also the operator) and globex, each with an admin. */
async function twoInstances(t: TestLike, env: Record<string, string> = {}) {
  const app = await buildAuth(t, { env })
  await setUp(app)
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  app.tenancyCache.clear()
  await addMember(app, 'acme', { email: 'bob@acme.com', name: 'Bob Acmeson', role: 'admin', password: 'bobs long passphrase' })
  await addMember(app, 'acme', { email: 'mia@acme.com', name: 'Mia Member', role: 'member', password: 'mias long passphrase' })
  await addMember(app, 'globex', { email: 'gina@globex.com', name: 'Gina Globexer', role: 'owner', password: 'ginas long passphrase' })
  return app
}

async function addMember(app: App, slug: string, input: Partial<NewMember> & { email: string; name: string }) {
  const em = app.kaiku.orm.em.fork()
  const tenant = await app.tenancy.bySlug(em, slug)
  return memberService((text) => app.tenancy.parseEmail(text)).create(em, tenant!, { role: 'member', status: 'active', ...input })
}

async function signIn(app: App, host: string, email: string, password: string, path = '/login') {
  const browser = client(app, host)
  const response = await browser.submit(path, { email, password })
  if (response.statusCode !== 303) throw new Error(`sign-in at ${host}${path} failed: ${response.statusCode} ${response.body.slice(0, 300)}`)
  return browser
}

/** The setup's owner is also the platform operator, with the same address and password. */
const operator = (app: App) => signIn(app, 'localhost', owner.email, owner.password, '/operator/login')

const auditEntries = (app: App) => app.kaiku.orm.em.fork().find(AuditEntry, {}, { filters: false, orderBy: { createdAt: 'asc' } })
const tenantRow = (app: App, slug: string) => app.kaiku.orm.em.fork().findOneOrFail(Tenant, { slug })
const errorMessage = /<p class="flash flash--error" role="alert">([^<]+)<\/p>/

t.test('operator sign-in: bare host only, operator accounts only, the same answer for unknown and wrong', async (t) => {
  const app = await twoInstances(t)
  t.equal((await client(app, 'acme.localhost').get('/operator/login')).statusCode, 404, 'not on an instance’s host')
  const anonymous = await client(app, 'localhost').get('/operator')
  t.equal(anonymous.statusCode, 303)
  t.equal(anonymous.headers.location, '/operator/login?next=%2Foperator', 'anonymous pages go to the operator’s sign-in')

  const member = client(app, 'localhost')
  const refused = await member.submit('/operator/login', { email: 'bob@acme.com', password: 'bobs long passphrase' })
  t.equal(refused.statusCode, 400, 'a member’s right password does not sign in here')
  t.equal((await member.get('/operator')).statusCode, 303, 'and leaves no operator session behind')
  const unknown = await client(app, 'localhost').submit('/operator/login', { email: 'nobody@example.com', password: 'some long guess' })
  const wrong = await client(app, 'localhost').submit('/operator/login', { email: owner.email, password: 'not the password' })
  t.equal(unknown.statusCode, 400)
  t.equal(wrong.statusCode, 400)
  t.equal(errorMessage.exec(unknown.body)?.[1], errorMessage.exec(wrong.body)?.[1], 'one message for unknown and wrong')
  t.match(wrong.body, /value="olivia@acme\.com"/, 'the form keeps the address')
  t.notMatch(wrong.body, /not the password/, 'never the password')

  const browser = client(app, 'localhost')
  await browser.get('/operator/login?next=/operator/tenants/globex')
  const before = browser.cookie
  const ok = await browser.submit('/operator/login?next=/operator/tenants/globex', { email: owner.email, password: owner.password, next: '/operator/tenants/globex' }, '/operator/login')
  t.equal(ok.statusCode, 303)
  t.equal(ok.headers.location, '/operator/tenants/globex', 'back to the page asked for')
  t.not(browser.cookie, before, 'a new session id')
  t.notOk(ok.cookies.find((c) => c.name === 'kaiku')?.expires, 'a browser-session cookie only')
  const console = await browser.get('/operator')
  t.equal(console.statusCode, 200)
  t.match(console.body, /Company instances/)
  t.match(console.body, /<a href="\/operator"[^>]*>Console<\/a>/, 'the nav offers the console')
  t.equal((await browser.get('/operator/login')).headers.location, '/operator', 'signed in, the form sends on to the console')
  const elsewhere = await app.inject({ url: '/operator', headers: { ...html, host: 'acme.localhost', cookie: browser.cookie } })
  t.equal(elsewhere.statusCode, 404, 'an operator session is nothing on an instance’s host')

  const offsite = await client(app, 'localhost').submit('/operator/login', { email: owner.email, password: owner.password, next: '//evil.example/' })
  t.equal(offsite.headers.location, '/', 'never sent to another site')
})

t.test('operator sign-in is limited per account, with Retry-After', async (t) => {
  const app = await twoInstances(t)
  const statuses = []
  for (let i = 0; i < 6; i++) statuses.push((await client(app, 'localhost').submit('/operator/login', { email: owner.email, password: `wrong guess ${i}` })).statusCode)
  t.same(statuses, [400, 400, 400, 400, 400, 429])
  const limited = await client(app, 'localhost').submit('/operator/login', { email: owner.email, password: owner.password })
  t.equal(limited.statusCode, 429, 'even the right password waits')
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.match(limited.body, /Too many attempts/)
})

t.test('non-operators get 401 or 403 on console pages; a member on the bare host is not an operator', async (t) => {
  const app = await buildAuth(t)
  const owners = await setUp(app)
  // With one instance the bare host serves it, and the setup left its owner signed in there as a member.
  const home = await owners.get('/operator')
  t.equal(home.statusCode, 403)
  t.notMatch(home.body, /Company instances/)
  t.notMatch(home.body, />Console</, 'no console in a member’s nav')
  t.equal((await owners.get('/operator/tenants/acme')).statusCode, 403)
  const form = await owners.get('/login/link')
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]
  const post = (url: string, payload: Record<string, string>) =>
    app.inject({ method: 'POST', url, headers: { ...html, host: 'localhost', cookie: owners.cookie }, payload: { ...payload, _csrf: token } })
  t.equal((await post('/operator/tenants', { slug: 'initech', name: 'Initech', domains: 'initech.com' })).statusCode, 403)
  t.equal((await post('/operator/tenants/acme', { reason: 'just curious, honestly' })).statusCode, 403)
  t.equal((await post('/operator/tenants/acme/suspend', {})).statusCode, 403)
  t.equal(await app.tenancy.count(app.kaiku.orm.em.fork()), 1, 'no instance created')
  t.equal((await tenantRow(app, 'acme')).status, 'active', 'none suspended')
  t.equal((await auditEntries(app)).length, 0, 'no look taken')

  const api = await app.inject({ url: '/operator', headers: { host: 'localhost', accept: 'application/json' } })
  t.equal(api.statusCode, 401, 'anonymous clients that are not browsers: 401')
  const acmeAdmin = await signIn(app, 'acme.localhost', owner.email, owner.password)
  t.equal((await acmeAdmin.get('/operator')).statusCode, 404, 'on an instance’s host the console does not exist')
})

t.test('console: create an instance, with errors next to their fields and nothing saved', async (t) => {
  const app = await twoInstances(t)
  const ops = await operator(app)
  const page = await ops.get('/operator')
  t.match(page.body, /Acme[\s\S]*acme\.com[\s\S]*acme\.fi/)
  t.match(page.body, /Globex[\s\S]*globex\.com/)
  t.match(page.body, /id="tenant-acme"[\s\S]*?class="cell-number">3</, 'acme has three members')
  t.match(page.body, /id="tenant-globex"[\s\S]*?class="cell-number">1</, 'globex has one')
  t.match(page.body, /\d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'with the time each was created')

  const create = (fields: Record<string, string>) => ops.submit('/operator', fields, '/operator/tenants')
  const badSlug = await create({ slug: 'Not a slug!', name: 'Initech', domains: 'initech.com' })
  t.equal(badSlug.statusCode, 400)
  t.match(badSlug.body, /id="slug-error" role="alert">Use 1 to 40 lower-case letters/)
  t.match(badSlug.body, /value="Initech"/, 'the form keeps what was typed')
  const reserved = await create({ slug: 'admin', name: 'Initech', domains: 'initech.com' })
  t.match(reserved.body, /id="slug-error"/)
  const taken = await create({ slug: 'globex', name: 'Initech', domains: 'initech.com' })
  t.equal(taken.statusCode, 409)
  t.match(taken.body, /id="slug-error" role="alert">Another instance already has this address/)
  const domainTaken = await create({ slug: 'initech', name: 'Initech', domains: 'initech.com ACME.com' })
  t.equal(domainTaken.statusCode, 409)
  t.match(domainTaken.body, /id="domains-error" role="alert">This domain already belongs to an instance/)
  const badDomain = await create({ slug: 'initech', name: 'Initech', domains: 'not a domain!' })
  t.match(badDomain.body, /id="domains-error" role="alert">Enter domains such as acme\.com/)
  const control = await create({ slug: 'initech', name: 'Ini\u0007tech', domains: 'initech.com' })
  t.match(control.body, /id="name-error"/)
  const empty = await create({})
  t.match(empty.body, /id="name-error"[\s\S]*id="slug-error"[\s\S]*id="domains-error"/)
  t.equal(await app.tenancy.count(app.kaiku.orm.em.fork()), 2, 'no refused form created anything')
  t.notOk(await app.tenancy.byDomain(app.kaiku.orm.em.fork(), 'initech.com'), 'not even a domain')

  const created = await create({ slug: 'initech', name: 'Initech', domains: 'initech.com, Initech.FI' })
  t.equal(created.statusCode, 303)
  t.equal(created.headers.location, '/operator')
  const after = await ops.get('/operator')
  t.match(after.body, /Initech is ready at http:\/\/initech\.localhost:3000/)
  const initech = await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'initech')
  t.same(initech?.domains, ['initech.com', 'initech.fi'])
  const visit = await client(app, 'initech.localhost').get('/login')
  t.equal(visit.statusCode, 200, 'the new instance answers on its own host at once')
  t.match(visit.body, /Sign in to Initech/)
})

t.test('console: suspend and activate; a suspended instance’s host shows the notice', async (t) => {
  const app = await twoInstances(t)
  const gina = await signIn(app, 'globex.localhost', 'gina@globex.com', 'ginas long passphrase')
  const ops = await operator(app)
  t.equal((await ops.get('/operator/tenants/globex/suspend')).statusCode, 404, 'no state change on GET')

  const suspended = await ops.submit('/operator', {}, '/operator/tenants/globex/suspend')
  t.equal(suspended.statusCode, 303)
  t.equal((await tenantRow(app, 'globex')).status, 'suspended')
  const console = await ops.get('/operator')
  t.match(console.body, /Globex is suspended/)
  t.match(console.body, /id="tenant-globex"[\s\S]*?badge--suspended">Suspended</)
  t.match(console.body, /action="\/operator\/tenants\/globex\/activate"/, 'and offers to activate it')
  const notice = await gina.get('/')
  t.equal(notice.statusCode, 403)
  t.match(notice.body, /This company instance is suspended/, 'its members see the notice')
  const login = await client(app, 'globex.localhost').get('/login')
  t.equal(login.statusCode, 403, 'nobody can reach a sign-in form there')
  t.match(login.body, /This company instance is suspended/)
  t.equal((await client(app, 'acme.localhost').get('/login')).statusCode, 200, 'other instances are untouched')

  const activated = await ops.submit('/operator', {}, '/operator/tenants/globex/activate')
  t.equal(activated.statusCode, 303)
  t.match((await ops.get('/operator')).body, /Globex is active again/)
  t.equal((await client(app, 'globex.localhost').get('/login')).statusCode, 200, 'open again')
  t.equal((await ops.submit('/operator', {}, '/operator/tenants/nope/suspend')).statusCode, 404, 'an unknown instance is a 404')
})

t.test('console: the instance the bare host serves cannot be suspended from the console it would hide', async (t) => {
  const app = await twoInstances(t, { KAIKU_DEFAULT_TENANT: 'acme' })
  const ops = await operator(app)
  const refused = await ops.submit('/operator', {}, '/operator/tenants/acme/suspend')
  t.equal(refused.statusCode, 409)
  t.match(refused.body, /id="tenant-acme"[\s\S]*?role="alert">This instance is the one this server’s own address serves/)
  t.equal((await tenantRow(app, 'acme')).status, 'active')
  t.equal((await ops.get('/operator')).statusCode, 200, 'the console stays reachable')
})

t.test('console: add and remove domains', async (t) => {
  const app = await twoInstances(t)
  const ops = await operator(app)
  const domains = async () => (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'globex'))!.domains

  const added = await ops.submit('/operator', { domain: 'Globex.DE' }, '/operator/tenants/globex/domains')
  t.equal(added.statusCode, 303)
  t.match((await ops.get('/operator')).body, /globex\.de now belongs to Globex/)
  t.same(await domains(), ['globex.com', 'globex.de'])
  t.same((await app.tenancy.byDomain(app.kaiku.orm.em.fork(), 'globex.de'))?.slug, 'globex')

  const stolen = await ops.submit('/operator', { domain: 'acme.fi' }, '/operator/tenants/globex/domains')
  t.equal(stolen.statusCode, 409)
  t.match(stolen.body, /id="tenant-globex"[\s\S]*?role="alert">This domain already belongs to an instance/)
  t.match(stolen.body, /id="domain-globex"[^>]*value="acme\.fi"/, 'the field keeps what was typed')
  const invalid = await ops.submit('/operator', { domain: 'not a domain' }, '/operator/tenants/globex/domains')
  t.equal(invalid.statusCode, 400)
  t.same(await domains(), ['globex.com', 'globex.de'], 'refused domains are not added')
  t.equal((await app.tenancy.byDomain(app.kaiku.orm.em.fork(), 'acme.fi'))?.slug, 'acme', 'acme keeps its own')

  const removed = await ops.submit('/operator', { domain: 'globex.com' }, '/operator/tenants/globex/domains/remove')
  t.equal(removed.statusCode, 303)
  t.same(await domains(), ['globex.de'])
  const last = await ops.submit('/operator', { domain: 'globex.de' }, '/operator/tenants/globex/domains/remove')
  t.equal(last.statusCode, 409)
  t.match(last.body, /An instance keeps at least one domain/)
  const foreign = await ops.submit('/operator', { domain: 'acme.com' }, '/operator/tenants/globex/domains/remove')
  t.equal(foreign.statusCode, 404, 'another instance’s domain cannot be removed through this one')
  t.same(await domains(), ['globex.de'])
  t.equal((await app.tenancy.byDomain(app.kaiku.orm.em.fork(), 'acme.com'))?.slug, 'acme')
})

t.test('troubleshooting: a reason first, recorded before any data is shown; the instance’s admins read it', async (t) => {
  const app = await twoInstances(t)
  const ops = await operator(app)
  const ask = await ops.get('/operator/tenants/acme')
  t.equal(ask.statusCode, 200)
  t.match(ask.body, /Look into Acme/)
  t.match(ask.body, /Say why you need to/)
  t.notMatch(ask.body, /bob@acme\.com|Bob Acmeson/, 'nothing of the instance’s data before a reason')

  for (const reason of ['', '   ', 'why', 'x'.repeat(501), 'bad\u0000reason here']) {
    const refused = await ops.submit('/operator/tenants/acme', { reason })
    t.equal(refused.statusCode, 400, `refused: ${JSON.stringify(reason.slice(0, 20))}`)
    // A NUL is refused before the route, for every route alike; the others next to the field.
    t.match(refused.body, reason.includes('\u0000') ? /The request holds a NUL character/ : /id="reason-error" role="alert">/)
    t.notMatch(refused.body, /bob@acme\.com|Bob Acmeson|mia@acme\.com/)
  }
  t.equal((await auditEntries(app)).length, 0, 'refused looks are not recorded: there was no look')

  const tokens = app.kaiku.orm.em.fork()
  const acmeId = (await app.tenancy.bySlug(tokens, 'acme'))!.id
  const globexId = (await app.tenancy.bySlug(tokens, 'globex'))!.id
  issueToken(tokens, { tenantId: acmeId, kind: 'invite', email: 'newcomer@acme.com' })
  issueToken(tokens, { tenantId: globexId, kind: 'invite', email: 'other@globex.com' })
  issueToken(tokens, { tenantId: globexId, kind: 'invite', email: 'another@globex.com' })
  await tokens.flush()

  const reason = 'Support ticket 4711: Bob cannot sign in'
  const look = await ops.submit('/operator/tenants/acme', { reason: `  Support ticket 4711:\r\nBob cannot sign in ` })
  t.equal(look.statusCode, 200)
  t.match(look.body, /Read-only\. This look was recorded at \d{4}-\d\d-\d\d \d\d:\d\d UTC/)
  t.match(look.body, /Bob Acmeson[\s\S]*bob@acme\.com[\s\S]*Admin/, 'members with their address and role')
  t.match(look.body, /Mia Member[\s\S]*mia@acme\.com/)
  t.match(look.body, /Never/, 'members who never signed in say so')
  t.match(look.body, /Members<\/dt><dd>3</)
  t.match(look.body, /Pending invitations<\/dt><dd>1</, 'acme’s invitations only')
  t.notMatch(look.body, /newcomer@acme\.com/, 'counted, not listed')
  t.notMatch(look.body, /gina@globex\.com|Gina Globexer/, 'only the instance asked about')
  t.notMatch(look.body, /passwordHash|scrypt\$/, 'never a password hash')
  const [entry] = await auditEntries(app)
  const acme = await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'acme')
  t.match(entry, { tenantId: acme!.id, operatorName: 'Olivia Owner', action: 'inspect.members', reason })
  t.match(entry.subject, /members/)

  await ops.submit('/operator/tenants/globex', { reason: 'Globex asked for a check of its owner account' })
  t.equal((await auditEntries(app)).length, 2)

  const bob = await signIn(app, 'acme.localhost', 'bob@acme.com', 'bobs long passphrase')
  const acmeLog = await bob.get('/admin/audit')
  t.equal(acmeLog.statusCode, 200)
  t.match(acmeLog.body, /Viewed the members[\s\S]*Olivia Owner[\s\S]*\d{4}, \d\d:\d\d<[\s\S]*Support ticket 4711: Bob cannot sign in/, 'who, what, when and why')
  t.notMatch(acmeLog.body, /Globex asked/, 'another instance’s entries never appear')
  t.match(acmeLog.body, /<a href="\/admin\/audit"[^>]*>Audit log<\/a>/, 'admins find it in the nav')

  const gina = await signIn(app, 'globex.localhost', 'gina@globex.com', 'ginas long passphrase')
  const globexLog = await gina.get('/admin/audit')
  t.match(globexLog.body, /Globex asked for a check of its owner account/)
  t.notMatch(globexLog.body, /Support ticket 4711/, 'acme’s entry is not in globex’s log')

  const mia = await signIn(app, 'acme.localhost', 'mia@acme.com', 'mias long passphrase')
  const denied = await mia.get('/admin/audit')
  t.equal(denied.statusCode, 403, 'plain members do not read the audit log')
  t.notMatch(denied.body, /Support ticket/)
  t.notMatch((await mia.get('/')).body, />Audit log</, 'nor see it in the nav')
  const anonymous = await client(app, 'acme.localhost').get('/admin/audit')
  t.equal(anonymous.headers.location, '/login?next=%2Fadmin%2Faudit')
})

t.test('troubleshooting: when the audit entry cannot be written, no data is shown', async (t) => {
  const app = await twoInstances(t)
  const ops = await operator(app)
  let failing = true
  app.kaiku.orm.em.getEventManager().registerSubscriber({
    getSubscribedEntities: () => [AuditEntry],
    beforeCreate: async () => {
      if (failing) throw new Error('audit log unavailable')
    }
  })
  const look = await ops.submit('/operator/tenants/acme', { reason: 'Checking why Bob cannot sign in' })
  t.equal(look.statusCode, 500)
  t.notMatch(look.body, /bob@acme\.com|Bob Acmeson|mia@acme\.com/, 'the look fails before reading anything')
  t.equal((await auditEntries(app)).length, 0)
  failing = false
  const retry = await ops.submit('/operator/tenants/acme', { reason: 'Checking why Bob cannot sign in' })
  t.equal(retry.statusCode, 200)
  t.match(retry.body, /bob@acme\.com/)
  t.equal((await auditEntries(app)).length, 1)
})

t.test('troubleshooting from a bare host that serves another instance reads the instance named, and says so', async (t) => {
  const app = await twoInstances(t, { KAIKU_DEFAULT_TENANT: 'acme' })
  const ops = await operator(app)
  const look = await ops.submit('/operator/tenants/globex', { reason: 'Globex owner cannot invite colleagues' })
  t.equal(look.statusCode, 200)
  t.match(look.body, /Gina Globexer[\s\S]*gina@globex\.com/)
  t.notMatch(look.body, /bob@acme\.com|mia@acme\.com|olivia@acme\.com/, 'not the instance the bare host serves')
  const globex = await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'globex')
  const entries = await auditEntries(app)
  t.same(entries.map((e) => e.tenantId), [globex!.id], 'the entry belongs to the instance looked into')
})

t.test('CSRF holds on every console POST: without a token, or with another session’s, nothing changes', async (t) => {
  const app = await twoInstances(t)
  const ops = await operator(app)
  const stranger = client(app, 'localhost')
  const strangerToken = /name="_csrf" value="([^"]+)"/.exec((await stranger.get('/operator/login')).body)![1]
  const posts: [string, Record<string, string>][] = [
    ['/operator/tenants', { slug: 'initech', name: 'Initech', domains: 'initech.com' }],
    ['/operator/tenants/globex/suspend', {}],
    ['/operator/tenants/globex/domains', { domain: 'globex.de' }],
    ['/operator/tenants/globex/domains/remove', { domain: 'globex.com' }],
    ['/operator/tenants/globex', { reason: 'a perfectly good reason' }]
  ]
  for (const [url, fields] of posts) {
    for (const [label, extra] of [['no token', {}], ['another session’s token', { _csrf: strangerToken }]] as const) {
      const response = await app.inject({ method: 'POST', url, headers: { ...html, host: 'localhost', cookie: ops.cookie }, payload: { ...fields, ...extra } })
      t.equal(response.statusCode, 403, `${url}: ${label}`)
      t.notMatch(response.body, /gina@globex\.com/)
    }
  }
  await app.kaiku.orm.em.fork().nativeUpdate(Tenant, { slug: 'globex' }, { status: 'suspended' })
  app.tenancyCache.clear()
  const activate = await app.inject({ method: 'POST', url: '/operator/tenants/globex/activate', headers: { ...html, host: 'localhost', cookie: ops.cookie }, payload: {} })
  t.equal(activate.statusCode, 403, '/operator/tenants/globex/activate: no token')
  t.equal((await tenantRow(app, 'globex')).status, 'suspended', 'still suspended')
  await app.kaiku.orm.em.fork().nativeUpdate(Tenant, { slug: 'globex' }, { status: 'active' })

  t.equal(await app.tenancy.count(app.kaiku.orm.em.fork()), 2, 'no instance created')
  t.same((await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'globex'))!.domains, ['globex.com'], 'domains unchanged')
  t.equal((await auditEntries(app)).length, 0, 'no look taken')

  const login = await app.inject({ method: 'POST', url: '/operator/login', headers: { ...html, host: 'localhost', cookie: stranger.cookie }, payload: { email: owner.email, password: owner.password } })
  t.equal(login.statusCode, 403, 'the sign-in form too')
  t.equal((await stranger.get('/operator')).statusCode, 303, 'and it signed nobody in')
})

t.test('every message key in the operator and audit pages exists', async (t) => {
  const app = await buildAuth(t)
  for (const view of ['operator-login', 'operator', 'operator-reason', 'operator-tenant', 'audit']) {
    const text = readFileSync(join(repoRoot, 'plugins', 'auth', 'views', `${view}.hbs`), 'utf8')
    for (const [, key] of text.matchAll(/\{\{t "([^"]+)"/g)) t.ok(app.kaiku.catalogue.has(key), `${key} (${view}.hbs)`)
  }
  for (const key of ['operator.status.active', 'operator.status.suspended', 'operator.role.owner', 'operator.role.admin', 'operator.role.curator', 'operator.role.member', 'operator.memberStatus.unverified', 'operator.memberStatus.active', 'operator.memberStatus.suspended', 'audit.action.inspect.members']) {
    t.ok(app.kaiku.catalogue.has(`auth.${key}`), key)
  }
})

t.test("the operator's mailbox: reading a mail sent for an instance is recorded in that instance's audit log, once per look", async (t) => {
  const app = await twoInstances(t)
  const ops = await operator(app)
  await client(app, 'acme.localhost').submit('/login/link', { email: 'mia@acme.com' })
  const { MailRecord } = await import('../../../core/mail/mail.entity.js')
  const [mail] = await app.kaiku.orm.em.fork().find(MailRecord, { recipient: 'mia@acme.com' })
  const acme = await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'acme')
  t.equal(mail.sentFor, acme!.id, 'the mail knows its instance')
  t.match((await ops.get('/operator/mail')).body, /mia@acme\.com/, 'the list shows who and what, and records nothing')
  t.equal((await auditEntries(app)).length, 0)

  t.equal((await ops.get(`/operator/mail/${mail.id}`)).statusCode, 200)
  t.equal((await ops.get(`/operator/mail/${mail.id}/html`)).statusCode, 200)
  const entries = await auditEntries(app)
  t.equal(entries.length, 1, 'the page and its HTML part are one look')
  t.match(entries[0], { tenantId: acme!.id, operatorName: 'Olivia Owner', action: 'read.mail', reason: '' })
  t.match(entries[0].subject, /Your sign-in link – Acme \(mia@acme\.com\)/)

  const bob = await signIn(app, 'acme.localhost', 'bob@acme.com', 'bobs long passphrase')
  const log = (await bob.get('/admin/audit')).body
  t.match(log, /Read a mail sent for the instance[\s\S]*Your sign-in link – Acme \(mia@acme\.com\)[\s\S]*Olivia Owner[\s\S]*None asked: opened in the operator’s mailbox/, 'the admins see who read what')
  const gina = await signIn(app, 'globex.localhost', 'gina@globex.com', 'ginas long passphrase')
  t.notMatch((await gina.get('/admin/audit')).body, /mia@acme\.com/, 'and only acme’s admins')

  // A long subject gives way to the address, so that an erasure finds it whole.
  await app.kaiku.orm.em.fork().nativeUpdate(MailRecord, { id: mail.id }, { subject: 'Very long '.repeat(30) })
  t.equal((await ops.get(`/operator/mail/${mail.id}`)).statusCode, 200)
  const long = (await auditEntries(app)).find((entry) => entry.subject.startsWith('Very long'))!
  t.equal(long.subject.length, 200)
  t.ok(long.subject.endsWith(' (mia@acme.com)'), 'the address kept whole at the end')

  // Mia is erased: the entries stay (an operator read a mail), without her address.
  const { eraseAuth } = await import('../../../plugins/auth/privacy.js')
  const mia = (await app.kaiku.orm.em.fork().findOneOrFail(Member, { email: 'mia@acme.com' }, { filters: false }))
  const em = app.kaiku.orm.em.fork()
  em.setFilterParams('tenant', { tenantId: acme!.id })
  await em.transactional((tx) => eraseAuth([], { em: tx, tenantId: acme!.id, memberId: mia.id, email: 'Mia@acme.com', name: mia.name, mode: 'erase' } as never))
  const after = await auditEntries(app)
  t.equal(after.length, 2)
  t.same(after.map((entry) => entry.subject.includes('mia@acme.com')), [false, false], 'her address is gone from the audit log')
  t.match(after[0].subject, /Your sign-in link – Acme \(\[former member\]\)/)
  t.equal(after[1].subject.length, 200, 'a long one still fits its column')
  t.match(after[1].subject, /^Very long Very long .* \(\[former member\]\)$/)
})
