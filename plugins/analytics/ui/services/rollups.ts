import type { EntityManager } from '@mikro-orm/core'
import type { DayRange } from '../lib/range.js'

/**
 * Reads of the daily rollup (`analytics_daily`) for the pages. Every query names its tenant and a
 * range of days, and groups in the database through the (tenant_id, day) index: the cost follows the
 * days and the rows they hold, never the raw clicks, and nothing is loaded row by row.
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
  const { where, params } = scope(tenantId, range, options.memberId)
  const sum = (event: string) => `sum(case when "event" = '${event}' then "count" else 0 end)`
  const rows = await select(
    em,
    `select ${by} as k, ${sum('share')} as shares, ${sum('click')} as clicks, ${sum('unique_click')} as uniques
     from analytics_daily where ${where} and ${by} <> '' and "event" in ('share', 'click', 'unique_click')
     group by ${by} order by clicks desc, shares desc, k asc${options.limit === null ? '' : ` limit ${Math.trunc(options.limit)}`}`,
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

/**
 * Points per member over a range (all time when null): Σ count × points[event], computed in the
 * database with the tenant's weights bound as parameters. Members with no points are left out.
 */
export async function pointsByMember(em: EntityManager, tenantId: string, range: DayRange | null, points: Record<string, number>): Promise<{ memberId: string; points: number }[]> {
  // Weights are whole numbers checked here and written into the SQL (PostgreSQL cannot type a bound
  // `then ?`); event names stay bound parameters.
  const weights = Object.entries(points).filter(([, value]) => Number.isSafeInteger(value) && value !== 0)
  if (weights.length === 0) return []
  const { where, params } = scope(tenantId, range)
  const weight = `case "event" ${weights.map(([, value]) => `when ? then ${value}`).join(' ')} else 0 end`
  const events = weights.map(([event]) => event)
  const rows = await select(
    em,
    `select member_id as m, sum("count" * ${weight}) as p from analytics_daily
     where ${where} and member_id <> '' and "event" in (${placeholders(events)})
     group by member_id having sum("count" * ${weight}) > 0 order by p desc, m asc`,
    [...events, ...params, ...events, ...events]
  )
  return rows.map((row) => ({ memberId: String(row.m), points: num(row.p) }))
}

/** Shares, clicks and unique clicks of one (member, network) in a range and in the range before it. */
export interface MemberNetworkRow {
  memberId: string
  network: string
  /** Whether the range itself has any row of this pair (else it only has rows before). */
  inRange: boolean
  current: { shares: number; clicks: number; uniqueClicks: number }
  previous: { shares: number; clicks: number; uniqueClicks: number }
}

/**
 * What the dashboard's cards and tables need, in two grouped queries instead of one per figure:
 * (member, network) over the range and the one before it (a CASE on the day splits them), which
 * gives the totals, active members, reach and the members and networks tables; and posts over the
 * range, for the posts and topics tables. Both are bounded by the groups (members × networks,
 * posts), never by the clicks, and both read only the covering index of (tenant, day, event).
 */
export async function summary(em: EntityManager, tenantId: string, range: DayRange, previous: DayRange): Promise<{ byMemberNetwork: MemberNetworkRow[]; byPost: BreakdownRow[] }> {
  const sum = (event: string, when: string) => `sum(case when "event" = '${event}' and ${when} then "count" else 0 end)`
  const current = '"day" >= ?'
  const before = '"day" < ?'
  const [pairs, posts] = await Promise.all([
    select(
      em,
      `select member_id as m, network as n, ${sum('share', current)} as s, ${sum('click', current)} as c, ${sum('unique_click', current)} as u,
         ${sum('share', before)} as ps, ${sum('click', before)} as pc, ${sum('unique_click', before)} as pu, sum(case when ${current} then 1 else 0 end) as r
       from analytics_daily where tenant_id = ? and "day" >= ? and "day" <= ? and "event" in ('share', 'click', 'unique_click')
       group by member_id, network`,
      [range.from, range.from, range.from, range.from, range.from, range.from, range.from, tenantId, previous.from, range.to]
    ),
    breakdown(em, tenantId, range, 'post_id', { limit: null })
  ])
  return {
    byMemberNetwork: pairs.map((row) => ({
      memberId: String(row.m),
      network: String(row.n),
      inRange: num(row.r) > 0,
      current: { shares: num(row.s), clicks: num(row.c), uniqueClicks: num(row.u) },
      previous: { shares: num(row.ps), clicks: num(row.pc), uniqueClicks: num(row.pu) }
    })),
    byPost: posts
  }
}
