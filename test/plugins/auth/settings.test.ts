import t from 'tap'
import { InvalidInputError } from '../../../core/api.js'
import { Tenant } from '../../../plugins/tenancy/entities/tenant.entity.js'
import { build, html, type TestLike } from '../../helper.js'
import { client, setUp, type App, addMember, signedIn } from './helpers.js'

const buildWithSettings = (t: TestLike) => build(t, { plugins: ['tenancy', 'auth'] })

const fork = (app: App) => app.kaiku.orm.em.fork()
const tenantRow = async (app: App, slug: string) => {
  const row = await fork(app).findOne(Tenant, { slug })
  if (!row) throw new Error(`no tenant ${slug}`)
  const { name, brandName, brandColour, invitationMessage, timeZone, locale, updatedAt } = row
  return { name, brandName, brandColour, invitationMessage, timeZone, locale, updatedAt: updatedAt.toISOString() }
}

const admin = { email: 'ada@acme.com', name: 'Ada Admin', role: 'admin' as const, password: 'analytical engine 1843' }
const member = { email: 'max@acme.com', name: 'Max Member', role: 'member' as const, password: 'plain member password 1' }

const good = {
  name: 'Acme Oy',
  brandName: 'Acme Advocates',
  brandColour: '#aa3300',
  brandColourText: '#aa3300',
  brandColourWas: '#0f766e',
  invitationMessage: 'Join Acme Advocates!\nOur news, ready to share.',
  timeZone: 'Europe/Helsinki',
  locale: 'en-GB'
}

const brandInHeader = (body: string) => /<span class="brand__name">([^<]*)<\/span>/.exec(body)?.[1]

t.test('an admin renames and recolours the instance: the header and the invitation form follow; another instance is untouched', async (t) => {
  const app = await buildWithSettings(t)
  await setUp(app)
  await app.tenancy.create(fork(app), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const globexBefore = await tenantRow(app, 'globex')
  await addMember(app, admin)
  const ada = await signedIn(app, admin.email, admin.password)

  const form = await ada.get('/admin/settings')
  t.equal(form.statusCode, 200)
  t.match(form.body, /<a href="\/admin\/settings"[^>]*>Settings<\/a>/, 'admins find the page in the navigation')
  t.match(form.body, /<input id="name" name="name" type="text" value="Acme"/, 'prefilled from the instance')
  t.match(form.body, /<input id="brandColour" name="brandColour" type="color" value="#0f766e"/, 'a colour picker')
  t.match(form.body, /<input id="brandColourText" name="brandColourText" type="text" value="#0f766e"/, 'and the colour as text')
  t.match(form.body, /<textarea id="invitationMessage"[^>]*>You are invited to our employee advocacy space/)
  t.match(form.body, /<input id="timeZone" name="timeZone" type="text" value="[^"]+" list="time-zones"/)
  t.match(form.body, /<option value="Europe\/Helsinki">/, 'time zones are offered')
  t.match(form.body, /acme\.com<\/code>, <code>acme\.fi/, 'the domains are shown, not editable')

  const saved = await ada.submit('/admin/settings', good)
  t.equal(saved.statusCode, 303)
  t.equal(saved.headers.location, '/admin/settings')
  t.same(
    { ...(await tenantRow(app, 'acme')), updatedAt: undefined },
    { name: 'Acme Oy', brandName: 'Acme Advocates', brandColour: '#aa3300', invitationMessage: 'Join Acme Advocates!\nOur news, ready to share.', timeZone: 'Europe/Helsinki', locale: 'en-GB', updatedAt: undefined }
  )

  const next = await ada.get('/admin/settings')
  t.match(next.body, /Settings saved\./, 'the change is confirmed')
  t.equal(brandInHeader(next.body), 'Acme Advocates', 'the header wears the new brand name at once')
  t.match(next.body, /type="color" value="#aa3300"/)
  t.match(next.body, /<input id="name" name="name" type="text" value="Acme Oy"/)

  const invitations = await ada.get('/admin/invitations')
  t.match(invitations.body, /<textarea id="message"[^>]*>Join Acme Advocates!\nOur news, ready to share\.<\/textarea>/, 'invitations start with the new default message')
  t.equal(brandInHeader(invitations.body), 'Acme Advocates')

  // A typed colour wins over the untouched picker; upper case is stored in lower case.
  await ada.submit('/admin/settings', { ...good, brandColour: '#aa3300', brandColourText: '#12AB9F', brandColourWas: '#aa3300' })
  t.equal((await tenantRow(app, 'acme')).brandColour, '#12ab9f')

  t.same(await tenantRow(app, 'globex'), globexBefore, 'globex is untouched')
  const globexPage = await client(app, 'globex.localhost').get('/login')
  t.equal(brandInHeader(globexPage.body), 'Globex')
  t.notMatch(globexPage.body, /Acme/)
})

t.test('bad input comes back next to its field and nothing is saved', async (t) => {
  const app = await buildWithSettings(t)
  await setUp(app)
  await addMember(app, admin)
  const ada = await signedIn(app, admin.email, admin.password)
  const before = await tenantRow(app, 'acme')

  const colour = await ada.submit('/admin/settings', { ...good, brandColour: '#0f766e', brandColourText: 'red', brandColourWas: '#0f766e' })
  t.equal(colour.statusCode, 400)
  t.match(colour.body, /<input id="brandColourText"[^>]*value="red"[^>]*aria-invalid="true"/, 'the typed colour stays, marked')
  t.match(colour.body, /id="brandColour-error" role="alert">Enter a colour as # and six hexadecimal digits/)
  t.match(colour.body, /type="color" value="#0f766e"/, 'the picker keeps a colour it can show')
  t.match(colour.body, /value="Acme Oy"/, 'the other fields keep what was typed')

  const zone = await ada.submit('/admin/settings', { ...good, timeZone: 'Mars/Olympus_Mons' })
  t.equal(zone.statusCode, 400)
  t.match(zone.body, /<input id="timeZone"[^>]*value="Mars\/Olympus_Mons"[^>]*aria-invalid="true"/)
  t.match(zone.body, /id="timeZone-error" role="alert">This is not a time zone we know/)

  const control = await ada.submit('/admin/settings', { ...good, name: 'Acme\u0007Oy', locale: 'english' })
  t.equal(control.statusCode, 400)
  t.match(control.body, /id="name-error" role="alert">Use letters, digits and punctuation only\./)
  t.match(control.body, /id="locale-error" role="alert">Enter a language code such as en or fi-FI\./, 'every bad field is reported at once')

  const empty = await ada.submit('/admin/settings', { ...good, brandName: '   ', invitationMessage: '' })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /id="brandName-error" role="alert">Please fill this in\./)
  t.match(empty.body, /id="invitationMessage-error" role="alert">Please fill this in\./)

  const long = await ada.submit('/admin/settings', { ...good, invitationMessage: 'x'.repeat(2001) })
  t.equal(long.statusCode, 400)
  t.match(long.body, /id="invitationMessage-error" role="alert">This is too long\./)

  t.same(await tenantRow(app, 'acme'), before, 'nothing was saved, not even updatedAt')
  t.equal(brandInHeader((await ada.get('/admin/settings')).body), 'Acme')

  // The service refuses the same on its own, naming the field first.
  const em = fork(app)
  const id = (await app.tenancy.bySlug(em, 'acme'))!.id
  await t.rejects(app.tenancy.update(em, id, { brandColour: 'red' }), new InvalidInputError('brandColour: a colour as #rrggbb'))
  await t.rejects(app.tenancy.update(em, id, { timeZone: 'Nowhere/Land' }), /^timeZone:/)
  await t.rejects(app.tenancy.update(em, id, { name: 'A\nB' }), /^name:/)
  await t.rejects(app.tenancy.update(em, id, { locale: 'EN' }), /^locale:/)
  await t.rejects(app.tenancy.update(em, id, { invitationMessage: 'x'.repeat(2001) }), /^invitationMessage:/)
  t.same(await tenantRow(app, 'acme'), before)
})

t.test('a time zone by its old spelling is stored by its current name, and the list offers current names', async (t) => {
  const app = await buildWithSettings(t)
  const ada = await setUp(app)
  const page = await ada.get('/admin/settings')
  t.match(page.body, /<option value="Europe\/Kyiv">/)
  t.notMatch(page.body, /<option value="Europe\/Kiev">/)
  t.equal((await ada.submit('/admin/settings', { ...good, timeZone: 'Europe/Kiev' })).statusCode, 303)
  t.equal((await tenantRow(app, 'acme'))?.timeZone, 'Europe/Kyiv')
  t.equal((await ada.submit('/admin/settings', { ...good, timeZone: 'Asia/Kolkata' })).statusCode, 303)
  t.equal((await tenantRow(app, 'acme'))?.timeZone, 'Asia/Kolkata', 'a current name stays as it is, though Node 20 calls it Asia/Calcutta')
})

t.test('members get 403 and change nothing; a POST without a CSRF token changes nothing; guests are sent to sign in', async (t) => {
  const app = await buildWithSettings(t)
  await setUp(app)
  await addMember(app, admin)
  await addMember(app, member)
  const before = await tenantRow(app, 'acme')

  const max = await signedIn(app, member.email, member.password)
  const home = await max.get('/me')
  t.notMatch(home.body, /href="\/admin\/settings"/, 'members do not see the page in the navigation')
  const page = await max.get('/admin/settings')
  t.equal(page.statusCode, 403)
  t.notMatch(page.body, /name="brandColourText"/, 'no form')
  // A valid CSRF token from a page a member can open: the guard, not the token, refuses.
  const post = await max.submit('/me', good, '/admin/settings')
  t.equal(post.statusCode, 403)
  t.same(await tenantRow(app, 'acme'), before, 'the member changed nothing')

  const ada = await signedIn(app, admin.email, admin.password)
  const forged = await app.inject({ method: 'POST', url: '/admin/settings', headers: { ...html, host: 'acme.localhost', cookie: ada.cookie }, payload: good })
  t.equal(forged.statusCode, 403, 'no CSRF token, no change')
  t.same(await tenantRow(app, 'acme'), before)

  const guest = await client(app, 'acme.localhost').get('/admin/settings')
  t.equal(guest.statusCode, 303)
  t.equal(guest.headers.location, '/login?next=%2Fadmin%2Fsettings')
})
