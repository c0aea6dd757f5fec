import { randomUUID } from 'node:crypto'
import t from 'tap'
import { addDays } from '../../../plugins/analytics/lib/days.js'
import { monthsAndDays } from '../../../plugins/analytics/services/summaries.js'
import { breakdown, perDay, pointsByMember, sharesOfMembers, summary } from '../../../plugins/analytics/ui/services/rollups.js'
import { acme } from '../feeds/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { rng } from './helpers.js'
import { buildAnalytics, seedDaily, tenantIdOf, type DailyRow } from './ui-helpers.js'

t.test('a range is its whole months plus the days around them', async (t) => {
  t.same(monthsAndDays({ from: '2026-01-01', to: '2026-12-31' }), { months: { first: '2026-01', last: '2026-12' }, days: [] })
  t.same(monthsAndDays({ from: '2025-12-01', to: '2026-11-30' }), { months: { first: '2025-12', last: '2026-11' }, days: [] }, 'across a new year')
  t.same(monthsAndDays({ from: '2026-01-15', to: '2026-03-10' }), { months: { first: '2026-02', last: '2026-02' }, days: [{ from: '2026-01-15', to: '2026-01-31' }, { from: '2026-03-01', to: '2026-03-10' }] })
  t.same(monthsAndDays({ from: '2026-02-01', to: '2026-02-28' }), { months: { first: '2026-02', last: '2026-02' }, days: [] }, 'a February is whole on its 28th')
  t.same(monthsAndDays({ from: '2024-02-01', to: '2024-02-28' }), { months: null, days: [{ from: '2024-02-01', to: '2024-02-28' }] }, 'but not in a leap year')
  t.same(monthsAndDays({ from: '2026-03-02', to: '2026-03-30' }), { months: null, days: [{ from: '2026-03-02', to: '2026-03-30' }] })
  t.same(monthsAndDays({ from: '2026-03-31', to: '2026-04-01' }), { months: null, days: [{ from: '2026-03-31', to: '2026-04-01' }] })
})

const EVENTS = ['share', 'click', 'unique_click', 'bot_click', 'suggestion_approved', 'email_open'] as const
const POINTS = { share: 10, unique_click: 1, suggestion_approved: 5, email_open: 0 }

/** What the pages must show for a range, counted straight from the daily rows. */
function expected(rows: DailyRow[], range: { from: string; to: string } | null) {
  const inRange = rows.filter((row) => !range || (row.day >= range.from && row.day <= range.to))
  const by = (key: (row: DailyRow) => string) => {
    const groups = new Map<string, { key: string; shares: number; clicks: number; uniqueClicks: number }>()
    for (const row of inRange) {
      const k = key(row)
      const field = row.event === 'share' ? 'shares' : row.event === 'click' ? 'clicks' : row.event === 'unique_click' ? 'uniqueClicks' : null
      if (k === '' || !field) continue
      const group = groups.get(k) ?? { key: k, shares: 0, clicks: 0, uniqueClicks: 0 }
      group[field] += row.count
      groups.set(k, group)
    }
    return [...groups.values()].sort((a, b) => b.clicks - a.clicks || b.shares - a.shares || (a.key < b.key ? -1 : 1))
  }
  const points = new Map<string, number>()
  for (const row of inRange) {
    const weight = POINTS[row.event as keyof typeof POINTS] ?? 0
    if (row.memberId && weight) points.set(row.memberId, (points.get(row.memberId) ?? 0) + row.count * weight)
  }
  const days = new Map<string, Record<string, number>>()
  for (const row of inRange) {
    if (!['share', 'click', 'unique_click'].includes(row.event)) continue
    const day = days.get(row.day) ?? { share: 0, click: 0, unique_click: 0 }
    day[row.event] += row.count
    days.set(row.day, day)
  }
  return {
    posts: by((row) => row.postId ?? ''),
    members: by((row) => row.memberId ?? ''),
    networks: by((row) => row.network ?? ''),
    points: [...points].filter(([, p]) => p > 0).map(([memberId, p]) => ({ memberId, points: p })).sort((a, b) => b.points - a.points || (a.memberId < b.memberId ? -1 : 1)),
    days: Object.fromEntries([...days].sort())
  }
}

t.test('pages reading monthly summaries show what the daily counters add up to, for random counters and ranges', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  await globexWithPost(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const em = () => {
    const fork = app.kaiku.orm.em.fork()
    fork.setFilterParams('tenant', { tenantId })
    return fork
  }
  const posts = ['', randomUUID(), randomUUID(), randomUUID()]
  const members = ['', randomUUID(), randomUUID(), randomUUID()]
  const networks = ['', 'linkedin', 'x', 'mastodon']
  const all: DailyRow[] = []
  const taken = new Set<string>()
  for (const seed of [11, 12, 13]) {
    const random = rng(seed)
    const rows: DailyRow[] = []
    for (let i = 0; i < 120; i++) {
      // Days from mid-December 2025 to mid-May 2026: whole months and months cut by the ranges.
      const row = { day: addDays('2025-12-14', random.int(150)), event: random.pick(EVENTS), count: 1 + random.int(40), postId: random.pick(posts), memberId: random.pick(members), network: random.pick(networks) }
      const key = `${row.day}|${row.event}|${row.postId}|${row.memberId}|${row.network}`
      if (taken.has(key)) continue
      taken.add(key)
      rows.push(row)
    }
    // Each round adds counters to days that already have some: the summaries are counted again.
    await seedDaily(app, rows)
    all.push(...rows)
    // Another instance's counters on the same days must never show.
    await seedDaily(app, rows.slice(0, 20).map((row) => ({ ...row, count: 1000 })), 'globex')

    const ranges = [
      null,
      { from: '2026-01-01', to: '2026-03-31' },
      { from: '2025-12-14', to: '2026-05-12' },
      { from: '2026-02-01', to: '2026-02-28' },
      { from: '2026-02-10', to: '2026-02-20' }
    ]
    for (let i = 0; i < 4; i++) {
      const from = addDays('2025-12-10', random.int(150))
      ranges.push({ from, to: addDays(from, random.int(100)) })
    }
    for (const range of ranges) {
      const want = expected(all, range)
      const label = `round ${seed}, ${range ? `${range.from} … ${range.to}` : 'all time'}`
      t.same(await breakdown(em(), tenantId, range, 'post_id', { limit: null }), want.posts, `${label}: posts`)
      t.same(await breakdown(em(), tenantId, range, 'member_id', { limit: 2 }), want.members.slice(0, 2), `${label}: top members`)
      t.same(await breakdown(em(), tenantId, range, 'network', { limit: null }), want.networks, `${label}: networks`)
      t.same(await pointsByMember(em(), tenantId, range, POINTS), want.points, `${label}: points`)
      if (!range) continue
      t.same(Object.fromEntries([...(await perDay(em(), tenantId, range, ['share', 'click', 'unique_click']))].sort()), want.days, `${label}: days`)
      // The dashboard's pairs: this range and the one of the same length before it.
      const before = { from: addDays(range.from, -60), to: addDays(range.from, -1) }
      const { byMember, byNetwork, byPost } = await summary(em(), tenantId, range, before)
      const previous = expected(all, before)
      type Row = { key: string; inRange: boolean; current: Figures; previous: Figures }
      type Figures = { shares: number; clicks: number; uniqueClicks: number }
      const of = (rows: Row[], period: 'current' | 'previous') =>
        rows
          .filter((row) => row.key !== '' && (row[period].shares || row[period].clicks || row[period].uniqueClicks))
          .map((row) => ({ key: row.key, ...row[period] }))
          .sort((a, b) => b.clicks - a.clicks || b.shares - a.shares || (a.key < b.key ? -1 : 1))
      const nonZero = (rows: Figures[]) => rows.filter((row) => row.shares || row.clicks || row.uniqueClicks)
      t.same(of(byMember, 'current'), nonZero(want.members), `${label}: members in the range`)
      t.same(of(byMember, 'previous'), nonZero(previous.members), `${label}: members in the range before`)
      t.same(of(byNetwork, 'current'), nonZero(want.networks), `${label}: networks in the range`)
      t.same(of(byNetwork, 'previous'), nonZero(previous.networks), `${label}: networks in the range before`)
      t.same(byPost, want.posts, `${label}: posts`)
      // Reach's shares per member and network: the same whether the members are few or many.
      const real = members.filter(Boolean)
      const sorted = <T extends { memberId: string; network: string }>(rows: T[]) => [...rows].sort((a, b) => `${a.memberId}${a.network}`.localeCompare(`${b.memberId}${b.network}`))
      const few = sorted(await sharesOfMembers(em(), tenantId, range, before, real))
      const many = sorted(await sharesOfMembers(em(), tenantId, range, before, [...real, ...Array.from({ length: 600 }, () => randomUUID())]))
      t.same(many, few, `${label}: reach's shares with 603 members asked for`)
      const wantShares = (rows: DailyRow[], span: { from: string; to: string }) =>
        rows.filter((row) => row.event === 'share' && row.memberId && row.day >= span.from && row.day <= span.to).reduce((sum, row) => sum + row.count, 0)
      t.equal(few.reduce((sum, row) => sum + row.current, 0), wantShares(all, range), `${label}: reach's shares in the range`)
      t.equal(few.reduce((sum, row) => sum + row.previous, 0), wantShares(all, before), `${label}: reach's shares in the range before`)
    }
  }
})
