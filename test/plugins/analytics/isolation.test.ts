import { randomUUID } from 'node:crypto'
import t from 'tap'
import { AnalyticsDaily } from '../../../plugins/analytics/entities/daily.entity.js'
import { AnalyticsEvent } from '../../../plugins/analytics/entities/event.entity.js'
import { settingsOf, saveSettings } from '../../../plugins/analytics/services/settings.js'
import { acme } from '../feeds/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { buildAnalytics, stored, tenantIdOf } from './helpers.js'

t.test('events, counters and settings of one instance are invisible to another', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const globex = await globexWithPost(app)
  const acmeId = await tenantIdOf(app, 'acme')
  const em = app.kaiku.orm.em.fork()
  await app.analytics.record(em, { tenantId: acmeId, type: 'email_open', subject: 'acme-secret', memberId: randomUUID() })
  await app.inject({ url: app.analytics.beaconUrl({ tenantId: globex.tenantId, kind: 'page_view', subject: 'globex-page' }) })
  await stored.events(app)
  await app.analytics.rollup()
  const scoped = (tenantId: string) => {
    const fork = app.kaiku.orm.em.fork()
    fork.setFilterParams('tenant', { tenantId })
    return fork
  }
  const acmeEvents = await scoped(acmeId).find(AnalyticsEvent, {})
  t.ok(acmeEvents.length > 0)
  t.ok(acmeEvents.every((event) => event.tenantId === acmeId), 'acme sees only its own events')
  t.notOk(acmeEvents.some((event) => event.subject === 'globex-page'))
  const globexDaily = await scoped(globex.tenantId).find(AnalyticsDaily, {})
  t.ok(globexDaily.some((row) => row.event === 'page_view'))
  t.ok(globexDaily.every((row) => row.tenantId === globex.tenantId), 'globex sees only its own counters')
  await t.rejects(app.kaiku.orm.em.fork().find(AnalyticsDaily, {}), 'a query that does not know its tenant fails')

  await saveSettings(app.kaiku.orm.em.fork(), acmeId, { beacons: false, points: { share: 3 } })
  t.equal((await settingsOf(app.kaiku.orm.em.fork(), acmeId)).beacons, false)
  t.same(await settingsOf(app.kaiku.orm.em.fork(), globex.tenantId), { beacons: true, costPerClickCents: 50, currency: 'EUR', points: { share: 10, unique_click: 1, suggestion_approved: 5 }, leaderboardAnonymous: false }, 'globex keeps the defaults')
  await app.inject({ url: app.analytics.beaconUrl({ tenantId: globex.tenantId, kind: 'page_view', subject: 'again' }) })
  t.equal((await stored.events(app)).filter((event) => event.subject === 'again').length, 1, "acme's switch does not silence globex")
})
