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
