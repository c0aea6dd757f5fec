import t from 'tap'
import { acmeWithPost } from '../sharing/helpers.js'
import { buildAnalytics, daysAgo, memberIds, parseCsv, plain, seedDaily, tableCells } from './ui-helpers.js'

t.test('every table has a CSV file that parses and holds the rows of the page', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, curator, postId } = await acmeWithPost(app)
  // A title a spreadsheet would run as a formula.
  const evil = await (await import('../feeds/helpers.js')).makePost(curator, { url: 'https://acme.com/evil', title: '=HYPERLINK("http://evil.example","x")', textNetwork: ['any'], textBody: ['x'] })
  const ids = await memberIds(app)
  const rows = []
  for (let i = 0; i < 30; i++) rows.push({ day: daysAgo(i % 5), event: 'click', count: 1000 + i, postId: i % 2 ? postId : evil, memberId: ids['mia@acme.com'], network: ['x', 'linkedin', 'bluesky'][i % 3] })
  rows.push({ day: daysAgo(2), event: 'share', count: 4, postId: evil, memberId: ids['carl@acme.com'], network: 'mastodon' })
  await seedDaily(app, rows)
  const range = `from=${daysAgo(9)}&to=${daysAgo(0)}`
  const page = await owner.get(`/admin/analytics?${range}`)
  t.equal(page.statusCode, 200)
  for (const name of ['posts', 'members', 'networks', 'topics']) {
    t.match(page.body, new RegExp(`href="/admin/analytics/${name}.csv\\?from(=|&#x3D;)${daysAgo(9)}&amp;to(=|&#x3D;)${daysAgo(0)}"`), `${name} links its CSV`)
    const csv = await owner.get(`/admin/analytics/${name}.csv?${range}`)
    t.equal(csv.statusCode, 200)
    t.match(csv.headers['content-type'], /^text\/csv/)
    t.match(csv.headers['content-disposition'], new RegExp(`^attachment; filename="analytics-${name}-${daysAgo(9)}-${daysAgo(0)}.csv"$`))
    const parsed = parseCsv(csv.body)
    const shown = tableCells(page.body, name)
    t.ok(shown.length > 1, `${name} has rows`)
    t.same(parsed.map((row) => row.map((cell, i) => (i === 0 ? cell.replace(/^'(?=[=+\-@])/, '') : cell))), shown.map((row, r) => row.map((cell, i) => (i === 0 || r === 0 ? cell : plain(cell)))), `${name}: CSV equals the page`)
  }
  const posts = parseCsv((await owner.get(`/admin/analytics/posts.csv?${range}`)).body)
  t.ok(posts.some((row) => row[0] === `'=HYPERLINK("http://evil.example","x")`), 'a formula-like cell starts with an apostrophe')
  t.notOk(posts.some((row) => /^[=+\-@]/.test(row[0])), 'no cell starts a formula')
  const daily = parseCsv((await owner.get(`/admin/analytics/daily.csv?${range}`)).body)
  t.same(daily.slice(1), tableCells(page.body, 'chart').slice(1).map((row) => row.map((cell, i) => (i === 0 ? cell : plain(cell)))), 'the chart table as CSV')
})
