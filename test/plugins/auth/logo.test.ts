import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Tenant } from '../../../plugins/tenancy/entities/tenant.entity.js'
import { html } from '../../helper.js'
import { buildAuth, client, setUp, type App, addMember, signedIn } from './helpers.js'

/** A valid 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')

const fork = (app: App) => app.kaiku.orm.em.fork()
const logoPathOf = async (app: App, slug: string) => (await fork(app).findOne(Tenant, { slug }))?.logoPath ?? null
const logosIn = (app: App) => {
  const dir = join(app.kaiku.config.dataDir, 'logos')
  return existsSync(dir) ? readdirSync(dir) : []
}

const admin = { email: 'ada@acme.com', name: 'Ada Admin', role: 'admin' as const, password: 'analytical engine 1843' }
const member = { email: 'max@acme.com', name: 'Max Member', role: 'member' as const, password: 'plain member password 1' }

/** A multipart body as a browser sends it: the CSRF field (unless left out) and one file. */
function multipart(file: { name: string; type: string; bytes: Buffer }, csrf?: string) {
  const boundary = '----kaikuTestBoundary7MA4YWxkTrZu0gW'
  const parts: Buffer[] = []
  if (csrf !== undefined) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`))
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="logo"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`))
  parts.push(file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`))
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}

type Browser = ReturnType<typeof client>

/** Opens the settings page, takes the logo form's CSRF token (unless told not to) and uploads the file. */
async function upload(app: App, browser: Browser, host: string, file: { name: string; type: string; bytes: Buffer }, withToken = true) {
  const page = await browser.get('/admin/settings')
  const token = /action="\/admin\/settings\/logo" enctype="multipart\/form-data">\s*<input type="hidden" name="_csrf" value="([^"]+)"/.exec(page.body)?.[1]
  if (withToken && !token) throw new Error(`no logo form: ${page.statusCode}`)
  const { payload, contentType } = multipart(file, withToken ? token : undefined)
  return app.inject({ method: 'POST', url: '/admin/settings/logo', headers: { ...html, host, cookie: browser.cookie, 'content-type': contentType }, payload })
}

const brandOf = (body: string) => /<a class="brand" href="\/">\s*([\s\S]*?)<span class="brand__name">/.exec(body)?.[1] ?? ''

t.test('an admin uploads a PNG: it is served on the instance host and shown in the header, then removed', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  await app.tenancy.create(fork(app), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  app.tenancyCache.clear()
  await addMember(app, admin)
  const ada = await signedIn(app, admin.email, admin.password)

  const before = await ada.get('/admin/settings')
  t.match(brandOf(before.body), /<svg class="brand__mark"/, 'the Kaiku mark before any logo')
  t.notMatch(brandOf(before.body), /<img/)
  t.equal((await app.inject({ url: '/brand/logo', headers: { host: 'acme.localhost' } })).statusCode, 404, 'no logo yet')

  const saved = await upload(app, ada, 'acme.localhost', { name: 'logo.png', type: 'image/png', bytes: PNG })
  t.equal(saved.statusCode, 303)
  t.equal(saved.headers.location, '/admin/settings')

  const page = await ada.get('/admin/settings')
  t.match(page.body, /Logo saved\./, 'the admin is told')
  t.match(brandOf(page.body), /<img class="brand__logo" src="\/brand\/logo" alt="">/, 'the header shows the logo')
  t.notMatch(brandOf(page.body), /brand__mark/, 'instead of the round mark')

  const tenant = (await app.tenancy.bySlug(fork(app), 'acme'))!
  t.equal(await logoPathOf(app, 'acme'), `logos/${tenant.id}.png`)
  t.same(logosIn(app), [`${tenant.id}.png`], 'one file, named after the instance')

  const logo = await app.inject({ url: '/brand/logo', headers: { host: 'acme.localhost' } })
  t.equal(logo.statusCode, 200)
  t.equal(logo.headers['content-type'], 'image/png')
  t.equal(logo.headers['cache-control'], 'public, max-age=300')
  t.equal(logo.headers['x-content-type-options'], 'nosniff')
  t.ok(logo.rawPayload.equals(PNG), 'the very bytes uploaded')

  // Another instance's host never serves acme's logo, nor does the bare host now that it has no instance.
  const globex = await app.inject({ url: '/brand/logo', headers: { host: 'globex.localhost' } })
  t.equal(globex.statusCode, 404)
  t.notOk(globex.rawPayload.includes(PNG), 'not acme’s bytes')
  t.equal((await app.inject({ url: '/brand/logo', headers: { host: 'localhost' } })).statusCode, 404, 'the bare host has no logo')
  const globexHome = await app.inject({ url: '/login', headers: { ...html, host: 'globex.localhost' } })
  t.notMatch(brandOf(globexHome.body), /<img/, 'globex pages keep the mark')
  t.notMatch(globexHome.body, /Acme/, 'and show nothing of acme')

  const removed = await ada.submit('/admin/settings', {}, '/admin/settings/logo/remove')
  t.equal(removed.statusCode, 303)
  const after = await ada.get('/admin/settings')
  t.match(after.body, /Logo removed/)
  t.match(brandOf(after.body), /<svg class="brand__mark"/, 'the mark is back')
  t.equal(await logoPathOf(app, 'acme'), null)
  t.same(logosIn(app), [], 'the file is gone')
  t.equal((await app.inject({ url: '/brand/logo', headers: { host: 'acme.localhost' } })).statusCode, 404)
})

t.test('text or SVG named logo.png, or a file over 200 kB, is refused with a message and nothing is stored', async (t) => {
  const app = await buildAuth(t)
  const olivia = await setUp(app)
  const cases = [
    { label: 'text', file: { name: 'logo.png', type: 'image/png', bytes: Buffer.from('just some text, not an image') }, message: /not a PNG, JPEG or WebP image/ },
    { label: 'SVG', file: { name: 'logo.png', type: 'image/png', bytes: SVG }, message: /not a PNG, JPEG or WebP image \(SVG is not accepted\)/ },
    { label: 'SVG declared as such', file: { name: 'logo.svg', type: 'image/svg+xml', bytes: SVG }, message: /SVG is not accepted/ },
    { label: 'over 200 kB', file: { name: 'logo.png', type: 'image/png', bytes: Buffer.concat([PNG, Buffer.alloc(200 * 1024)]) }, message: /larger than 200 kB/ }
  ]
  for (const { label, file, message } of cases) {
    const response = await upload(app, olivia, 'localhost', file)
    t.equal(response.statusCode, 303, label)
    const page = await olivia.get(response.headers.location as string)
    t.equal(page.statusCode, 200)
    t.match(page.body, /<h1>Instance settings<\/h1>/, `${label}: the settings page again`)
    t.match(page.body, message, `${label}: with the reason`)
    t.notMatch(page.body, /Logo saved/)
    t.equal(await logoPathOf(app, 'acme'), null, `${label}: no logo set`)
    t.same(logosIn(app), [], `${label}: no file stored`)
  }
  t.equal((await app.inject({ url: '/brand/logo', headers: { host: 'acme.localhost' } })).statusCode, 404)
})

t.test('a member gets 403; an upload without a CSRF token is 403; neither stores anything', async (t) => {
  const app = await buildAuth(t)
  const olivia = await setUp(app)
  await addMember(app, member)
  const max = await signedIn(app, member.email, member.password)

  // A valid token from a page a member may open (the login form is gone once signed in, so /me).
  const me = await max.get('/me')
  const token = /name="_csrf" value="([^"]+)"/.exec(me.body)?.[1] ?? ''
  const { payload, contentType } = multipart({ name: 'logo.png', type: 'image/png', bytes: PNG }, token)
  const byMember = await app.inject({ method: 'POST', url: '/admin/settings/logo', headers: { ...html, host: 'acme.localhost', cookie: max.cookie, 'content-type': contentType }, payload })
  t.equal(byMember.statusCode, 403)
  t.equal((await max.get('/admin/settings')).statusCode, 403)
  const removeByMember = await app.inject({ method: 'POST', url: '/admin/settings/logo/remove', headers: { ...html, host: 'acme.localhost', cookie: max.cookie }, payload: { _csrf: token } })
  t.equal(removeByMember.statusCode, 403)

  const forged = await upload(app, olivia, 'localhost', { name: 'logo.png', type: 'image/png', bytes: PNG }, false)
  t.equal(forged.statusCode, 403, 'no CSRF token')
  t.match(forged.body, /This form has expired or was not sent from Kaiku/)
  const wrongToken = await app.inject({
    method: 'POST',
    url: '/admin/settings/logo',
    headers: { ...html, host: 'localhost', cookie: olivia.cookie, 'content-type': multipart({ name: 'logo.png', type: 'image/png', bytes: PNG }, 'forged').contentType },
    payload: multipart({ name: 'logo.png', type: 'image/png', bytes: PNG }, 'forged').payload
  })
  t.equal(wrongToken.statusCode, 403, 'a made-up token')

  t.equal(await logoPathOf(app, 'acme'), null, 'no logo set')
  t.same(logosIn(app), [], 'no file stored')
  t.equal((await app.inject({ url: '/brand/logo', headers: { host: 'acme.localhost' } })).statusCode, 404)
})
