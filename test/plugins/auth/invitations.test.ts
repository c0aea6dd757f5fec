import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { AuthToken } from '../../../plugins/auth/entities/token.entity.js'
import { html } from '../../helper.js'
import { buildAuth, client, owner, setUp, type App, addMember, signedIn } from './helpers.js'

const fork = (app: App) => app.kaiku.orm.em.fork()
const mails = (app: App) => fork(app).find(MailRecord, {}, { orderBy: { createdAt: 'asc', id: 'asc' } })
const invitationMails = async (app: App) => (await mails(app)).filter((mail) => mail.template === 'auth/invitation')
const membersAt = (app: App, email: string) => fork(app).find(Member, { email }, { filters: false })
const inviteTokens = (app: App) => fork(app).find(AuthToken, { kind: 'invite' }, { filters: false, orderBy: { createdAt: 'asc' } })

/** The path of the invitation link in a mail, on acme's own host. */
function linkIn(text: string): string {
  const match = /http:\/\/acme\.localhost(?::\d+)?(\/invite\/[A-Za-z0-9_-]{43})\b/.exec(text)
  if (!match) throw new Error(`no invitation link in: ${text}`)
  return match[1]
}

async function linkTo(app: App, email: string): Promise<string> {
  const mail = (await invitationMails(app)).filter((m) => m.recipient === email).at(-1)
  if (!mail) throw new Error(`no invitation mailed to ${email}`)
  return linkIn(mail.text)
}

/** Posts to `action` with a CSRF token from a page the client can open (a 410 page has no form). */
const postWithToken = (browser: ReturnType<typeof client>, action: string, fields: Record<string, string>) => browser.submit('/login/link', fields, action)

const admin = { email: 'ada@acme.com', name: 'Ada Admin', role: 'admin' as const, password: 'analytical engine 1843' }

t.test('an admin invites a pasted list: invalid reported, members skipped, the invitee joins from the mail', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await addMember(app, admin)
  const ada = await signedIn(app, admin.email, admin.password)

  const form = await ada.get('/admin/invitations')
  t.equal(form.statusCode, 200)
  t.match(form.body, /You are invited to our employee advocacy space/, 'the message starts as the instance’s default')
  t.notMatch(form.body, /<option value="admin"/, 'an admin cannot invite admins')
  t.notMatch(form.body, /<option value="owner"/)

  const sent = await ada.submit('/admin/invitations', {
    addresses: 'Grace Hopper <grace@navy.example>,\n not-an-address ; OLIVIA@Acme.com',
    role: 'curator',
    message: 'Hello Grace!\nWe share our news here.'
  })
  t.equal(sent.statusCode, 200, 'the form comes back, as one address needs fixing')
  t.match(sent.body, /These are not valid email addresses, so nothing was sent to them:/)
  t.match(sent.body, /<textarea id="addresses" name="addresses"[^>]*aria-invalid="true"[^>]*>not-an-address<\/textarea>/, 'only the invalid one stays in the field')
  t.match(sent.body, /Invitation sent to grace@navy\.example\./)
  t.match(sent.body, /Already members, so not invited: olivia@acme\.com\./)
  t.match(sent.body, /<option value="curator" selected>/, 'the chosen role is kept')

  const mailed = await invitationMails(app)
  t.same(mailed.map((m) => m.recipient), ['grace@navy.example'], 'one mail: none for the invalid address, none for the member')
  t.equal(mailed[0].subject, 'Ada Admin invites you to Acme')
  t.equal(mailed[0].sender, '"Acme" <kaiku@localhost>', "sent in the instance's name, from MAIL_FROM's address")
  t.match(mailed[0].text, /Hello Grace!\nWe share our news here\./, 'the edited message, line breaks kept')
  t.match(mailed[0].text, /Your role: Curator/)
  t.equal((await inviteTokens(app)).length, 1)

  const pending = await ada.get('/admin/invitations')
  t.match(pending.body, /grace@navy\.example[\s\S]*Invited by Ada Admin[\s\S]*Curator/, 'the pending list shows whom, as what, from whom')

  const grace = client(app, 'acme.localhost')
  const link = linkIn(mailed[0].text)
  const page = await grace.get(link)
  t.equal(page.statusCode, 200)
  t.match(page.body, /Ada Admin invites you to join Acme\. Your role: Curator\./)
  t.match(page.body, /Hello Grace!/)
  t.match(page.body, /Your account will use grace@navy\.example\./)

  const weak = await grace.submit(link, { name: 'Grace Hopper', password: 'password123', via: 'password' })
  t.equal(weak.statusCode, 400)
  t.match(weak.body, /This password is too common/)
  t.match(weak.body, /value="Grace Hopper"/)
  const control = await grace.submit(link, { name: 'Grace\u0007', password: 'compilers all the way', via: 'password' })
  t.match(control.body, /Use letters, digits and punctuation only\./)
  t.equal((await membersAt(app, 'grace@navy.example')).length, 0, 'refused forms create nobody and leave the link usable')

  const joined = await grace.submit(link, { name: 'Grace Hopper', password: 'compilers all the way', via: 'password' })
  t.equal(joined.statusCode, 303)
  t.equal(joined.headers.location, '/')
  const [member] = await membersAt(app, 'grace@navy.example')
  t.match(member, { name: 'Grace Hopper', role: 'curator', status: 'active' })
  t.ok(member.lastLoginAt, 'signed in')
  t.equal((await grace.get('/login')).statusCode, 303, 'the invitee’s browser is signed in')
  t.equal((await grace.get('/admin/members')).statusCode, 403, 'as a curator, not an admin')
  t.ok((await inviteTokens(app))[0].usedAt, 'the invitation is spent')
  t.notMatch((await ada.get('/admin/invitations')).body, /grace@navy\.example/, 'and no longer pending')

  const again = await client(app, 'acme.localhost').get(link)
  t.equal(again.statusCode, 410)
  t.match(again.body, /This invitation has expired, was withdrawn or was already used/)
  const replay = await postWithToken(client(app, 'acme.localhost'), link, { name: 'Mallory', password: 'another good passphrase', via: 'password' })
  t.equal(replay.statusCode, 410)
  t.equal((await membersAt(app, 'grace@navy.example')).length, 1, 'one account')
  t.equal((await fork(app).count(Member, { name: 'Mallory' }, { filters: false })), 0)
})

t.test('an invitee may join without a password and get a sign-in link instead', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const olivia = await signedIn(app, owner.email, owner.password)
  t.equal((await olivia.submit('/admin/invitations', { addresses: 'lin@partner.example', role: 'admin', message: 'Welcome <b>Lin</b>' })).statusCode, 303, 'an owner may invite admins')
  const [invitation] = await invitationMails(app)
  t.match(invitation.html, /Welcome &lt;b&gt;Lin&lt;\/b&gt;/, 'the message is text, never markup')
  const link = linkIn(invitation.text)
  const lin = client(app, 'acme.localhost')
  t.match((await lin.get(link)).body, /Welcome &lt;b&gt;Lin&lt;\/b&gt;/)
  const done = await lin.submit(link, { name: 'Lin', via: 'link' })
  t.equal(done.statusCode, 200)
  t.match(done.body, /A sign-in link is on its way to lin@partner\.example/)
  const [member] = await membersAt(app, 'lin@partner.example')
  t.match(member, { role: 'admin', status: 'active', passwordHash: null })
  const magic = (await mails(app)).find((m) => m.template === 'auth/magic-link' && m.recipient === 'lin@partner.example')!
  const signIn = /http:\/\/acme\.localhost(?::\d+)?(\/login\/link\/[A-Za-z0-9_-]{43})/.exec(magic.text)![1]
  t.equal((await lin.submit(signIn, {})).statusCode, 303)
  t.equal((await lin.get('/admin/members')).statusCode, 200, 'signed in, as an admin')
})

t.test('revoked, replaced, expired, used and other-instance links get 410 and create nothing', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const olivia = await signedIn(app, owner.email, owner.password)
  const invited = await olivia.submit('/admin/invitations', { addresses: 'a@x.example b@x.example c@x.example d@x.example e@x.example', role: 'member', message: 'Hi' })
  t.equal(invited.statusCode, 303)
  t.equal((await invitationMails(app)).length, 5)
  t.match((await olivia.get('/admin/invitations')).body, /Invitations sent to a@x\.example, b@x\.example, c@x\.example, d@x\.example, e@x\.example\./)
  const tokenOf = async (email: string) => (await inviteTokens(app)).find((token) => token.email === email)!
  const links = Object.fromEntries(await Promise.all(['a', 'b', 'c', 'd', 'e'].map(async (n) => [n, await linkTo(app, `${n}@x.example`)])))

  // Revoked.
  const revoked = await olivia.submit('/admin/invitations', {}, `/admin/invitations/${(await tokenOf('a@x.example')).id}/revoke`)
  t.equal(revoked.statusCode, 303)
  t.match((await olivia.get('/admin/invitations')).body, /The invitation to a@x\.example is revoked/)
  t.equal((await client(app, 'acme.localhost').get(links.a)).statusCode, 410)
  t.equal((await postWithToken(client(app, 'acme.localhost'), links.a, { name: 'A', password: 'a fine long password', via: 'password' })).statusCode, 410)

  // Resent: the old link stops, the new one works.
  const resent = await olivia.submit('/admin/invitations', {}, `/admin/invitations/${(await tokenOf('b@x.example')).id}/resend`)
  t.equal(resent.statusCode, 303)
  const newLink = await linkTo(app, 'b@x.example')
  t.not(newLink, links.b)
  t.equal((await invitationMails(app)).length, 6, 'one more mail')
  t.equal((await client(app, 'acme.localhost').get(links.b)).statusCode, 410, 'the earlier link is dead')
  t.equal((await postWithToken(client(app, 'acme.localhost'), links.b, { name: 'B', password: 'a fine long password', via: 'password' })).statusCode, 410)
  t.equal((await client(app, 'acme.localhost').get(newLink)).statusCode, 200, 'the new one works')

  // Invited again from the form (a typo fixed in the list, say): the admin is told the first link stopped.
  const again = await olivia.submit('/admin/invitations', { addresses: 'c@x.example f@x.example', role: 'member', message: 'Hi again' })
  t.equal(again.statusCode, 303)
  const flashed = (await olivia.get('/admin/invitations')).body
  t.match(flashed, /Invited before: c@x\.example\. The earlier invitation was withdrawn, and only the link in the new one works\./)
  t.notMatch(flashed, /Invited before: [^<]*f@x\.example/, 'a first invitation is no replacement')
  t.equal((await client(app, 'acme.localhost').get(links.c)).statusCode, 410, 'as it says')
  links.c = await linkTo(app, 'c@x.example')

  // Used.
  t.equal((await client(app, 'acme.localhost').submit(links.c, { name: 'C', password: 'a fine long password', via: 'password' })).statusCode, 303)
  t.equal((await postWithToken(client(app, 'acme.localhost'), links.c, { name: 'C again', password: 'a fine long password', via: 'link' })).statusCode, 410)

  // Expired.
  const em = fork(app)
  await em.nativeUpdate(AuthToken, { email: 'e@x.example' }, { expiresAt: new Date(Date.now() - 1000) }, { filters: false })
  t.equal((await client(app, 'acme.localhost').get(links.e)).statusCode, 410)
  t.equal((await postWithToken(client(app, 'acme.localhost'), links.e, { name: 'E', password: 'a fine long password', via: 'password' })).statusCode, 410)
  t.match((await olivia.get('/admin/invitations')).body, /e@x\.example[\s\S]*?Expired/, 'listed as expired, to resend or revoke')

  // Another instance's host.
  await app.tenancy.create(fork(app), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const globex = client(app, 'globex.localhost')
  const elsewhere = await globex.get(links.d)
  t.equal(elsewhere.statusCode, 410)
  t.notMatch(elsewhere.body, /Acme|Olivia/, 'nothing of acme shows on globex')
  t.equal((await postWithToken(globex, links.d, { name: 'D', password: 'a fine long password', via: 'password' })).statusCode, 410)
  t.equal((await client(app, 'acme.localhost').get(links.d)).statusCode, 200, 'the link still works at home, so nothing spent it')

  const created = await fork(app).find(Member, {}, { filters: false })
  t.same(created.map((m) => m.email).sort(), ['c@x.example', 'olivia@acme.com'], 'only the one real acceptance made an account')
})

t.test('an invitee who is already a member gets one account and is told so', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const olivia = await signedIn(app, owner.email, owner.password)
  await olivia.submit('/admin/invitations', { addresses: 'sam@partner.example', role: 'member', message: 'Hi' })
  const link = await linkTo(app, 'sam@partner.example')
  await addMember(app, { email: 'sam@partner.example', name: 'Sam', role: 'member', password: 'sam has a password' })
  const sam = client(app, 'acme.localhost')
  const page = await sam.get(link)
  t.match(page.body, /sam@partner\.example already has an account at Acme, so no second one was made/)
  const posted = await postWithToken(sam, link, { name: 'Sam Again', password: 'another long password', via: 'password' })
  t.match(posted.body, /already has an account at Acme/)
  t.equal((await sam.get('/login')).statusCode, 200, 'not signed in by the invitation')
  const accounts = await membersAt(app, 'sam@partner.example')
  t.equal(accounts.length, 1)
  t.equal(accounts[0].name, 'Sam', 'the existing account is untouched')
  const resend = await olivia.submit('/admin/invitations', { addresses: 'sam@partner.example', role: 'member', message: 'Hi' })
  t.match((await olivia.get('/admin/invitations')).body, /Already members, so not invited: sam@partner\.example/)
  t.equal(resend.statusCode, 303)
})

t.test('members and curators get 403 and change nothing; admins cannot invite admins', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await addMember(app, admin)
  await addMember(app, { email: 'mia@acme.com', name: 'Mia Member', role: 'member', password: 'members only please' })
  await addMember(app, { email: 'cy@acme.com', name: 'Cy Curator', role: 'curator', password: 'curators only please' })
  const olivia = await signedIn(app, owner.email, owner.password)
  await olivia.submit('/admin/invitations', { addresses: 'pending@x.example', role: 'member', message: 'Hi' })
  const token = (await inviteTokens(app))[0]

  for (const [email, password] of [['mia@acme.com', 'members only please'], ['cy@acme.com', 'curators only please']]) {
    const browser = await signedIn(app, email, password)
    const page = await browser.get('/admin/invitations')
    t.equal(page.statusCode, 403, `${email}: invitations page`)
    t.notMatch(page.body, /pending@x\.example/)
    t.equal((await browser.get('/admin/members')).statusCode, 403, `${email}: members page`)
    t.equal((await postWithToken(browser, '/admin/invitations', { addresses: 'friend@x.example', role: 'member', message: 'Hi' })).statusCode, 403)
    t.equal((await postWithToken(browser, `/admin/invitations/${token.id}/revoke`, {})).statusCode, 403)
    t.equal((await postWithToken(browser, `/admin/invitations/${token.id}/resend`, {})).statusCode, 403)
  }
  t.same((await invitationMails(app)).map((m) => m.recipient), ['pending@x.example'], 'no mail sent by them')
  t.same((await inviteTokens(app)).map((tk) => tk.id), [token.id], 'the invitation is untouched')

  const anonymous = await client(app, 'acme.localhost').get('/admin/invitations')
  t.equal(anonymous.statusCode, 303)
  t.equal(anonymous.headers.location, '/login?next=%2Fadmin%2Finvitations')

  const ada = await signedIn(app, admin.email, admin.password)
  const refused = await ada.submit('/admin/invitations', { addresses: 'boss@x.example', role: 'admin', message: 'Hi' })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, /Only an owner can invite admins\./)
  const owners = await ada.submit('/admin/invitations', { addresses: 'boss@x.example', role: 'owner', message: 'Hi' })
  t.equal(owners.statusCode, 400)
  const badMessage = await ada.submit('/admin/invitations', { addresses: 'boss@x.example', role: 'member', message: 'x'.repeat(2001) })
  t.match(badMessage.body, /This is too long\./)
  const empty = await ada.submit('/admin/invitations', { addresses: ' ,; ', role: 'member', message: 'Hi' })
  t.match(empty.body, /Enter at least one email address\./)
  t.equal((await invitationMails(app)).length, 1, 'refused batches send nothing')
})

t.test('CSRF: no token or another session’s token is 403 and sends nothing', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const olivia = await signedIn(app, owner.email, owner.password)
  await olivia.submit('/admin/invitations', { addresses: 'keep@x.example', role: 'member', message: 'Hi' })
  const token = (await inviteTokens(app))[0]
  const post = (url: string, payload: Record<string, string>, cookie = olivia.cookie) =>
    app.inject({ method: 'POST', url, headers: { ...html, host: 'acme.localhost', cookie }, payload })
  const otherForm = await client(app, 'acme.localhost').get('/login')
  const foreign = /name="_csrf" value="([^"]+)"/.exec(otherForm.body)![1]

  for (const csrf of [undefined, foreign]) {
    const fields: Record<string, string> = csrf ? { _csrf: csrf } : {}
    t.equal((await post('/admin/invitations', { ...fields, addresses: 'evil@x.example', role: 'member', message: 'x' })).statusCode, 403)
    t.equal((await post(`/admin/invitations/${token.id}/revoke`, fields)).statusCode, 403)
    t.equal((await post(`/admin/invitations/${token.id}/resend`, fields)).statusCode, 403)
  }
  const link = await linkTo(app, 'keep@x.example')
  t.equal((await post(link, { name: 'Keep', password: 'a fine long password', via: 'password' }, '')).statusCode, 403, 'accepting needs the token too')
  t.same((await invitationMails(app)).map((m) => m.recipient), ['keep@x.example'])
  t.same((await inviteTokens(app)).map((tk) => [tk.id, tk.usedAt]), [[token.id, null]])
  t.equal((await membersAt(app, 'keep@x.example')).length, 0)
})

t.test('invitations are limited to 200 addresses an hour per admin, and 200 per paste', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  const olivia = await signedIn(app, owner.email, owner.password)
  const list = (from: number, count: number) => Array.from({ length: count }, (_, i) => `person${from + i}@x.example`).join('\n')
  const tooMany = await olivia.submit('/admin/invitations', { addresses: list(0, 201), role: 'member', message: 'Hi' })
  t.equal(tooMany.statusCode, 400)
  t.match(tooMany.body, /At most 200 addresses at once/)
  t.equal((await invitationMails(app)).length, 0)

  t.equal((await olivia.submit('/admin/invitations', { addresses: list(0, 199), role: 'member', message: 'Hi' })).statusCode, 303)
  const limited = await olivia.submit('/admin/invitations', { addresses: list(199, 3), role: 'member', message: 'Hi' })
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.match(limited.body, /Invitation sent to person199@x\.example\./, 'one, in the singular')
  t.match(limited.body, /Not sent to person200@x\.example, person201@x\.example: you can send 200 invitations an hour/)
  t.match(limited.body, />person200@x\.example\nperson201@x\.example<\/textarea>/, 'what was not sent stays in the field')
  t.equal((await invitationMails(app)).length, 200)
})
