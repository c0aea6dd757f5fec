import t from 'tap'
import { AnalyticsSettings } from '../../../plugins/analytics/entities/settings.entity.js'
import { acmeWithPost } from '../sharing/helpers.js'
import { buildAnalytics, daysAgo, seedDaily } from './ui-helpers.js'

const valid = { costPerClick: '1.25', currency: 'usd', points_share: '3', points_click: '0', points_unique_click: '2', points_bot_click: '0', points_email_open: '0', points_page_view: '0', points_member_joined: '0', points_member_activated: '0', points_suggestion_approved: '7' }

t.test('admins set the value of a click, points per activity, anonymity and beacons', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, postId } = await acmeWithPost(app)
  const form = await owner.get('/admin/analytics/settings')
  t.equal(form.statusCode, 200)
  t.match(form.body, /name="costPerClick"[^>]*value="0.50"/)
  t.match(form.body, /name="points_share"[^>]*value="10"/)
  t.match(form.body, /id="beacons" name="beacons" type="checkbox" value="1" checked/)
  const saved = await owner.submit('/admin/analytics/settings', { ...valid, leaderboardAnonymous: '1' })
  t.equal(saved.statusCode, 303)
  const [row] = await app.kaiku.orm.em.fork().find(AnalyticsSettings, {}, { filters: false })
  t.equal(row.costPerClickCents, 125)
  t.equal(row.currency, 'USD')
  t.equal(row.points.share, 3)
  t.equal(row.points.suggestion_approved, 7)
  t.equal(row.leaderboardAnonymous, true)
  t.equal(row.beacons, false, 'an unticked box switches beacons off')
  await seedDaily(app, [{ day: daysAgo(1), event: 'click', count: 8, postId }])
  const dashboard = await owner.get('/admin/analytics')
  t.match(dashboard.body, /data-metric="value">\s*<span class="an-card__label">[^<]*<\/span>\s*<span class="an-card__value">\$10.00</, '8 clicks × $1.25')
})

t.test('bad settings are refused whole with a 400 and nothing saved', async (t) => {
  const app = await buildAnalytics(t)
  const { owner } = await acmeWithPost(app)
  const cases: [Record<string, string>, RegExp][] = [
    [{ costPerClick: 'cheap' }, /Enter an amount such as 0.50/],
    [{ costPerClick: '5000' }, /Enter an amount such as 0.50/],
    [{ currency: 'EURO' }, /three-letter currency code/],
    [{ currency: 'ZZZ' }, /three-letter currency code/],
    [{ points_share: '-1' }, /whole number from 0 to 10000/],
    [{ points_share: '20000' }, /whole number from 0 to 10000/],
    [{ points_unique_click: '1.5' }, /whole number from 0 to 10000/],
    [{ points_made_up: '5' }, /field this page does not know/]
  ]
  for (const [patch, message] of cases) {
    const response = await owner.submit('/admin/analytics/settings', { ...valid, ...patch })
    t.equal(response.statusCode, 400, JSON.stringify(patch))
    t.match(response.body, message)
  }
  t.equal((await app.kaiku.orm.em.fork().find(AnalyticsSettings, {}, { filters: false })).length, 0, 'nothing saved')
})

t.test('settings changed by another server: the form shows them at once, the pages within 5 seconds', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, postId } = await acmeWithPost(app)
  await owner.submit('/admin/analytics/settings', valid)
  await seedDaily(app, [{ day: daysAgo(1), event: 'click', count: 8, postId }])
  const value = async () => /data-metric="value">\s*<span class="an-card__label">[^<]*<\/span>\s*<span class="an-card__value">([^<]+)</.exec((await owner.get('/admin/analytics')).body)?.[1]
  t.equal(await value(), '$10.00', 'read once: this server now keeps the settings')
  // Another server saves $2.00 a click: this one has not heard of it.
  await app.kaiku.orm.em.fork().getConnection().execute('update analytics_settings set cost_per_click_cents = 200')
  t.match((await owner.get('/admin/analytics/settings')).body, /name="costPerClick"[^>]*value="2.00"/, 'the form reads what is stored')
  let shown = await value()
  for (let waited = 0; shown !== '$16.00' && waited < 7_000; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    shown = await value()
  }
  t.equal(shown, '$16.00', 'the dashboard follows within the 5 seconds')
})
