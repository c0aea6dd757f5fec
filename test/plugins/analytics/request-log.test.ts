import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../../../core/app.js'
import { runCli } from '../../../core/cli.js'
import { loadConfig } from '../../../core/config/load.js'
import { AnalyticsDaily } from '../../../plugins/analytics/entities/daily.entity.js'
import { AnalyticsRequest } from '../../../plugins/analytics/entities/request.entity.js'
import { REQUEST_LOG_LINGER_MS } from '../../../plugins/analytics/services/writers.js'
import { Click } from '../../../plugins/sharing/entities/sharing.entity.js'
import { testEnv } from '../../helper.js'
import { acme } from '../feeds/helpers.js'
import { analyticsPlugins, buildAnalytics, stored, tenantIdOf } from './helpers.js'

t.test('the request log keeps pages anonymised, with the member, and skips probes, static files, beacons and links', async (t) => {
  const app = await buildAnalytics(t)
  const { member } = await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const before = (await stored.requests(app)).length
  const headers = { host: 'acme.localhost', 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148', referer: 'https://www.google.com/search?q=secret' }
  await app.inject({ url: '/login?next=/secret-query', headers, remoteAddress: '198.51.100.23' })
  for (const url of ['/healthz', '/readyz', '/metrics', '/static/core/style.css', '/b/whatever.gif', '/s/abcdefgh']) await app.inject({ url, headers })
  await member.get('/feed?page=2')
  const secret = 'b4Vq9kSecretTokenOfTheMagicLink0123456789'
  await app.inject({ url: `/login/link/${secret}`, headers })
  const rows = (await stored.requests(app)).slice(before)
  t.equal(rows.length, 3, `only the three pages: ${rows.map((row) => row.path).join(', ')}`)
  t.equal(rows[2].path, '/login/link/:token', 'a page whose path is a secret is kept as its route, not its link')
  t.notOk(JSON.stringify(rows).includes(secret), 'no sign-in link in the log')
  t.match(rows[0], { tenantId, path: '/login', referrerHost: 'www.google.com', agentClass: 'mobile', ipNet: '198.51.100.0/24', memberId: null })
  t.equal(rows[1].path, '/feed', 'no query string')
  t.ok(rows[1].memberId, 'the signed-in member')
  t.notOk(JSON.stringify(rows).includes('198.51.100.23'), 'no full address')
  t.notOk(JSON.stringify(rows).includes('secret'), 'no query, no referrer path')
})

t.test('a quiet server stores its request log once a second, not once per page; closing stores what waits', async (t) => {
  const app = await buildAnalytics(t)
  const { member } = await acme(app)
  await app.analytics.drain()
  const count = async () => (await app.kaiku.orm.em.fork().find(AnalyticsRequest, { path: '/feed' }, { filters: false })).length
  const started = Date.now()
  for (let i = 0; i < 3; i++) await member.get('/feed')
  if (Date.now() - started < REQUEST_LOG_LINGER_MS / 2) t.equal(await count(), 0, 'the rows wait for company')
  let waited = 0
  while ((await count()) < 3 && waited < 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    waited += 100
  }
  t.equal(await count(), 3, 'then one batch stores them, nobody having asked')
  await member.get('/feed')
  await app.analytics.drain()
  t.equal(await count(), 4, 'a drain (as on close, or before an erasure) does not wait')
})

t.test('retention: old request-log rows go; old raw events go after being rolled up; activations stay', async (t) => {
  const app = await buildAnalytics(t, { env: { KAIKU_ANALYTICS_REQUEST_LOG_DAYS: '7', KAIKU_ANALYTICS_EVENT_DAYS: '30' } })
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const em = app.kaiku.orm.em.fork()
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000)
  const row = (days: number) => ({ id: randomUUID(), tenantId, at: ago(days), path: `/p${days}`, referrerHost: null, agentClass: 'desktop', ipNet: '203.0.113.0/24', memberId: null })
  await em.insertMany(AnalyticsRequest, [row(1), row(6), row(8), row(100)])
  await app.analytics.record(em, { tenantId, type: 'email_open', at: ago(40) })
  await app.analytics.record(em, { tenantId, type: 'email_open', at: ago(40) })
  await app.analytics.record(em, { tenantId, type: 'member_activated', memberId: randomUUID(), at: ago(400) })
  await app.analytics.record(em, { tenantId, type: 'page_view', at: ago(2) })
  await app.kaiku.orm.em.fork().getConnection().execute('delete from kaiku_job')
  await app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'analytics.retention', {})
  await app.kaiku.jobs.worker.runDue()
  t.same((await stored.requests(app)).map((r) => r.path).filter((path) => /^\/p\d+$/.test(path)).sort(), ['/p1', '/p6'], 'request log: 7 days')
  t.same((await stored.events(app)).map((e) => e.type).filter((type) => type !== 'member_joined').sort(), ['member_activated', 'page_view'], 'events past 30 days deleted, activations kept')
  const old = (await stored.daily(app)).filter((d) => d.event === 'email_open')
  t.equal(old.length, 1)
  t.equal(old[0].count, 2, 'their counters were rolled up before they went')
})

t.test('retention of raw clicks: old clicks are counted into daily counters, then deleted; a rebuild keeps those counters', async (t) => {
  const { env, dir } = await testEnv(t, { plugins: analyticsPlugins, env: { KAIKU_ANALYTICS_CLICK_DAYS: '30' } })
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  await app.ready()
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const em = app.kaiku.orm.em.fork()
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000)
  const memberId = randomUUID()
  const click = (days: number, visitorKey: string) => ({ id: randomUUID(), tenantId, linkId: randomUUID(), postId: 'p1', memberId, network: 'x', at: ago(days), ipNet: '203.0.113.0/24', agent: 'desktop', referrerHost: null, visitorKey, bot: false })
  await em.insertMany(Click, [click(40, 'a'), click(40, 'a'), click(40, 'b'), click(3, 'c')])
  const oldDay = ago(40).toISOString().slice(0, 10)

  await app.kaiku.orm.em.fork().getConnection().execute('delete from kaiku_job')
  await app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'analytics.retention', {})
  await app.kaiku.jobs.worker.runDue()
  const left = await app.kaiku.orm.em.fork().find(Click, {}, { filters: false })
  t.same(left.map((c) => c.visitorKey), ['c'], 'clicks past 30 days are deleted, the recent one stays')
  const counters = async () =>
    Object.fromEntries((await stored.daily(app)).filter((d) => d.day === oldDay && d.memberId === memberId).map((d) => [d.event, d.count]))
  t.same(await counters(), { click: 3, unique_click: 2 }, 'their day was counted before they went')
  await app.close()

  const out: string[] = []
  const err: string[] = []
  t.equal(await runCli(['analytics', 'rebuild', '--from', oldDay], { out: (line) => out.push(line), err: (line) => err.push(line), env, cwd: dir }), 0, err.join('\n'))
  t.match(out.join('\n'), /kept their share and click counters/)
  const again = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => again.close())
  const kept = (await again.kaiku.orm.em.fork().find(AnalyticsDaily, { day: oldDay, memberId }, { filters: false })).map((d) => [d.event, d.count])
  t.same(Object.fromEntries(kept), { click: 3, unique_click: 2 }, 'a rebuild does not wipe the counters of days whose clicks are gone')
})
