import t from 'tap'
import { acmeWithPost } from '../sharing/helpers.js'
import { buildAnalytics, daysAgo, memberIds, seedDaily, tableCells } from './ui-helpers.js'

t.test('the dashboard shows totals, trends, reach, value, chart and tables from the rollup', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, member, postId } = await acmeWithPost(app)
  const ids = await memberIds(app)
  const mia = ids['mia@acme.com']
  const carl = ids['carl@acme.com']
  // Mia declares 200 followers on LinkedIn; Carl declares nothing.
  const saved = await member.submit('/me/stats', { audience_linkedin: '200' })
  t.equal(saved.statusCode, 303, 'audience saved')
  await seedDaily(app, [
    { day: daysAgo(1), event: 'share', count: 3, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(1), event: 'click', count: 40, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(1), event: 'unique_click', count: 25, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(2), event: 'share', count: 1, postId, memberId: carl, network: 'x' },
    { day: daysAgo(2), event: 'click', count: 10, postId, memberId: carl, network: 'x' },
    { day: daysAgo(2), event: 'bot_click', count: 99, postId, memberId: carl, network: 'x' },
    // The previous 30 days: 25 clicks, so clicks doubled.
    { day: daysAgo(40), event: 'click', count: 25, postId, memberId: mia, network: 'linkedin' },
    // Outside both periods.
    { day: daysAgo(200), event: 'click', count: 1000, postId, memberId: mia, network: 'linkedin' }
  ])
  const page = await owner.get('/admin/analytics')
  t.equal(page.statusCode, 200)
  const card = (metric: string) => new RegExp(`data-metric="${metric}">\\s*<span class="an-card__label">[^<]*</span>\\s*<span class="an-card__value">([^<]*)</span>\\s*<span class="an-trend[^"]*">([^<]*)<`).exec(page.body)
  t.equal(card('shares')?.[1], '4')
  t.equal(card('clicks')?.[1], '50', 'bot clicks are not clicks')
  t.match(card('clicks')?.[2], /100% vs the previous 30 days/)
  t.equal(card('uniqueClicks')?.[1], '25')
  t.equal(card('reach')?.[1], '600', '3 shares × 200 followers; Carl declared nothing')
  t.match(page.body, /Where audience sizes are known: 3 of 4 shares/)
  t.equal(card('value')?.[1], '€25.00', '50 clicks × €0.50')
  t.equal(card('activeMembers')?.[1], '2')
  t.match(page.body, /<svg class="an-chart__svg"[^>]*role="img"/)
  t.match(page.body, /<title id="analytics-trend-title">Clicks and shares per day<\/title>/)
  const chart = tableCells(page.body, 'chart')
  t.equal(chart.length, 31, 'a header and 30 days')
  t.same(chart.find((row) => row[0] === daysAgo(1)), [daysAgo(1), '40', '3'])
  t.same(tableCells(page.body, 'posts').slice(1), [['We launched Rocket', '4', '50', '25']])
  t.same(tableCells(page.body, 'members').slice(1), [['Mia Member', '3', '40', '25'], ['Carl Curator', '1', '10', '0']])
  t.same(tableCells(page.body, 'networks').slice(1), [['LinkedIn', '3', '40', '25'], ['X', '1', '10', '0']])
  t.same(tableCells(page.body, 'topics').slice(1), [['No topic', '4', '50', '25']])
  t.notMatch(page.body, /(?<![\w-])(1,000|1000)(?![\w-])/, 'nothing from outside the range (random tokens aside)')
})

t.test('a chosen range and a preset change the figures; long ranges are drawn by week', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, postId } = await acmeWithPost(app)
  await seedDaily(app, [
    { day: daysAgo(3), event: 'click', count: 7, postId },
    { day: daysAgo(20), event: 'click', count: 11, postId }
  ])
  const week = await owner.get('/admin/analytics?days=7')
  t.match(week.body, /data-metric="clicks">\s*<span class="an-card__label">[^<]*<\/span>\s*<span class="an-card__value">7</)
  t.match(week.body, /<a class="an-preset" href="\/admin\/analytics\?days(=|&#x3D;)7" aria-current="true">/)
  const custom = await owner.get(`/admin/analytics?from=${daysAgo(25)}&to=${daysAgo(10)}`)
  t.match(custom.body, /data-metric="clicks">\s*<span class="an-card__label">[^<]*<\/span>\s*<span class="an-card__value">11</)
  t.match(custom.body, new RegExp(`value="${daysAgo(25)}"`))
  const year = await owner.get(`/admin/analytics?from=${daysAgo(364)}&to=${daysAgo(0)}`)
  t.match(year.body, /Clicks and shares per week/)
  const weeks = tableCells(year.body, 'chart')
  t.ok(weeks.length >= 53 && weeks.length <= 54, 'one row per week')
  t.equal(weeks.slice(1).reduce((sum, row) => sum + Number(row[1]), 0), 18)
})

t.test('bad ranges get a 400 page that says what is wrong, never a 500', async (t) => {
  const app = await buildAnalytics(t)
  const { owner } = await acmeWithPost(app)
  const cases: [string, RegExp][] = [
    [`from=${daysAgo(1)}&to=${daysAgo(10)}`, /is after the end date/],
    ['from=yesterday&to=today', /“yesterday” is not a date/],
    ['from=2025-02-30&to=2025-03-01', /“2025-02-30” is not a date/],
    [`from=2000-01-01&to=${daysAgo(0)}`, /at most 5 years/],
    [`from=${daysAgo(0)}&to=2999-01-01`, /ends in the future/],
    ['days=13', /preset ranges/]
  ]
  for (const [query, message] of cases) {
    const page = await owner.get(`/admin/analytics?${query}`)
    t.equal(page.statusCode, 400, query)
    t.match(page.body, message, query)
    t.match(page.body, /class="an-range"/, 'the range form is there to fix it')
    const csv = await owner.get(`/admin/analytics/posts.csv?${query}`)
    t.equal(csv.statusCode, 400, `csv ${query}`)
    t.match(csv.body, message)
  }
})
