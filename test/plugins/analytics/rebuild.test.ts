import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../../../core/app.js'
import { runCli } from '../../../core/cli.js'
import { loadConfig } from '../../../core/config/load.js'
import { AnalyticsDaily } from '../../../plugins/analytics/entities/daily.entity.js'
import { AnalyticsEvent } from '../../../plugins/analytics/entities/event.entity.js'
import { Click } from '../../../plugins/sharing/entities/sharing.entity.js'
import { testEnv } from '../../helper.js'
import { acme } from '../feeds/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { analyticsPlugins, summaryCheck } from './helpers.js'

t.test('kaiku analytics rebuild recomputes counters from raw events, per instance, and says what it did', async (t) => {
  const { env, dir } = await testEnv(t, { plugins: analyticsPlugins })
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  await app.ready()
  await acme(app)
  const globex = await globexWithPost(app)
  const em = app.kaiku.orm.em.fork()
  const acmeId = (await app.tenancy.bySlug(em, 'acme'))!.id
  const at = new Date(Date.now() - 3 * 86_400_000)
  const click = (tenantId: string) => ({ id: randomUUID(), tenantId, linkId: randomUUID(), postId: randomUUID(), memberId: randomUUID(), network: 'x', at, ipNet: '203.0.113.0/24', agent: 'desktop', referrerHost: null, visitorKey: 'k', bot: false })
  await em.insertMany(Click, [click(acmeId), click(acmeId), click(globex.tenantId)])
  await app.analytics.record(em, { tenantId: acmeId, type: 'email_open', at })
  // A stale, wrong counter, as if a rollup had been lost.
  await em.insert(AnalyticsDaily, { id: randomUUID(), tenantId: acmeId, day: at.toISOString().slice(0, 10), postId: '', memberId: '', network: '', event: 'email_open', count: 99 })
  // And summaries that drifted from the daily counters (as if written by hand).
  await em.getConnection().execute("insert into analytics_monthly (tenant_id, dimension, month, member_id, network, post_id, shares, clicks, unique_clicks) values (?, 'network', '2020-01', '', 'x', '', 0, 7, 0)", [acmeId])
  await em.getConnection().execute("insert into analytics_total_activity (tenant_id, member_id, event, count) values (?, ?, 'share', 3)", [acmeId, randomUUID()])
  await app.close()

  const run = async (args: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env, cwd: dir })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }
  t.equal((await run(['analytics', 'rebuild', '--from', 'yesterday'])).code, 2, 'a bad day is refused')
  t.equal((await run(['analytics', 'rebuild', '--tenant', 'nope'])).code, 2, 'an unknown instance is refused')
  const acmeOnly = await run(['analytics', 'rebuild', '--tenant', 'acme'])
  t.equal(acmeOnly.code, 0, acmeOnly.err)
  t.match(acmeOnly.out, /instance acme/)
  t.match(acmeOnly.out, /rebuilt \d+ day\(s\) from \d{4}-\d{2}-\d{2}: \d+ counters/)

  const check = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => check.close())
  await check.ready()
  const rows = await check.kaiku.orm.em.fork().find(AnalyticsDaily, {}, { filters: false })
  t.equal(rows.find((row) => row.tenantId === acmeId && row.event === 'email_open')?.count, 1, 'the stale counter is replaced')
  t.equal(rows.filter((row) => row.tenantId === acmeId && row.event === 'click').reduce((sum, row) => sum + row.count, 0), 2, 'both clicks counted')
  t.notOk(rows.some((row) => row.tenantId === globex.tenantId && row.event === 'click'), 'another instance is left alone with --tenant')
  t.ok(await check.kaiku.orm.em.fork().count(AnalyticsEvent, {}, { filters: false }), 'raw events are kept')
  const summaries = await summaryCheck(check)
  for (const [name, { stored, expected }] of Object.entries(summaries)) {
    t.same(stored.filter((line) => line.startsWith(acmeId)), expected.filter((line) => line.startsWith(acmeId)), `${name}: counted again from the daily counters`)
  }
  t.ok(summaries['monthly members'].stored.some((line) => line.startsWith(acmeId)), 'the instance has summaries')
})
