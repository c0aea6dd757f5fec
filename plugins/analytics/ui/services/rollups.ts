import type { EntityManager } from '@mikro-orm/core'
import { PIVOTED, SUMMARIES, summaryRows, type Summary } from '../../services/summaries.js'
import { addDays } from '../lib/range.js'
import type { DayRange } from '../lib/range.js'

const dayBefore = (day: string) => addDays(day, -1)

/**
 * Reads of the daily rollup (`analytics_daily`) and of its monthly summaries for the pages. Every
 * query names its tenant and a range of days, and groups in the database: the cost follows the days
 * (or months) and the rows they hold, never the raw clicks, and nothing is loaded row by row. Ranges
 * that span months read whole months from the summaries and only the days around them from the
 * daily counters; a member's own figures read the daily counters.
 */
export type Breakdown = 'post_id' | 'member_id' | 'network'

export interface BreakdownRow {
  key: string
  shares: number
  clicks: number
  uniqueClicks: number
}

type Raw = Record<string, string | number | null>

const num = (value: unknown) => Number(value ?? 0)

async function select(em: EntityManager, sql: string, params: unknown[]): Promise<Raw[]> {
  // The caller's transaction when there is one: on SQLite a second connection would wait forever.
  return em.getConnection().execute<Raw[]>(sql, params, 'all', em.getTransactionContext())
}

/** `tenant_id = ? and day between ? and ?` (the whole history when `range` is null). */
function scope(tenantId: string, range: DayRange | null, memberId?: string) {
  const where = ['tenant_id = ?']
  const params: unknown[] = [tenantId]
  if (range) {
    where.push('"day" >= ?', '"day" <= ?')
    params.push(range.from, range.to)
  }
  if (memberId !== undefined) {
    where.push('member_id = ?')
    params.push(memberId)
  }
  return { where: where.join(' and '), params }
}

/** The column of a pivoted summary that holds each dashboard event. */
const PIVOT_COLUMN: Record<string, string> = Object.fromEntries(PIVOTED.map(({ event, column }) => [event, column]))

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ')

/** Sum of each event over a range. */
export async function totals(em: EntityManager, tenantId: string, range: DayRange | null, events: readonly string[], memberId?: string): Promise<Record<string, number>> {
  const { where, params } = scope(tenantId, range, memberId)
  const rows = await select(em, `select "event" as event, sum("count") as n from analytics_daily where ${where} and "event" in (${placeholders(events)}) group by "event"`, [...params, ...events])
  return Object.fromEntries(events.map((event) => [event, num(rows.find((row) => row.event === event)?.n)]))
}

/** Members with at least one share in the range. */
export async function activeMembers(em: EntityManager, tenantId: string, range: DayRange): Promise<number> {
  const { where, params } = scope(tenantId, range)
  const [row] = await select(em, `select count(distinct member_id) as n from analytics_daily where ${where} and "event" = 'share' and member_id <> '' and "count" > 0`, params)
  return num(row?.n)
}

/** Per day, the sum of each event: one row per (day, event) that has any. */
export async function perDay(em: EntityManager, tenantId: string, range: DayRange, events: readonly string[], memberId?: string): Promise<Map<string, Record<string, number>>> {
  // The instance's own shares, clicks and unique clicks: one summary row per day.
  if (memberId === undefined && events.every((event) => PIVOT_COLUMN[event])) {
    const source = summaryRows(SUMMARIES.dayTotal, tenantId, range)
    const totals = new Map<string, Record<string, number>>()
    for (const row of await select(em, source.sql, source.params)) totals.set(String(row.day), Object.fromEntries(events.map((event) => [event, num(row[PIVOT_COLUMN[event]])])))
    return totals
  }
  const { where, params } = scope(tenantId, range, memberId)
  const rows = await select(em, `select "day" as day, "event" as event, sum("count") as n from analytics_daily where ${where} and "event" in (${placeholders(events)}) group by "day", "event"`, [...params, ...events])
  const days = new Map<string, Record<string, number>>()
  for (const row of rows) {
    const day = String(row.day)
    days.set(day, { ...days.get(day), [String(row.event)]: num(row.n) })
  }
  return days
}

/**
 * Shares, clicks and unique clicks grouped by post, member or network, most clicked first; `limit`
 * null gives every group (a breakdown by topic needs every post).
 */
export async function breakdown(em: EntityManager, tenantId: string, range: DayRange | null, by: Breakdown, options: { limit: number | null; memberId?: string }): Promise<BreakdownRow[]> {
  const limit = options.limit === null ? '' : ` limit ${Math.trunc(options.limit)}`
  if (options.memberId === undefined) {
    const source = summaryRows(by === 'post_id' ? SUMMARIES.post : by === 'member_id' ? SUMMARIES.member : SUMMARIES.network, tenantId, range)
    const rows = await select(
      em,
      `select ${by} as k, sum(shares) as shares, sum(clicks) as clicks, sum(unique_clicks) as uniques from (${source.sql}) s
       where ${by} <> '' group by ${by} order by clicks desc, shares desc, k asc${limit}`,
      source.params
    )
    return rows.map((row) => ({ key: String(row.k), shares: num(row.shares), clicks: num(row.clicks), uniqueClicks: num(row.uniques) }))
  }
  const { where, params } = scope(tenantId, range, options.memberId)
  const sum = (event: string) => `sum(case when "event" = '${event}' then "count" else 0 end)`
  const rows = await select(
    em,
    `select ${by} as k, ${sum('share')} as shares, ${sum('click')} as clicks, ${sum('unique_click')} as uniques
     from analytics_daily where ${where} and ${by} <> '' and "event" in ('share', 'click', 'unique_click')
     group by ${by} order by clicks desc, shares desc, k asc${limit}`,
    params
  )
  return rows.map((row) => ({ key: String(row.k), shares: num(row.shares), clicks: num(row.clicks), uniqueClicks: num(row.uniques) }))
}

/** Shares per (member, network), for reach: each multiplied later by that member's declared audience. */
export async function sharesByMemberAndNetwork(em: EntityManager, tenantId: string, range: DayRange): Promise<{ memberId: string; network: string; shares: number }[]> {
  const { where, params } = scope(tenantId, range)
  const rows = await select(em, `select member_id as m, network as net, sum("count") as n from analytics_daily where ${where} and "event" = 'share' and member_id <> '' group by member_id, network`, params)
  return rows.map((row) => ({ memberId: String(row.m), network: String(row.net), shares: num(row.n) }))
}

/** Each member's count of each event over a range (all time when null), members only. */
export interface MemberActivity {
  memberId: string
  event: string
  count: number
  /** Whether the member chose not to be named on the leaderboard. */
  hidden: boolean
}

export async function activityByMember(em: EntityManager, tenantId: string, range: DayRange | null): Promise<MemberActivity[]> {
  const source = summaryRows(SUMMARIES.monthActivity, tenantId, range)
  // The leaderboard's opt-outs come with the activity (a lookup by the unique (tenant, member) key).
  const rows = await select(
    em,
    `select s.member_id as m, s."event" as e, sum(s."count") as n, max(case when h.member_id is null then 0 else 1 end) as h
       from (${source.sql}) s left join analytics_member h on h.tenant_id = ? and h.member_id = s.member_id and h.hide_name = ?
      group by s.member_id, s."event"`,
    [...source.params, tenantId, true]
  )
  return rows.map((row) => ({ memberId: String(row.m), event: String(row.e), count: num(row.n), hidden: num(row.h) > 0 }))
}

/**
 * Points per member: Σ count × points[event] (whole-number weights; others count nothing), most
 * points first, then by member id. Members with no points are left out.
 */
export function pointsOf(activity: readonly MemberActivity[], points: Record<string, number>): { memberId: string; points: number }[] {
  const sums = new Map<string, number>()
  for (const { memberId, event, count } of activity) {
    const weight = points[event]
    if (Number.isSafeInteger(weight) && weight !== 0) sums.set(memberId, (sums.get(memberId) ?? 0) + count * weight)
  }
  return [...sums]
    .filter(([, total]) => total > 0)
    .map(([memberId, total]) => ({ memberId, points: total }))
    .sort((a, b) => b.points - a.points || (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0))
}

/** Points per member over a range (all time when null), as `pointsOf` counts them. */
export async function pointsByMember(em: EntityManager, tenantId: string, range: DayRange | null, points: Record<string, number>): Promise<{ memberId: string; points: number }[]> {
  if (!Object.values(points).some((value) => Number.isSafeInteger(value) && value !== 0)) return []
  return pointsOf(await activityByMember(em, tenantId, range), points)
}

/** One member's place on a board. */
export interface BoardRow {
  memberId: string
  points: number
  /** Competition ranking: equal points share a place, the next place skips (1, 1, 3). */
  rank: number
  /** Whether the member chose not to be named on the leaderboard. */
  hidden: boolean
}

export interface Board {
  /** The first `limit` places, most points first, then by member id. */
  top: BoardRow[]
  /** The viewer's place, whether or not it is among the first. */
  mine: BoardRow | null
  /** How many members have points. */
  ranked: number
}

/**
 * A board ranked in the database: each member's points as `pointsOf` counts them, in its order, with
 * competition places; only the first `limit` places and the viewer's come back, whatever the number
 * of members. Weights that are not whole numbers count nothing, as in `pointsOf`; the others are
 * checked integers before they enter the SQL text.
 */
export async function board(
  em: EntityManager,
  tenantId: string,
  range: DayRange | null,
  points: Record<string, number>,
  options: { dialect: 'sqlite' | 'postgresql'; limit: number; viewerId?: string }
): Promise<Board> {
  const weights = Object.entries(points).filter(([, weight]) => Number.isSafeInteger(weight) && weight !== 0)
  if (weights.length === 0) return { top: [], mine: null, ranked: 0 }
  const limit = Math.max(1, Math.trunc(options.limit))
  const source = summaryRows(SUMMARIES.monthActivity, tenantId, range)
  const weight = `case s."event" ${weights.map(([, value]) => `when ? then ${value}`).join(' ')} else 0 end`
  // Ties go by member id in code-point order, as pointsOf sorts them; PostgreSQL's collation may differ.
  const byId = options.dialect === 'postgresql' ? 'm collate "C"' : 'm'
  const rows = await select(
    em,
    `select r.m, r.p, r.place, r.n, r.total, case when h.member_id is null then 0 else 1 end as h from (
       select m, p, rank() over (order by p desc) as place, row_number() over (order by p desc, ${byId}) as n, count(*) over () as total from (
         select s.member_id as m, sum(s."count" * ${weight}) as p from (${source.sql}) s
          where s."event" in (${placeholders(weights)}) group by s.member_id
       ) a where p > 0
     ) r left join analytics_member h on h.tenant_id = ? and h.member_id = r.m and h.hide_name = ?
     where r.n <= ? or r.m = ?
     order by r.n`,
    [...weights.map(([event]) => event), ...source.params, ...weights.map(([event]) => event), tenantId, true, limit, options.viewerId ?? null]
  )
  const places = rows.map((row) => ({ memberId: String(row.m), points: num(row.p), rank: num(row.place), hidden: num(row.h) > 0, n: num(row.n) }))
  const strip = ({ n: _n, ...row }: (typeof places)[number]): BoardRow => row
  const mine = places.find((row) => row.memberId === options.viewerId)
  return { top: places.filter((row) => row.n <= limit).map(strip), mine: mine ? strip(mine) : null, ranked: num(rows[0]?.total) }
}

type Figures = { shares: number; clicks: number; uniqueClicks: number }

/** Shares, clicks and unique clicks of one key (a member, a network) in a range and in the range before it. */
export interface PeriodRow {
  key: string
  /** Whether the range itself has any row of this key (else it only has rows before). */
  inRange: boolean
  current: Figures
  previous: Figures
}

/** The days before `range` from where `previous` starts (whatever its end says). */
const before = (range: DayRange, previous: DayRange): DayRange => ({ from: previous.from, to: dayBefore(range.from) })

/** One summary's rows grouped by `key` over the range and the range before it, in one query. */
async function withPrevious(em: EntityManager, tenantId: string, range: DayRange, previous: DayRange, summary: Summary, key: string): Promise<PeriodRow[]> {
  const now = summaryRows(summary, tenantId, range)
  const then = summaryRows(summary, tenantId, before(range, previous))
  const rows = await select(
    em,
    `select ${key} as k, sum(s) as s, sum(c) as c, sum(u) as u, sum(ps) as ps, sum(pc) as pc, sum(pu) as pu, sum(r) as r from (
       select ${key}, shares as s, clicks as c, unique_clicks as u, 0 as ps, 0 as pc, 0 as pu, 1 as r from (${now.sql}) n
       union all
       select ${key}, 0, 0, 0, shares, clicks, unique_clicks, 0 from (${then.sql}) b
     ) periods group by ${key}`,
    [...now.params, ...then.params]
  )
  return rows.map((row) => ({
    key: String(row.k),
    inRange: num(row.r) > 0,
    current: { shares: num(row.s), clicks: num(row.c), uniqueClicks: num(row.u) },
    previous: { shares: num(row.ps), clicks: num(row.pc), uniqueClicks: num(row.pu) }
  }))
}

/**
 * What the dashboard's cards and tables need, in three grouped queries instead of one per figure:
 * per member and per network over the range and the one before it (totals, active members, the
 * members and networks tables), and per post over the range (the posts and topics tables). Each
 * reads the monthly summaries for whole months and the daily counters only for the days around
 * them: bounded by months × members, networks or posts, never by the clicks.
 */
export async function summary(em: EntityManager, tenantId: string, range: DayRange, previous: DayRange): Promise<{ byMember: PeriodRow[]; byNetwork: PeriodRow[]; byPost: BreakdownRow[] }> {
  const [byMember, byNetwork, byPost] = await Promise.all([
    withPrevious(em, tenantId, range, previous, SUMMARIES.member, 'member_id'),
    withPrevious(em, tenantId, range, previous, SUMMARIES.network, 'network'),
    breakdown(em, tenantId, range, 'post_id', { limit: null })
  ])
  return { byMember, byNetwork, byPost }
}

/**
 * Shares per (member, network) of the members given, over the range and the one before it: reach
 * multiplies them by what each member declared, so only members who declared an audience are read.
 */
export async function sharesOfMembers(em: EntityManager, tenantId: string, range: DayRange, previous: DayRange, memberIds: readonly string[]): Promise<{ memberId: string; network: string; current: number; previous: number }[]> {
  if (memberIds.length === 0) return []
  // Named in the query while they are few (bound values are limited, on SQLite above all); else every
  // member's rows are read and the others dropped here.
  const named = memberIds.length <= 500 ? { memberIds } : {}
  const now = summaryRows(SUMMARIES.memberNetwork, tenantId, range, named)
  const then = summaryRows(SUMMARIES.memberNetwork, tenantId, before(range, previous), named)
  const rows = await select(
    em,
    `select member_id as m, network as n, sum(s) as s, sum(ps) as ps from (
       select member_id, network, shares as s, 0 as ps from (${now.sql}) n
       union all
       select member_id, network, 0, shares from (${then.sql}) b
     ) pairs group by member_id, network`,
    [...now.params, ...then.params]
  )
  const wanted = new Set(memberIds)
  return rows.filter((row) => wanted.has(String(row.m))).map((row) => ({ memberId: String(row.m), network: String(row.n), current: num(row.s), previous: num(row.ps) }))
}
