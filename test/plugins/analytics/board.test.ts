import { randomUUID } from 'node:crypto'
import t from 'tap'
import { AnalyticsMember } from '../../../plugins/analytics/entities/member.entity.js'
import { addDays } from '../../../plugins/analytics/lib/days.js'
import { LEADERBOARD_ROWS } from '../../../plugins/analytics/ui/services/points.js'
import { board, type BoardRow } from '../../../plugins/analytics/ui/services/rollups.js'
import { addMember } from '../auth/helpers.js'
import { onPostgres } from '../../helper.js'
import { acmeWithPost } from '../sharing/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { rng } from './helpers.js'
import { buildAnalytics, daysAgo, memberIds, seedDaily, tableCells, tenantIdOf, type DailyRow } from './ui-helpers.js'

const dialect = onPostgres() ? 'postgresql' : 'sqlite'
const EVENTS = ['share', 'click', 'unique_click', 'bot_click', 'suggestion_approved', 'email_open'] as const
// A weight of 0 and one that is not a whole number count nothing; a negative one subtracts.
const POINTS = { share: 10, unique_click: 1, suggestion_approved: 5, email_open: 0, click: 1.5, bot_click: -1 }

/** The board counted straight from the daily rows: points, places (1, 1, 3) and ties by member id. */
function expected(rows: DailyRow[], range: { from: string; to: string } | null, hidden: Set<string>): BoardRow[] {
  const sums = new Map<string, number>()
  for (const row of rows) {
    if (!row.memberId || (range && (row.day < range.from || row.day > range.to))) continue
    const weight = POINTS[row.event as keyof typeof POINTS]
    if (Number.isSafeInteger(weight) && weight !== 0) sums.set(row.memberId, (sums.get(row.memberId) ?? 0) + row.count * weight)
  }
  const sorted = [...sums].filter(([, points]) => points > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  let rank = 0
  return sorted.map(([memberId, points], i) => {
    if (i === 0 || points !== sorted[i - 1][1]) rank = i + 1
    return { memberId, points, rank, hidden: hidden.has(memberId) }
  })
}

t.test('the board ranked in the database equals the ranking of the daily rows, for random rows, ranges and viewers', async (t) => {
  const app = await buildAnalytics(t)
  await acmeWithPost(app)
  await globexWithPost(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const random = rng(31)
  // Ids that differ early and late, upper-case hex among them: ties must go by code point in every database.
  const members = Array.from({ length: 70 }, (_, i) => (i % 7 === 0 ? randomUUID().toUpperCase() : randomUUID()))
  const hidden = new Set(members.filter((_, i) => i % 5 === 0))
  const em = app.kaiku.orm.em.fork()
  for (const memberId of members) em.create(AnalyticsMember, { tenantId, memberId, hideName: hidden.has(memberId), audience: {} })
  await em.flush()
  const rows: DailyRow[] = []
  const taken = new Set<string>()
  for (let i = 0; i < 900; i++) {
    // Small counts make equal points, so places are shared and the 50th place cuts through a tie.
    const row = { day: addDays('2026-01-20', random.int(60)), event: random.pick(EVENTS), count: 1 + random.int(3), memberId: random.pick(['', ...members]), network: 'x' }
    const key = `${row.day}|${row.event}|${row.memberId}`
    if (taken.has(key)) continue
    taken.add(key)
    rows.push(row)
  }
  await seedDaily(app, rows)
  // The same members' rows in another instance never count.
  await seedDaily(app, rows.slice(0, 100).map((row) => ({ ...row, count: 500 })), 'globex')

  const ranges = [null, { from: '2026-02-01', to: '2026-02-28' }, { from: '2026-01-25', to: '2026-03-03' }, { from: '2026-02-10', to: '2026-02-11' }]
  for (const range of ranges) {
    const want = expected(rows, range, hidden)
    const label = range ? `${range.from} … ${range.to}` : 'all time'
    t.ok(want.length > LEADERBOARD_ROWS || range?.to === '2026-02-11', `${label}: ${want.length} members ranked`)
    const unranked = members.find((id) => !want.some((row) => row.memberId === id))
    for (const viewerId of [want[0]?.memberId, want.at(-1)?.memberId, want[LEADERBOARD_ROWS]?.memberId, unranked, undefined]) {
      const result = await board(app.kaiku.orm.em.fork(), tenantId, range, POINTS, { dialect, limit: LEADERBOARD_ROWS, viewerId })
      t.same(result, { top: want.slice(0, LEADERBOARD_ROWS), mine: want.find((row) => row.memberId === viewerId) ?? null, ranked: want.length }, `${label}, viewer ${viewerId ?? 'none'}`)
    }
    const one = await board(app.kaiku.orm.em.fork(), tenantId, range, POINTS, { dialect, limit: 1, viewerId: want.at(-1)?.memberId })
    t.same(one, { top: want.slice(0, 1), mine: want.at(-1) ?? null, ranked: want.length }, `${label}: the first place and mine only`)
  }
  t.same(await board(app.kaiku.orm.em.fork(), tenantId, null, { share: 0, click: 0.5 }, { dialect, limit: 50 }), { top: [], mine: null, ranked: 0 }, 'no whole-number weight: nobody is ranked')
})

t.test('a viewer below the listed places sees the first fifty, a gap, then their own place', async (t) => {
  const app = await buildAnalytics(t)
  const { member, postId } = await acmeWithPost(app)
  for (let i = 0; i < 52; i++) await addMember(app, { email: `p${i}@acme.com`, name: `Person ${String(i).padStart(2, '0')}`, role: 'member' })
  const ids = await memberIds(app)
  const day = daysAgo(1)
  // Person 00 has 52 shares, Person 51 one; Mia one share too, so she shares place 52 with Person 51.
  await seedDaily(app, [
    ...Array.from({ length: 52 }, (_, i) => ({ day, event: 'share', count: 52 - i, postId, memberId: ids[`p${i}@acme.com`], network: 'x' })),
    { day, event: 'share', count: 1, postId, memberId: ids['mia@acme.com'], network: 'x' }
  ])
  const page = await member.get('/leaderboard?period=all')
  const cells = tableCells(page.body, 'leaderboard').slice(1)
  t.equal(cells.length, LEADERBOARD_ROWS + 2, 'fifty places, the gap, the viewer')
  t.same(cells[0], ['1', 'Person 00', '520'])
  t.same(cells[LEADERBOARD_ROWS - 1], ['50', 'Person 49', '30'])
  t.same(cells.at(-1), ['52', 'You', '10'], 'the viewer shares place 52')
  t.match(page.body, /an-board__gap/)
  t.match(page.body, /You are number 52 with 10 points/)
  t.notMatch(page.body, /Person 50|Person 51/, 'places between the fiftieth and the viewer are not listed')
})
