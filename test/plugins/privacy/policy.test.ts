import t from 'tap'
import { PolicyVersion } from '../../../plugins/privacy/entities/privacy.entity.js'
import { send } from '../feeds/helpers.js'
import { addMember, setUp, signedIn } from '../auth/helpers.js'
import { acmeWithActivity, buildAll } from './helpers.js'

t.test('the policy: generated from declarations, published as versions, acknowledged at the next visit', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const generated = await acme.member.get('/privacy')
  t.equal(generated.statusCode, 200)
  t.match(generated.body, 'Privacy policy of Acme')
  t.match(generated.body, 'Clicks on your links', 'built from the plugins’ declarations')
  t.match(generated.body, 'local mailbox', 'names the mail transport')
  t.equal((await acme.member.get('/feed')).statusCode, 200, 'no published version: nobody is asked')

  const text = '# Our policy\n\nWe keep <script>alert(1)</script> little.\n\n- one\n- two'
  const published = await send(acme.owner, '/admin/privacy', '/admin/privacy/policy', { body: text })
  t.equal(published.statusCode, 303)
  const empty = await send(acme.owner, '/admin/privacy', '/admin/privacy/policy', { body: '   ' })
  t.equal(empty.statusCode, 400, 'an empty policy is refused')
  const member = await acme.member.get('/admin/privacy')
  t.equal(member.statusCode, 403, 'members cannot edit it')

  const asked = await acme.member.get('/feed')
  t.equal(asked.statusCode, 303)
  t.equal(asked.headers.location, '/privacy?next=%2Ffeed')
  const page = await acme.member.get('/privacy?next=%2Ffeed')
  t.match(page.body, '<h2>Our policy</h2>')
  t.match(page.body, '&lt;script&gt;', 'escaped, never HTML')
  t.notMatch(page.body, '<script>alert')
  t.match(page.body, '<li>two</li>')
  const posted = await app.inject({ method: 'POST', url: '/privacy/acknowledge', headers: { host: 'acme.localhost', cookie: acme.member.cookie }, payload: { version: '1' } })
  t.equal(posted.statusCode, 403, 'CSRF holds')
  const ack = await send(acme.member, '/privacy?next=%2Ffeed', '/privacy/acknowledge', { version: '1', next: '//evil.example' })
  t.equal(ack.statusCode, 303)
  t.equal(ack.headers.location, '/', 'never to another host')
  t.equal((await acme.member.get('/feed')).statusCode, 200, 'acknowledged: not asked again')
  const wrong = await send(acme.member, '/privacy', '/privacy/acknowledge', { version: '7' })
  t.equal(wrong.statusCode, 400)

  const cookies = await app.inject({ url: '/privacy/cookies', headers: { host: 'acme.localhost', accept: 'text/html' } })
  t.equal(cookies.statusCode, 200)
  t.match(cookies.body, '<code>kaiku</code>')
  t.match(cookies.body, 'No optional cookies')
  t.notOk(cookies.headers['set-cookie'], 'the notice sets no cookie')

  const where = await acme.owner.get('/admin/privacy/where')
  t.match(where.body, /SQLite|PostgreSQL/)
  t.match(where.body, 'None. Pages load nothing from other sites')
})

t.test("the policy's /me/ pages are links where the text names them; the text and its versions stay as they are", async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const versions = () => app.kaiku.orm.em.fork().count(PolicyVersion, {}, { filters: false })
  const generated = await acme.member.get('/privacy')
  t.match(generated.body, '<li>See what Kaiku holds about you at <a href="/me/data">/me/data</a>.</li>')
  t.match(generated.body, '<li>Download a copy of all of it at <a href="/me/export">/me/export</a>.</li>')
  t.match(generated.body, '<li>Have it erased at <a href="/me/delete">/me/delete</a>, or ask')
  const visitor = await app.inject({ url: '/privacy', headers: { host: 'acme.localhost', accept: 'text/html' } })
  t.match(visitor.body, '<a href="/me/data">/me/data</a>', 'the same for a visitor')

  // The admin starts from the generated text, as the page offers: publishing it is version 1.
  const text = (await acme.owner.get('/admin/privacy')).body
  const body = /<textarea[^>]*>([^]*?)<\/textarea>/.exec(text)![1].replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&')
  t.match(body, '- See what Kaiku holds about you at /me/data.', 'the text itself carries no link')
  const mixed = `${body}\n\nAsk at /me/data/x, /me/database or "/me/delete"><script>x</script> and /me/export.`
  t.equal((await send(acme.owner, '/admin/privacy', '/admin/privacy/policy', { body: mixed })).statusCode, 303)
  t.equal(await versions(), 1)
  const published = await acme.member.get('/privacy?next=%2Ffeed')
  t.match(published.body, 'I have read it', 'a member reads the published version')
  t.match(published.body, '<li>Download a copy of all of it at <a href="/me/export">/me/export</a>.</li>', 'linked in a published version too')
  t.match(published.body, 'Ask at /me/data/x, /me/database or &quot;<a href="/me/delete">/me/delete</a>&quot;&gt;&lt;script&gt;x&lt;/script&gt; and <a href="/me/export">/me/export</a>.', 'only those pages, and the rest escaped')
  t.notMatch(published.body, '<script>x')
  t.equal(await versions(), 1, 'showing it publishes nothing')
})

t.test('a NUL character anywhere in a request is a 400 before any route reads it, and nothing is stored', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const versions = () => app.kaiku.orm.em.fork().count(PolicyVersion, {}, { filters: false })
  t.equal((await send(acme.owner, '/admin/privacy', '/admin/privacy/policy', { body: 'Our policy' })).statusCode, 303)
  const before = await versions()
  t.equal(before, 1)
  const refused = await send(acme.owner, '/admin/privacy', '/admin/privacy/policy', { body: 'Our policy a\u0000b' })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, /NUL character/)
  t.equal(await versions(), before, 'no version was published')
  t.equal((await send(acme.owner, '/me', '/me/topics', { topics: 'a\u0000b' })).statusCode, 400, 'in a list of ids')
  t.equal((await send(acme.owner, '/admin/members', '/admin/members/%00/suspend', {})).statusCode, 400, 'in a path id')
  t.equal((await acme.owner.get('/feed?q=%00')).statusCode, 400, 'in a query')
})

t.test('retention texts name the days this server keeps, as its settings say, never a setting', async (t) => {
  const app = await buildAll(t, {
    env: { KAIKU_ANALYTICS_EVENT_DAYS: '45', KAIKU_ANALYTICS_REQUEST_LOG_DAYS: '1', KAIKU_ANALYTICS_CLICK_DAYS: '90', KAIKU_FORMS_RETENTION_DAYS: '60', KAIKU_PRIVACY_MAIL_LOG_DAYS: '21' }
  })
  await setUp(app)
  await addMember(app, { email: 'mia@acme.com', name: 'Mia Member', role: 'member', password: 'correct horse battery' })
  const mia = await signedIn(app, 'mia@acme.com', 'correct horse battery')
  for (const url of ['/me/data', '/privacy']) {
    const page = await mia.get(url)
    t.equal(page.statusCode, 200, url)
    t.match(page.body, 'Raw events for 45 days, and the raw clicks on your links for 90 days;', `${url}: analytics events and raw clicks`)
    t.match(page.body, 'Raw clicks for as many days as analytics keeps them', `${url}: sharing's clicks point to analytics' days`)
    t.match(page.body, 'As raw events for 45 days, then only as daily counts.', `${url}: opens`)
    t.match(page.body, 'Deleted after one day.', `${url}: the request log`)
    t.match(page.body, 'Deleted after 60 days, unless the admins of this instance chose another number of days for its forms.', `${url}: leads`)
    t.match(page.body, '21 days after it was sent.', `${url}: the mail log`)
    t.notMatch(page.body, 'KAIKU_', `${url}: no setting's name`)
    t.notMatch(page.body, 'by default', `${url}: no default in place of the value`)
  }

  const defaults = await buildAll(t)
  await setUp(defaults)
  const policy = await defaults.inject({ url: '/privacy', headers: { host: 'acme.localhost', accept: 'text/html' } })
  t.match(policy.body, 'Raw events for 730 days, and the raw clicks on your links for 180 days;', 'the defaults, when nothing is set')
  t.match(policy.body, 'Deleted after 30 days.')
  t.match(policy.body, 'Deleted after 180 days, unless')
  t.notMatch(policy.body, 'KAIKU_')
})
