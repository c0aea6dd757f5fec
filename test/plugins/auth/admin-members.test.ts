import { randomUUID } from 'node:crypto'
import t from 'tap'
import { SessionRecord } from '../../../core/db/session.entity.js'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { AuthToken } from '../../../plugins/auth/entities/token.entity.js'
import { html } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App, addMember } from './helpers.js'

const fork = (app: App) => app.kaiku.orm.em.fork()
const memberAt = async (app: App, email: string) => fork(app).findOne(Member, { email }, { filters: false })

async function signedIn(app: App, email: string, password: string) {
  const browser = client(app, 'acme.localhost')
  const response = await browser.submit('/login', { email, password })
  if (response.statusCode !== 303) throw new Error(`login of ${email} failed: ${response.statusCode}`)
  return browser
}

type Browser = ReturnType<typeof client>
/** An action button's POST, with the CSRF token of the members page (or of any page, for those who may not open it). */
const act = (browser: Browser, id: string, action: string, fields: Record<string, string> = {}, page = '/admin/members') =>
  browser.submit(page, fields, `/admin/members/${id}/${action}`)
/** The flash messages the next page shows. */
const flashes = async (browser: Browser) => [...(await browser.get('/admin/members')).body.matchAll(/<p class="flash flash--(\w+)">([^<]+)<\/p>/g)].map((m) => `${m[1]}: ${m[2]}`)

const people = {
  ada: { email: 'ada@acme.com', name: 'Ada Admin', role: 'admin' as const, password: 'analytical engine 1843' },
  alan: { email: 'alan@acme.com', name: 'Alan Admin', role: 'admin' as const, password: 'turing complete 1936' },
  mia: { email: 'mia@acme.com', name: 'Mia Member', role: 'member' as const, password: 'members only please' },
  bob: { email: 'bob@acme.com', name: 'Bob Member', role: 'member' as const, password: 'bobs long password' }
}

t.test('the members table, and role changes within each role’s powers', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const olivia = await memberAt(app, owner.email)
  const ada = await addMember(app, people.ada)
  const alan = await addMember(app, people.alan)
  const mia = await addMember(app, people.mia)
  const asOwner = await signedIn(app, owner.email, owner.password)
  const asAda = await signedIn(app, people.ada.email, people.ada.password)

  const table = await asOwner.get('/admin/members')
  t.equal(table.statusCode, 200)
  t.match(table.body, /Mia Member[\s\S]*mia@acme\.com[\s\S]*Active[\s\S]*Never/, 'name, email, status and last sign-in')
  t.match(table.body, /Olivia Owner<\/span> <span class="muted">\(you\)/)
  t.match(table.body, new RegExp(`action="/admin/members/${mia.id}/suspend"`))

  const adaPage = await asAda.get('/admin/members')
  t.notMatch(adaPage.body, new RegExp(`/admin/members/${olivia!.id}/`), 'an admin gets no buttons for an owner')
  t.notMatch(adaPage.body, new RegExp(`/admin/members/${alan.id}/`), 'nor for another admin')
  t.match(adaPage.body, new RegExp(`/admin/members/${mia.id}/role`))
  t.notMatch(adaPage.body, /<option value="admin"/, 'and cannot offer the admin role')

  t.equal((await act(asAda, mia.id, 'role', { role: 'curator' })).statusCode, 303)
  t.same(await flashes(asAda), ['success: Mia Member is now Curator.'])
  t.equal((await memberAt(app, 'mia@acme.com'))!.role, 'curator')

  t.equal((await act(asAda, mia.id, 'role', { role: 'admin' })).statusCode, 403, 'admins cannot grant admin')
  t.equal((await act(asAda, alan.id, 'role', { role: 'member' })).statusCode, 403, 'nor take it away')
  t.equal((await act(asAda, olivia!.id, 'role', { role: 'member' })).statusCode, 403, 'nor touch an owner')
  t.equal((await act(asAda, olivia!.id, 'suspend')).statusCode, 403)
  t.equal((await act(asAda, olivia!.id, 'remove')).statusCode, 403)
  t.equal((await asAda.get(`/admin/members/${olivia!.id}/remove`)).statusCode, 403, 'not even the question')
  t.equal((await act(asAda, mia.id, 'role', { role: 'boss' })).statusCode, 400, 'an unknown role is refused')
  t.match(await memberAt(app, 'mia@acme.com'), { role: 'curator' })
  t.match(await memberAt(app, 'alan@acme.com'), { role: 'admin', status: 'active' })
  t.match(await memberAt(app, owner.email), { role: 'owner', status: 'active' })

  t.equal((await act(asOwner, mia.id, 'role', { role: 'admin' })).statusCode, 303, 'owners may grant admin')
  t.equal((await memberAt(app, 'mia@acme.com'))!.role, 'admin')
  t.equal((await act(asOwner, ada.id, 'role', { role: 'member' })).statusCode, 303, 'and take it away')
  t.equal((await asAda.get('/admin/members')).statusCode, 403, 'at once: Ada’s next request is a member’s')
})

t.test('suspension ends every session and refuses sign-in; reactivation lets the member back', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const mia = await addMember(app, people.mia)
  const asOwner = await signedIn(app, owner.email, owner.password)
  const asMia = await signedIn(app, people.mia.email, people.mia.password)
  const secondBrowser = await signedIn(app, people.mia.email, people.mia.password)
  t.equal((await asMia.get('/login')).statusCode, 303, 'Mia is signed in')
  t.equal(await fork(app).count(SessionRecord, { subject: `member:${mia.id}` }), 2)

  t.equal((await act(asOwner, mia.id, 'suspend')).statusCode, 303)
  t.same(await flashes(asOwner), ['success: Mia Member is suspended and signed out everywhere.'])
  t.match(await memberAt(app, 'mia@acme.com'), { status: 'suspended', epoch: mia.epoch + 1 })
  t.equal(await fork(app).count(SessionRecord, { subject: `member:${mia.id}` }), 0, 'her sessions are gone')
  const after = await asMia.get('/login')
  t.equal(after.statusCode, 200, 'her browser is anonymous now')
  t.notMatch(after.body, /Mia Member/)
  t.equal((await secondBrowser.get('/login')).statusCode, 200, 'in every browser')
  const refused = await client(app, 'acme.localhost').submit('/login', { email: people.mia.email, password: people.mia.password })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, /That email and password do not match an account here\./)
  t.match((await asOwner.get('/admin/members')).body, new RegExp(`action="/admin/members/${mia.id}/reactivate"`))

  t.equal((await act(asOwner, mia.id, 'reactivate')).statusCode, 303)
  t.same(await flashes(asOwner), ['success: Mia Member can sign in again.'])
  t.equal((await memberAt(app, 'mia@acme.com'))!.status, 'active')
  t.equal((await client(app, 'acme.localhost').submit('/login', { email: people.mia.email, password: people.mia.password })).statusCode, 303)
})

t.test('removal deletes the member, ends their sessions and kills their pending links', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const mia = await addMember(app, people.mia)
  const asOwner = await signedIn(app, owner.email, owner.password)
  const asMia = await signedIn(app, people.mia.email, people.mia.password)
  await client(app, 'acme.localhost').submit('/login/link', { email: people.mia.email })
  const mail = (await fork(app).find(MailRecord, { recipient: people.mia.email }))[0]
  const link = /http:\/\/acme\.localhost(?::\d+)?(\/login\/link\/[A-Za-z0-9_-]{43})/.exec(mail.text)![1]

  const confirm = await asOwner.get(`/admin/members/${mia.id}/remove`)
  t.equal(confirm.statusCode, 200)
  t.match(confirm.body, /Remove Mia Member\?/)
  t.ok(await memberAt(app, 'mia@acme.com'), 'asking changes nothing')
  t.equal((await act(asOwner, mia.id, 'remove', {}, `/admin/members/${mia.id}/remove`)).statusCode, 303)
  t.same(await flashes(asOwner), ['success: Mia Member (mia@acme.com) is removed.'])
  t.equal(await memberAt(app, 'mia@acme.com'), null, 'no row left')
  t.equal(await fork(app).count(AuthToken, { memberId: mia.id }, { filters: false }), 0)
  t.equal(await fork(app).count(SessionRecord, { subject: `member:${mia.id}` }), 0)
  t.equal((await asMia.get('/login')).statusCode, 200, 'her browser is anonymous')
  t.equal((await client(app, 'acme.localhost').get(link)).statusCode, 410, 'her sign-in link no longer works')
  t.notMatch((await asOwner.get('/admin/members')).body, /mia@acme\.com/)
})

t.test('an instance keeps an active owner: the last one cannot be demoted, suspended or removed', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const olivia = (await memberAt(app, owner.email))!
  const bob = await addMember(app, people.bob)
  const asOwner = await signedIn(app, owner.email, owner.password)

  t.equal((await act(asOwner, olivia.id, 'role', { role: 'admin' })).statusCode, 303)
  t.same(await flashes(asOwner), ['error: An instance needs at least one active owner: make someone else an owner first.'])
  await act(asOwner, olivia.id, 'suspend')
  t.same(await flashes(asOwner), ['error: You cannot suspend or remove your own account.'])
  await act(asOwner, olivia.id, 'remove')
  t.same(await flashes(asOwner), ['error: You cannot suspend or remove your own account.'])
  t.match(await memberAt(app, owner.email), { role: 'owner', status: 'active' })

  // With a second owner who is suspended, Olivia is still the only active one.
  await act(asOwner, bob.id, 'role', { role: 'owner' })
  await act(asOwner, bob.id, 'suspend')
  t.match(await memberAt(app, 'bob@acme.com'), { role: 'owner', status: 'suspended' })
  await act(asOwner, olivia.id, 'role', { role: 'member' })
  t.same(await flashes(asOwner), ['error: An instance needs at least one active owner: make someone else an owner first.'])
  t.equal((await memberAt(app, owner.email))!.role, 'owner')

  // Bob back: now Olivia may step down, and Bob is the last owner.
  await act(asOwner, bob.id, 'reactivate')
  const down = await act(asOwner, olivia.id, 'role', { role: 'admin' })
  t.equal(down.headers.location, '/admin/members', 'still an admin, so back to the page')
  t.same(await flashes(asOwner), ['success: Olivia Owner is now Admin.'])
  t.equal((await act(asOwner, bob.id, 'role', { role: 'member' })).statusCode, 403, 'an admin cannot demote the last owner')
  const asBob = await signedIn(app, people.bob.email, people.bob.password)
  await act(asBob, bob.id, 'role', { role: 'member' })
  t.same(await flashes(asBob), ['error: An instance needs at least one active owner: make someone else an owner first.'])
  t.match(await memberAt(app, 'bob@acme.com'), { role: 'owner', status: 'active' })
})

t.test('another instance’s member is a 404, like a random id, and stays untouched', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await app.tenancy.create(fork(app), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const hank = await addMember(app, { email: 'hank@globex.com', name: 'Hank Globex', role: 'member', password: 'globex password 1' }, 'globex')
  const asOwner = await signedIn(app, owner.email, owner.password)
  t.notMatch((await asOwner.get('/admin/members')).body, /Hank|globex/)
  for (const action of ['suspend', 'remove', 'reactivate']) {
    const theirs = await act(asOwner, hank.id, action)
    const random = await act(asOwner, randomUUID(), action)
    t.equal(theirs.statusCode, 404, action)
    t.equal(random.statusCode, 404)
    t.notMatch(theirs.body, /Hank/)
  }
  t.equal((await act(asOwner, hank.id, 'role', { role: 'admin' })).statusCode, 404)
  t.match(await memberAt(app, 'hank@globex.com'), { role: 'member', status: 'active', epoch: 0 })
})

t.test('members get 403; CSRF: no token or another session’s token is 403 and changes nothing', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const mia = await addMember(app, people.mia)
  const bob = await addMember(app, people.bob)
  const olivia = (await memberAt(app, owner.email))!
  const asMia = await signedIn(app, people.mia.email, people.mia.password)
  const forbidden = await asMia.get('/admin/members')
  t.equal(forbidden.statusCode, 403)
  t.notMatch(forbidden.body, /bob@acme\.com/)
  for (const [id, action, fields] of [[bob.id, 'suspend', {}], [bob.id, 'remove', {}], [mia.id, 'role', { role: 'admin' }], [olivia.id, 'role', { role: 'member' }]] as const) {
    t.equal((await act(asMia, id, action, fields, '/login/link')).statusCode, 403, `a member cannot ${action}`)
  }

  const asOwner = await signedIn(app, owner.email, owner.password)
  const post = (url: string, payload: Record<string, string>) => app.inject({ method: 'POST', url, headers: { ...html, host: 'acme.localhost', cookie: asOwner.cookie }, payload })
  const foreign = /name="_csrf" value="([^"]+)"/.exec((await asMia.get('/login/link')).body)![1]
  for (const fields of [{}, { _csrf: foreign }] as Record<string, string>[]) {
    t.equal((await post(`/admin/members/${bob.id}/suspend`, fields)).statusCode, 403)
    t.equal((await post(`/admin/members/${bob.id}/remove`, fields)).statusCode, 403)
    t.equal((await post(`/admin/members/${bob.id}/role`, { ...fields, role: 'admin' })).statusCode, 403)
  }
  t.match(await memberAt(app, 'bob@acme.com'), { role: 'member', status: 'active', epoch: 0 })
  t.match(await memberAt(app, 'mia@acme.com'), { role: 'member', status: 'active' })
  t.match(await memberAt(app, owner.email), { role: 'owner' })
})
