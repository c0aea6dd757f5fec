import t from 'tap'
import { AnalyticsEvent } from '../../../plugins/analytics/entities/event.entity.js'
import { exportAnalytics } from '../../../plugins/analytics/privacy.js'
import { acmeWithActivity, buildAll, memberId } from '../privacy/helpers.js'

t.test('/me/data and the export count raw events where they are declared: opens apart from other activities', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const mia = await memberId(app, 'mia@acme.com')
  const events = await app.kaiku.orm.em.fork().find(AnalyticsEvent, { memberId: mia }, { filters: false })
  t.ok(events.some((event) => event.type === 'member_activated'), 'her first share is an event')
  const opened = events.filter((event) => event.type === 'email_open' || event.type === 'page_view').length

  const page = (await acme.member.get('/me/data')).body
  t.match(page, new RegExp(`Email opens and post views <span class="badge">Records: ${opened}<`), 'opens count only opens and views')
  const em = app.kaiku.orm.em.fork()
  em.setFilterParams('tenant', { tenantId: acme.tenantId })
  const parts = await exportAnalytics([], { em, tenantId: acme.tenantId, memberId: mia, name: 'Mia Member', email: 'mia@acme.com' })
  const rowsOf = (category: string) => parts.find((part) => part.category === category)!.rows
  t.ok(rowsOf('activity').some((row) => row.event === 'member_activated' && row.at instanceof Date), 'her first share is in her activity')
  t.notOk(rowsOf('opens').some((row) => row.type === 'member_activated'), 'and not among her opens')
  t.equal(rowsOf('opens').length, opened)
})
