import t from 'tap'
import { AnalyticsMember } from '../../../plugins/analytics/entities/member.entity.js'
import { acmeWithPost } from '../sharing/helpers.js'
import { buildAnalytics, daysAgo, memberIds, seedDaily, tableCells } from './ui-helpers.js'

t.test('my stats show my own shares, clicks, visitors, points, rank, best posts and weeks', async (t) => {
  const app = await buildAnalytics(t)
  const { member, postId } = await acmeWithPost(app)
  const ids = await memberIds(app)
  const mia = ids['mia@acme.com']
  await seedDaily(app, [
    { day: daysAgo(0), event: 'share', count: 2, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(0), event: 'click', count: 30, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(0), event: 'unique_click', count: 12, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(300), event: 'share', count: 1, postId, memberId: mia, network: 'x' },
    // Carl's figures are not Mia's.
    { day: daysAgo(0), event: 'share', count: 9, postId, memberId: ids['carl@acme.com'], network: 'x' },
    { day: daysAgo(0), event: 'click', count: 777, postId, memberId: ids['carl@acme.com'], network: 'x' }
  ])
  const page = await member.get('/me/stats')
  t.equal(page.statusCode, 200)
  t.match(page.body, /New shares and clicks show here within about five minutes\./, 'the page says how fresh its figures are')
  const figure = (metric: string) => new RegExp(`data-metric="${metric}">\\s*<span class="an-card__label">[^<]*</span>\\s*<span class="an-card__value">([^<]*)<`).exec(page.body)?.[1]
  t.equal(figure('shares'), '3')
  t.equal(figure('clicks'), '30')
  t.equal(figure('uniqueClicks'), '12')
  t.equal(figure('points-all'), '42', '3 shares × 10 + 12 unique clicks × 1')
  t.match(page.body, /Rank 2 of 2/, 'Carl has 90 points')
  t.equal(figure('points-month'), '32')
  t.same(tableCells(page.body, 'best').slice(1), [['We launched Rocket', '3', '30', '12']])
  const weeks = tableCells(page.body, 'chart')
  t.equal(weeks.length, 13, '12 weeks')
  t.same(weeks[12].slice(1), ['30', '2'], 'this week: 30 clicks, 2 shares')
  t.match(page.body, /<svg class="an-chart__svg"[^>]*role="img"/)
  // Not inside a random CSP nonce or form token ([A-Za-z0-9_-]): one such nonce held "777" in CI.
  t.notMatch(page.body, /(?<![\w-])777(?![\w-])/, 'nobody else’s figures')
})

t.test('audience and name preference: saved when valid, refused whole when not', async (t) => {
  const app = await buildAnalytics(t)
  const { member } = await acmeWithPost(app)
  const ok = await member.submit('/me/stats', { audience_linkedin: '1200', audience_x: '', hideName: '1' })
  t.equal(ok.statusCode, 303)
  const rows = await app.kaiku.orm.em.fork().find(AnalyticsMember, {}, { filters: false })
  t.equal(rows.length, 1)
  t.same(rows[0].audience, { linkedin: 1200 })
  t.equal(rows[0].hideName, true)
  const page = await member.get('/me/stats')
  t.match(page.body, /name="audience_linkedin"[^>]*value="1200"/)
  t.match(page.body, /id="hideName" name="hideName" type="checkbox" value="1" checked/)
  t.match(page.body, /Colleagues see “Anonymous member” in your place on the board\. Your admins still see your numbers/, 'says who still sees the name')
  for (const bad of ['-5', '1.5', 'lots', '999999999999']) {
    const refused = await member.submit('/me/stats', { audience_linkedin: '5', audience_x: bad })
    t.equal(refused.statusCode, 400, bad)
    t.match(refused.body, /Enter a whole number of followers/)
  }
  const unknown = await member.submit('/me/stats', { audience_myspace: '5' })
  t.equal(unknown.statusCode, 400)
  const after = await app.kaiku.orm.em.fork().find(AnalyticsMember, {}, { filters: false })
  t.same(after[0].audience, { linkedin: 1200 }, 'nothing half-saved')
  t.equal(after[0].hideName, true)
  const noCsrf = await app.inject({ method: 'POST', url: '/me/stats', headers: { host: 'acme.localhost', cookie: member.cookie, accept: 'text/html' }, payload: { audience_linkedin: '1' } })
  t.equal(noCsrf.statusCode, 403, 'CSRF is required')
})

t.test('on a phone the chart keeps its labels’ size and each best post becomes a card of labelled figures', async (t) => {
  const app = await buildAnalytics(t)
  const { member, postId } = await acmeWithPost(app)
  const mia = (await memberIds(app))['mia@acme.com']
  await seedDaily(app, [
    { day: daysAgo(0), event: 'share', count: 2, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(0), event: 'click', count: 4, postId, memberId: mia, network: 'linkedin' },
    { day: daysAgo(0), event: 'unique_click', count: 3, postId, memberId: mia, network: 'linkedin' }
  ])
  const page = await member.get('/me/stats')
  const svg = /<svg class="an-chart__svg"[^>]*>/.exec(page.body)?.[0] ?? ''
  t.match(svg, /width="100%"/)
  t.notMatch(svg, /viewBox/, 'the labelled chart is not a drawing scaled down to the screen, so its 12 px labels stay 12 px')
  const ticks = [...page.body.matchAll(/<text( class="an-chart__tick--minor")? x="[^"]*" y="100%"[^>]*>([^<]*)</g)]
  t.ok(ticks.some((tick) => tick[1]) && ticks.some((tick) => !tick[1]), 'a narrow screen shows every other week on the axis')
  t.notOk(ticks.at(-1)?.[1], 'always the last week')
  const table = /<table[^>]*data-table="best"[^>]*>/.exec(page.body)?.[0] ?? ''
  t.match(table, /\btable--stack\b/, 'the best posts stack on a phone, like the product’s other tables')
  const row = /data-table="best"[\s\S]*?<tbody>\s*<tr>([\s\S]*?)<\/tr>/.exec(page.body)?.[1] ?? ''
  t.same([...row.matchAll(/<td class="cell-number" data-label="([^"]+)">([^<]*)</g)].map((cell) => [cell[1], cell[2]]), [['Shares', '2'], ['Clicks', '4'], ['Unique visitors', '3']], 'each figure says what it is')
})
