import type { EntityManager } from '@mikro-orm/core'
import type { Dimension } from '../entities/summary.entity.js'
import { addDays, addMonths, firstDayOf, monthOf } from '../lib/days.js'

/**
 * How one summary table (entities/summary.entity.ts) is made from the daily counters: per period
 * (`"day"` or `"month"`) and the daily columns in `keys`, either the three dashboard events pivoted
 * into `shares`, `clicks` and `unique_clicks`, or one `count` per event (`"event"` among the keys).
 */
export interface Summary {
  table: string
  period: 'day' | 'month'
  /** The rows of `analytics_monthly` this summary is, and the key columns it leaves ''. */
  dimension?: { name: Dimension; blank: readonly string[] }
  keys: readonly string[]
  pivot: boolean
  /** Daily counters left out (e.g. those of no member). */
  where?: string
  /** A table with the sum of every period, kept up to date by each refresh (read for all time). */
  allTime?: string
}

export const SUMMARIES = {
  member: { table: 'analytics_monthly', period: 'month', dimension: { name: 'member', blank: ['network', 'post_id'] }, keys: ['member_id'], pivot: true },
  network: { table: 'analytics_monthly', period: 'month', dimension: { name: 'network', blank: ['member_id', 'post_id'] }, keys: ['network'], pivot: true },
  post: { table: 'analytics_monthly', period: 'month', dimension: { name: 'post', blank: ['member_id', 'network'] }, keys: ['post_id'], pivot: true },
  memberNetwork: { table: 'analytics_monthly', period: 'month', dimension: { name: 'member_network', blank: ['post_id'] }, keys: ['member_id', 'network'], pivot: true },
  monthActivity: { table: 'analytics_month_activity', period: 'month', keys: ['member_id', '"event"'], pivot: false, where: "member_id <> ''", allTime: 'analytics_total_activity' },
  dayTotal: { table: 'analytics_day_total', period: 'day', keys: [], pivot: true }
} as const satisfies Record<string, Summary>

/** The events a pivoted summary holds, and their columns. */
export const PIVOTED = [
  { event: 'share', column: 'shares' },
  { event: 'click', column: 'clicks' },
  { event: 'unique_click', column: 'unique_clicks' }
] as const

const pivotSums = PIVOTED.map(({ event, column }) => `sum(case when "event" = '${event}' then "count" else 0 end) as ${column}`).join(', ')
const pivotFilter = `"event" in (${PIVOTED.map(({ event }) => `'${event}'`).join(', ')})`

/** What a summary's value columns are called, and how daily counters add up to them. */
export const valuesOf = (summary: Summary) => (summary.pivot ? { columns: PIVOTED.map(({ column }) => column).join(', '), sums: pivotSums } : { columns: '"count"', sums: 'sum("count") as "count"' })

/** The daily counters a summary counts, as `and …` conditions. */
export const filterOf = (summary: Summary) => [summary.pivot ? pivotFilter : '', summary.where ?? ''].filter(Boolean).map((condition) => ` and ${condition}`).join('')

/**
 * Makes every summary agree with the daily counters again for the periods holding the days
 * [`from`, `to`) (`to` excluded), of one instance or all: each period's rows are deleted and counted
 * anew from `analytics_daily`, set-based. Run inside the transaction that changed the daily counters,
 * so readers see both old or both new.
 */
export async function refreshSummaries(em: EntityManager, range: { from: string; to: string; tenantId?: string }): Promise<void> {
  if (range.from >= range.to) return
  const connection = em.getConnection()
  const transaction = em.getTransactionContext()
  const run = (sql: string, params: unknown[]) => connection.execute(sql, params, 'run', transaction)
  const tenant = range.tenantId ? ' and tenant_id = ?' : ''
  const tenantParams = range.tenantId ? [range.tenantId] : []
  const lastDay = addDays(range.to, -1)
  const months = { first: monthOf(range.from), last: monthOf(lastDay) }
  for (const summary of Object.values(SUMMARIES) as Summary[]) {
    const monthly = summary.period === 'month'
    const period = monthly ? 'substr("day", 1, 7)' : '"day"'
    const [first, last] = monthly ? [months.first, months.last] : [range.from, lastDay]
    const [dayFrom, dayTo] = monthly ? [firstDayOf(months.first), firstDayOf(addMonths(months.last, 1))] : [range.from, range.to]
    const keys = summary.keys.map((key) => `, ${key}`).join('')
    const { columns, sums } = valuesOf(summary)
    const dimension = summary.dimension ? { where: ` and dimension = '${summary.dimension.name}'`, column: ', dimension', value: `, '${summary.dimension.name}'` } : { where: '', column: '', value: '' }
    const blank = { columns: (summary.dimension?.blank ?? []).map((column) => `, ${column}`).join(''), values: (summary.dimension?.blank ?? []).map(() => `, ''`).join('') }
    const periods = `"${summary.period}" >= ? and "${summary.period}" <= ?${tenant}${dimension.where}`
    // The all-time sums lose what the periods held and, once they are counted again, gain it back.
    const toAllTime = async (sign: '-' | '') => {
      if (!summary.allTime) return
      await run(
        `insert into ${summary.allTime} (tenant_id${keys}, ${columns})
         select tenant_id${keys}, ${sign}sum("count") from ${summary.table} where ${periods} group by tenant_id${keys}
         on conflict (tenant_id${keys}) do update set "count" = ${summary.allTime}."count" + excluded."count"`,
        [first, last, ...tenantParams]
      )
    }
    await toAllTime('-')
    await run(`delete from ${summary.table} where ${periods}`, [first, last, ...tenantParams])
    await run(
      `insert into ${summary.table} (tenant_id${dimension.column}, "${summary.period}"${keys}${blank.columns}, ${columns})
       select tenant_id${dimension.value}, ${period}${keys}${blank.values}, ${sums} from analytics_daily
       where "day" >= ? and "day" < ?${tenant}${filterOf(summary)}
       group by tenant_id, ${period}${keys}`,
      [dayFrom, dayTo, ...tenantParams]
    )
    if (summary.allTime) {
      await toAllTime('')
      await run(`delete from ${summary.allTime} where "count" = 0${tenant}`, tenantParams)
    }
  }
}

/** A day range (both ends included) as the whole months it covers and the days outside them. */
export function monthsAndDays(range: { from: string; to: string }): { months: { first: string; last: string } | null; days: { from: string; to: string }[] } {
  const first = range.from.endsWith('-01') ? monthOf(range.from) : addMonths(monthOf(range.from), 1)
  const last = monthOf(addDays(range.to, 1)) !== monthOf(range.to) ? monthOf(range.to) : addMonths(monthOf(range.to), -1)
  if (first > last) return { months: null, days: [range] }
  const days = []
  if (range.from < firstDayOf(first)) days.push({ from: range.from, to: addDays(firstDayOf(first), -1) })
  if (range.to >= firstDayOf(addMonths(last, 1))) days.push({ from: firstDayOf(addMonths(last, 1)), to: range.to })
  return { months: { first, last }, days }
}

/**
 * The rows of a summary for one instance over a day range (all time when null), as SQL to select
 * from: its whole months read from the summary, the days before and after them counted from the
 * daily counters the same way. Columns: the summary's keys (unquoted names) and its value columns.
 */
export function summaryRows(summary: Summary, tenantId: string, range: { from: string; to: string } | null, options: { memberIds?: readonly string[] } = {}): { sql: string; params: unknown[] } {
  const { columns, sums } = valuesOf(summary)
  const keys = summary.keys.map((key) => `${key}, `).join('')
  const dimension = summary.dimension ? ` and dimension = '${summary.dimension.name}'` : ''
  // Only these members' rows (the same values are bound again for every part).
  const members = options.memberIds ? ` and member_id in (${options.memberIds.map(() => '?').join(', ') || "''"})` : ''
  const memberParams = options.memberIds ?? []
  if (!range) return { sql: `select ${keys}${columns} from ${summary.allTime ?? summary.table} where tenant_id = ?${dimension}${members}`, params: [tenantId, ...memberParams] }
  if (summary.period === 'day') return { sql: `select "day", ${columns} from ${summary.table} where tenant_id = ? and "day" >= ? and "day" <= ?${members}`, params: [tenantId, range.from, range.to, ...memberParams] }
  const { months, days } = monthsAndDays(range)
  const parts: string[] = []
  const params: unknown[] = []
  if (months) {
    parts.push(`select ${keys}${columns} from ${summary.table} where tenant_id = ?${dimension} and "month" >= ? and "month" <= ?${members}`)
    params.push(tenantId, months.first, months.last, ...memberParams)
  }
  for (const span of days) {
    parts.push(`select ${keys}${sums} from analytics_daily where tenant_id = ? and "day" >= ? and "day" <= ?${filterOf(summary)}${members} group by ${summary.keys.join(', ')}`)
    params.push(tenantId, span.from, span.to, ...memberParams)
  }
  return { sql: parts.join(' union all '), params }
}
