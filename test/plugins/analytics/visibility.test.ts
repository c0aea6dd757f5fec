import t from 'tap'
import { acmeWithPost } from '../sharing/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { buildAnalytics, daysAgo, memberIds, seedDaily, tableCells } from './ui-helpers.js'

t.test('members see their own figures and the board; only admins see the dashboard; no instance sees another', async (t) => {
  const app = await buildAnalytics(t)
  const acme = await acmeWithPost(app)
  const globex = await globexWithPost(app)
  const ids = await memberIds(app)
  const today = daysAgo(0)
  await seedDaily(app, [
    { day: today, event: 'share', count: 2, postId: acme.postId, memberId: ids['mia@acme.com'], network: 'linkedin' },
    { day: today, event: 'click', count: 11, postId: acme.postId, memberId: ids['mia@acme.com'], network: 'linkedin' }
  ])
  await seedDaily(app, [
    { day: today, event: 'share', count: 5, postId: globex.postId, memberId: ids['gwen@globex.com'], network: 'x' },
    { day: today, event: 'click', count: 987, postId: globex.postId, memberId: ids['gwen@globex.com'], network: 'x' }
  ], 'globex')

  for (const url of ['/admin/analytics', '/admin/analytics/settings', '/admin/analytics/posts.csv', '/admin/analytics/members.csv', '/admin/analytics/daily.csv']) {
    t.equal((await acme.member.get(url)).statusCode, 403, `a member may not open ${url}`)
    t.equal((await acme.curator.get(url)).statusCode, 403, `a curator may not open ${url}`)
  }
  const anonymous = await app.inject({ url: '/me/stats', headers: { host: 'acme.localhost', accept: 'text/html' } })
  t.not(anonymous.statusCode, 200, 'strangers see no stats')
  t.not((await app.inject({ url: '/leaderboard', headers: { host: 'acme.localhost', accept: 'text/html' } })).statusCode, 200)

  const dashboard = await acme.owner.get('/admin/analytics')
  t.equal(dashboard.statusCode, 200)
  t.match(dashboard.body, /data-metric="clicks">\s*<span class="an-card__label">[^<]*<\/span>\s*<span class="an-card__value">11</)
  // 987 as a number of its own: the page's random CSP nonces (hex) may hold those digits.
  for (const foreign of [/Globex Widget News/, /Gwen Globex/, /\b987\b/]) t.notMatch(dashboard.body, foreign, `acme's dashboard shows nothing of globex (${foreign})`)
  for (const name of ['posts', 'members', 'networks', 'topics', 'daily']) {
    const csv = (await acme.owner.get(`/admin/analytics/${name}.csv`)).body
    t.notMatch(csv, /Globex|Gwen|\b987\b/, `${name}.csv holds nothing of globex`)
  }
  const globexBoard = await globex.owner.get('/admin/analytics')
  t.match(globexBoard.body, /data-metric="clicks">\s*<span class="an-card__label">[^<]*<\/span>\s*<span class="an-card__value">987</)
  t.notMatch(globexBoard.body, /We launched Rocket|Mia Member/)

  const board = await acme.curator.get('/leaderboard?period=all')
  t.same(tableCells(board.body, 'leaderboard').slice(1), [['1', 'Mia Member', '20']], 'only acme members on acme’s board')
  t.same(tableCells((await globex.member.get('/leaderboard?period=all')).body, 'leaderboard').slice(1), [['1', 'You', '50']])
  const carl = await acme.curator.get('/me/stats')
  t.match(carl.body, /data-metric="clicks">\s*<span class="an-card__label">[^<]*<\/span>\s*<span class="an-card__value">0</, 'Carl sees his own figures, not Mia’s')
  // A member of one instance cannot use its session on another.
  const cross = await app.inject({ url: '/admin/analytics', headers: { host: 'globex.localhost', cookie: acme.owner.cookie, accept: 'text/html' } })
  t.not(cross.statusCode, 200)
  t.notMatch(cross.body, /(?<![\w-])987(?![\w-])/, 'none of globex’s figures (random tokens aside)')
})
