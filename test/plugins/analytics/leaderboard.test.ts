import t from 'tap'
import { addMember, signedIn } from '../auth/helpers.js'
import { send } from '../feeds/helpers.js'
import { acmeWithPost } from '../sharing/helpers.js'
import { buildAnalytics, daysAgo, memberIds, seedDaily, tableCells } from './ui-helpers.js'

const monday = (() => {
  const now = new Date()
  const back = (now.getUTCDay() + 6) % 7
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - back)).toISOString().slice(0, 10)
})()

t.test('points per week, month and all time, ranks, anonymity and opt-out', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, member, postId } = await acmeWithPost(app)
  await addMember(app, { email: 'sam@acme.com', name: 'Sam Sharer', role: 'member', password: 'sharer password 1' })
  const sam = await signedIn(app, 'sam@acme.com', 'sharer password 1')
  await send(sam, '/welcome', '/welcome', { skip: '1' })
  const ids = await memberIds(app)
  await seedDaily(app, [
    // This week: Mia 2 shares (20) + 5 unique clicks (5) = 25; Sam 1 share (10) + 1 approved suggestion (5) = 15.
    { day: monday, event: 'share', count: 2, postId, memberId: ids['mia@acme.com'], network: 'linkedin' },
    { day: monday, event: 'unique_click', count: 5, postId, memberId: ids['mia@acme.com'], network: 'linkedin' },
    { day: monday, event: 'click', count: 50, postId, memberId: ids['mia@acme.com'], network: 'linkedin' },
    { day: monday, event: 'share', count: 1, postId, memberId: ids['sam@acme.com'], network: 'x' },
    { day: monday, event: 'suggestion_approved', count: 1, memberId: ids['sam@acme.com'] },
    // Long ago: Sam 10 shares (100), so Sam leads all time.
    { day: daysAgo(400), event: 'share', count: 10, postId, memberId: ids['sam@acme.com'], network: 'x' }
  ])
  const week = await member.get('/leaderboard')
  t.equal(week.statusCode, 200)
  t.same(tableCells(week.body, 'leaderboard').slice(1), [['1', 'You', '25'], ['2', 'Sam Sharer', '15']])
  t.match(week.body, /You are number 1 with 25 points/)
  t.match(week.body, /UTC/, 'the small print names the time zone')
  const all = await member.get('/leaderboard?period=all')
  t.same(tableCells(all.body, 'leaderboard').slice(1), [['1', 'Sam Sharer', '115'], ['2', 'You', '25']])
  t.same(tableCells((await owner.get('/leaderboard?period=all')).body, 'leaderboard').slice(1), [['1', 'Sam Sharer', '115'], ['2', 'Mia Member', '25']])
  t.equal((await member.get('/leaderboard?period=year')).statusCode, 400, 'an unknown period is refused')

  // Sam hides his name: others see "Anonymous member", Sam still sees himself.
  t.equal((await sam.submit('/me/stats', { hideName: '1' })).statusCode, 303)
  const hidden = await member.get('/leaderboard?period=all')
  t.same(tableCells(hidden.body, 'leaderboard').slice(1), [['1', 'Anonymous member', '115'], ['2', 'You', '25']])
  t.notMatch(hidden.body, /Sam Sharer/)
  t.same(tableCells((await sam.get('/leaderboard?period=all')).body, 'leaderboard').slice(1), [['1', 'You', '115'], ['2', 'Mia Member', '25']])

  // The instance weighs clicks instead and anonymises the whole board.
  const settings = await owner.submit('/admin/analytics/settings', { costPerClick: '0.50', currency: 'EUR', points_share: '0', points_click: '2', points_unique_click: '0', points_bot_click: '0', points_email_open: '0', points_page_view: '0', points_member_joined: '0', points_member_activated: '0', points_suggestion_approved: '0', leaderboardAnonymous: '1', beacons: '1' })
  t.equal(settings.statusCode, 303)
  const anonymous = await owner.get('/leaderboard?period=week')
  t.same(tableCells(anonymous.body, 'leaderboard').slice(1), [['1', 'Anonymous member', '100']], 'Mia: 50 clicks × 2; Sam has no clicks')
  t.notMatch(anonymous.body, /Mia Member/)
  t.same(tableCells((await member.get('/leaderboard?period=week')).body, 'leaderboard').slice(1), [['1', 'You', '100']])
  t.match((await owner.get('/leaderboard')).body, /You have no points in this period yet/)
})

t.test('equal points share a rank', async (t) => {
  const app = await buildAnalytics(t)
  const { member, postId } = await acmeWithPost(app)
  const ids = await memberIds(app)
  await seedDaily(app, ['mia@acme.com', 'carl@acme.com', 'olivia@acme.com'].map((email, i) => ({ day: monday, event: 'share', count: i === 2 ? 1 : 3, postId, memberId: ids[email], network: 'x' })))
  const rows = tableCells((await member.get('/leaderboard')).body, 'leaderboard').slice(1)
  t.same([...rows.slice(0, 2)].sort((a, b) => a[1].localeCompare(b[1])), [['1', 'Carl Curator', '30'], ['1', 'You', '30']])
  t.same(rows[2], ['3', 'Olivia Owner', '10'])
})

t.test('an empty board says so once, and invites a share', async (t) => {
  const app = await buildAnalytics(t)
  const { owner, member } = await acmeWithPost(app)
  const page = await member.get('/leaderboard')
  t.equal(page.statusCode, 200)
  t.same(tableCells(page.body, 'leaderboard'), [], 'no board')
  t.match(page.body, /No points yet in this period\. Share a post to get on the board\./)
  t.notMatch(page.body, /You have no points in this period yet/, 'not the same thing twice')
  t.match(page.body, /How points are earned<\/h2>\s*<ul class="an-how__list"><li><span>Share<\/span> <strong>\+10/)

  // Every weight 0: the panel says so instead of standing empty.
  const zero = Object.fromEntries(['share', 'click', 'unique_click', 'bot_click', 'email_open', 'page_view', 'member_joined', 'member_activated', 'suggestion_approved'].map((type) => [`points_${type}`, '0']))
  t.equal((await owner.submit('/admin/analytics/settings', { costPerClick: '0.50', currency: 'EUR', ...zero, beacons: '1' })).statusCode, 303)
  const none = await member.get('/leaderboard')
  t.notMatch(none.body, /an-how__list/)
  t.match(none.body, /No activity earns points at the moment/)
})
