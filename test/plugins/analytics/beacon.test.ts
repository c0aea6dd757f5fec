import { randomBytes } from 'node:crypto'
import t from 'tap'
import { beaconTokens } from '../../../plugins/analytics/lib/beacon-token.js'
import { TRANSPARENT_GIF } from '../../../plugins/analytics/routes/beacon.js'
import { saveSettings } from '../../../plugins/analytics/services/settings.js'
import { acme } from '../feeds/helpers.js'
import { buildAnalytics, stored, tenantIdOf } from './helpers.js'

const MEMBER = '0b7c2f7e-1d2a-4c39-9a51-3f1e2d4c5b6a'

t.test('a beacon answers a transparent GIF, records the open, sets no cookie and creates no session', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const url = app.analytics.beaconUrl({ tenantId, kind: 'email_open', subject: 'digest:2026-11-29', memberId: MEMBER })
  t.match(url, /^\/b\/[A-Za-z0-9_-]{20,120}\.gif$/, 'a short, URL-safe path')
  const sessionsBefore = Number((await app.kaiku.orm.em.fork().getConnection().execute('select count(*) as n from kaiku_session'))[0].n)
  const probe = await app.inject({ method: 'HEAD', url, headers: { host: 'acme.localhost', 'user-agent': 'Mozilla/5.0 Thunderbird' } })
  t.equal(probe.statusCode, 200, 'a HEAD (a mail scanner checking the image) gets the same answer…')
  t.equal(probe.headers['content-type'], 'image/gif')
  const hit = await app.inject({ url, headers: { host: 'acme.localhost', 'user-agent': 'Mozilla/5.0 Thunderbird' } })
  t.equal(hit.statusCode, 200)
  t.equal(hit.headers['content-type'], 'image/gif')
  t.equal(hit.headers['cache-control'], 'no-store')
  t.notOk(hit.headers['set-cookie'], 'no cookie')
  t.same(hit.rawPayload, TRANSPARENT_GIF)
  t.equal(TRANSPARENT_GIF.subarray(0, 6).toString('latin1'), 'GIF89a')
  const sessionsAfter = Number((await app.kaiku.orm.em.fork().getConnection().execute('select count(*) as n from kaiku_session'))[0].n)
  t.equal(sessionsAfter, sessionsBefore, 'no session created')
  const events = (await stored.events(app)).filter((event) => event.type === 'email_open')
  t.equal(events.length, 1, '…and only the GET is an open')
  t.match(events[0], { tenantId, type: 'email_open', memberId: MEMBER, subject: 'digest:2026-11-29', postId: null })
  t.equal((await stored.requests(app)).filter((row) => row.path.startsWith('/b/')).length, 0, 'beacons are not in the request log')
})

t.test('DNT: 1, Sec-GPC: 1, beacons switched off, forged or malformed tokens: the same GIF, nothing recorded', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const url = app.analytics.beaconUrl({ tenantId, kind: 'page_view', subject: 'post', postId: MEMBER })
  const token = url.slice(3, -4)
  const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`
  const answers = [
    await app.inject({ url, headers: { dnt: '1' } }),
    await app.inject({ url, headers: { 'sec-gpc': '1' } }),
    await app.inject({ url: `/b/${flipped}.gif` }),
    await app.inject({ url: '/b/not-a-token.gif' }),
    await app.inject({ url: `/b/${'x'.repeat(5000)}.gif` }),
    await app.inject({ url: `/b/${token}.png` }),
    await app.inject({ url: `/b/${token}` }),
    await app.inject({ url: `/b/${token.slice(0, 20)}.gif` })
  ]
  for (const answer of answers) {
    t.equal(answer.statusCode, 200)
    t.same(answer.rawPayload, TRANSPARENT_GIF, 'the same bytes')
    t.notOk(answer.headers['set-cookie'])
  }
  t.equal((await stored.events(app)).filter((event) => event.type === 'page_view').length, 0, 'nothing recorded')

  await saveSettings(app.kaiku.orm.em.fork(), tenantId, { beacons: false })
  const off = await app.inject({ url })
  t.same(off.rawPayload, TRANSPARENT_GIF)
  t.equal((await stored.events(app)).filter((event) => event.type === 'page_view').length, 0, 'switched off: nothing recorded')

  await saveSettings(app.kaiku.orm.em.fork(), tenantId, { beacons: true })
  await app.inject({ url, headers: { dnt: '0' } })
  t.equal((await stored.events(app)).filter((event) => event.type === 'page_view').length, 1, 'switched back on: recorded')
})

t.test('a post page carries a page-view beacon for its viewer', async (t) => {
  const app = await buildAnalytics(t)
  const { member, curator } = await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const { makePost } = await import('../feeds/helpers.js')
  const postId = await makePost(curator, { url: 'https://blog.acme.com/a', title: 'A post', textNetwork: ['any'], textBody: ['Hi'] })
  const page = await member.get(`/posts/${postId}`)
  const src = /<img class="analytics-beacon" src="(\/b\/[A-Za-z0-9_-]+\.gif)"/.exec(page.body)?.[1]
  t.ok(src, 'the beacon is on the page')
  await app.inject({ url: src!, headers: { host: 'acme.localhost' } })
  const [view] = (await stored.events(app)).filter((event) => event.type === 'page_view')
  t.match(view, { tenantId, postId, type: 'page_view' })
  t.ok(view.memberId, 'the viewer')

  const draft = await makePost(curator, { url: 'https://blog.acme.com/d', title: 'A draft', publish: 'draft' })
  const preview = await curator.get(`/posts/${draft}`)
  t.equal(preview.statusCode, 200)
  t.notMatch(preview.body, /analytics-beacon/, 'a curator reading a draft is not counted as a view')
})

t.test('beacon tokens: claims survive sealing; a verified token is remembered, a forged twin is still refused', async (t) => {
  const tokens = beaconTokens(randomBytes(32))
  const claims = { tenantId: MEMBER, kind: 'page_view' as const, subject: 'post', postId: '6f1d2c3b-4a59-4e8f-9d7c-1b2a3c4d5e6f' }
  const token = tokens.seal(claims)
  t.same(tokens.open(token), claims)
  t.equal(tokens.open(token), tokens.open(token), 'opened once, then answered from memory')
  t.throws(() => ((tokens.open(token) as { subject: string }).subject = 'changed'), TypeError, 'remembered claims cannot be changed by a caller')
  // The last character of these tokens carries two bits of the MAC and four unused ones: flipping an
  // unused bit spells the same bytes differently, and only seal()'s own spelling is accepted.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const twin = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) ^ 1]
  t.same(Buffer.from(twin, 'base64url'), Buffer.from(token, 'base64url'), 'the twin decodes to the same bytes')
  t.equal(tokens.open(twin), null, 'but is refused')
  for (const at of [0, Math.floor(token.length / 2), token.length - 1]) {
    for (const other of ['A', 'B', 'g', 'w']) {
      if (token[at] === other) continue
      t.equal(tokens.open(token.slice(0, at) + other + token.slice(at + 1)), null, `character ${at} changed to ${other}: refused, though its twin is remembered`)
    }
  }
  t.equal(beaconTokens(randomBytes(32)).open(token), null, 'another key: refused')
  for (let i = 0; i < 10_050; i++) tokens.open(tokens.seal({ ...claims, subject: `s${i}` }))
  t.same(tokens.open(token), claims, 'after more tokens than are remembered, the first is verified again')
})

t.test('hits that cannot be stored: the same GIF at once, one error per failed batch, and the next batch is stored', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const url = app.analytics.beaconUrl({ tenantId, kind: 'page_view', subject: 'post', postId: MEMBER })
  const log = app.kaiku.contexts.get('analytics')!.log
  const errors: { rows: number; msg: string }[] = []
  const error = log.error.bind(log)
  log.error = ((details: { rows: number }, msg: string) => errors.push({ rows: details.rows, msg })) as unknown as typeof log.error
  t.teardown(() => {
    log.error = error
  })
  const connection = app.kaiku.orm.em.fork().getConnection()
  await connection.execute('alter table analytics_event rename to analytics_event_away')
  const hits = await Promise.all([1, 2, 3].map(() => app.inject({ url, headers: { host: 'acme.localhost' } })))
  t.same(hits.map((hit) => hit.statusCode), [200, 200, 200], 'every hit gets its GIF')
  t.ok(hits.every((hit) => hit.rawPayload.equals(TRANSPARENT_GIF)))
  await app.analytics.drain()
  t.ok(errors.length >= 1 && errors.length <= 3, 'told per failed batch, not per hit')
  t.equal(errors.reduce((sum, told) => sum + told.rows, 0), 3, 'with the number of hits lost')
  t.match(errors[0].msg, 'beacon hits not stored')
  await connection.execute('alter table analytics_event_away rename to analytics_event')
  await app.inject({ url, headers: { host: 'acme.localhost' } })
  t.equal((await stored.events(app)).filter((event) => event.type === 'page_view').length, 1, 'the next hit is stored')
})
