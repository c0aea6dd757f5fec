import type { EntityManager } from '@mikro-orm/core'
import type { Dimension } from '../entities/summary.entity.js'
import { addDays, addMonths, firstDayOf, monthOf } from '../lib/days.js'

/**
 * How one summary table (entities/summary.entity.ts) is made from the daily counters: per period
 * (a UTC `"day"`, a UTC `"month"`, or none for all time) and the daily columns in `keys`, either
 * the three dashboard events pivoted into `shares`, `clicks` and `unique_clicks`, or one `count` per
 * event (`"event"` among the keys).
 */
export interface Summary {
  table: string
  period: 'day' | 'month' | 'all'
  /** The rows of `analytics_monthly` this summary is, and the key columns it leaves ''. */
  dimension?: { name: Dimension; blank: readonly string[] }
  keys: readonly string[]
  pivot: boolean
  /** Daily counters left out (e.g. those of no member). */
  where?: string
  /** For a monthly summary, its all-time twin: read when a page asks for all time. */
  allTime?: string
}

export const SUMMARIES = {
  member: { table: 'analytics_monthly', period: 'month', dimension: { name: 'member', blank: ['network', 'post_id'] }, keys: ['member_id'], pivot: true },
  network: { table: 'analytics_monthly', period: 'month', dimension: { name: 'network', blank: ['member_id', 'post_id'] }, keys: ['network'], pivot: true },
  post: { table: 'analytics_monthly', period: 'month', dimension: { name: 'post', blank: ['member_id', 'network'] }, keys: ['post_id'], pivot: true },
  memberNetwork: { table: 'analytics_monthly', period: 'month', dimension: { name: 'member_network', blank: ['post_id'] }, keys: ['member_id', 'network'], pivot: true },
  monthActivity: { table: 'analytics_month_activity', period: 'month', keys: ['member_id', '"event"'], pivot: false, where: "member_id <> ''", allTime: 'analytics_total_activity' },
  totalActivity: { table: 'analytics_total_activity', period: 'all', keys: ['member_id', '"event"'], pivot: false, where: "member_id <> ''" },
  dayTotal: { table: 'analytics_day_total', period: 'day', keys: [], pivot: true }
} as const satisfies Record<string, Summary>

/** The events a pivoted summary holds, and their columns. */
export const PIVOTED = [
  { event: 'share', column: 'shares' },
  { event: 'click', column: 'clicks' },
  { event: 'unique_click', column: 'unique_clicks' }
] as const

const pivotFilter = `"event" in (${PIVOTED.map(({ event }) => `'${event}'`).join(', ')})`

/** What a summary's value columns are called, and how daily counters add up to them (negated with `sign` '-'). */
export function valuesOf(summary: Summary, sign: '' | '-' = '') {
  if (!summary.pivot) return { names: ['"count"'], columns: '"count"', sums: `${sign}sum("count") as "count"` }
  return {
    names: PIVOTED.map(({ column }) => column),
    columns: PIVOTED.map(({ column }) => column).join(', '),
    sums: PIVOTED.map(({ event, column }) => `${sign}sum(case when "event" = '${event}' then "count" else 0 end) as ${column}`).join(', ')
  }
}

/** The daily counters a summary counts, as `and …` conditions. */
export const filterOf = (summary: Summary) => [summary.pivot ? pivotFilter : '', summary.where ?? ''].filter(Boolean).map((condition) => ` and ${condition}`).join('')

/** The SQL pieces of a summary's rows: its key columns as stored, and as computed from daily counters. */
function shapeOf(summary: Summary) {
  const period = summary.period === 'month' ? 'substr("day", 1, 7)' : summary.period === 'day' ? '"day"' : null
  const blank = summary.dimension?.blank ?? []
  return {
    /** Every primary key column, in the order of `computed`. */
    stored: ['tenant_id', ...(summary.dimension ? ['dimension'] : []), ...(period ? [`"${summary.period}"`] : []), ...summary.keys, ...blank].join(', '),
    computed: ['tenant_id', ...(summary.dimension ? [`'${summary.dimension.name}'`] : []), ...(period ? [period] : []), ...summary.keys, ...blank.map(() => "''")].join(', '),
    groups: ['tenant_id', ...(period ? [period] : []), ...summary.keys].join(', '),
    dimension: summary.dimension ? ` and dimension = '${summary.dimension.name}'` : ''
  }
}

type DayRange = { from: string; to: string; tenantId?: string }

/** Runs statements in `em`'s transaction. */
const runnerOf = (em: EntityManager) => (sql: string, params: unknown[]) => em.getConnection().execute(sql, params, 'run', em.getTransactionContext())

/**
 * Changes the daily counters of the days [`from`, `to`) (`to` excluded), of one instance or all,
 * and every summary with them, in the transaction of `em`: what those days held is taken out of the
 * summaries, `change` runs, and what they hold now is added, so the work follows the days changed,
 * not the months or years the summaries cover. Rows that fall to zero go. Readers see both old or
 * both new.
 */
export async function withSummaries<T>(em: EntityManager, range: DayRange, change: () => Promise<T>): Promise<T> {
  if (range.from >= range.to) return change()
  const run = runnerOf(em)
  const tenant = range.tenantId ? ' and tenant_id = ?' : ''
  const tenantParams = range.tenantId ? [range.tenantId] : []
  const summaries = Object.values(SUMMARIES) as Summary[]
  const apply = async (sign: '' | '-') => {
    for (const summary of summaries) {
      const shape = shapeOf(summary)
      const { names, columns, sums } = valuesOf(summary, sign)
      await run(
        `insert into ${summary.table} (${shape.stored}, ${columns})
         select ${shape.computed}, ${sums} from analytics_daily
         where "day" >= ? and "day" < ?${tenant}${filterOf(summary)}
         group by ${shape.groups}
         on conflict (${shape.stored}) do update set ${names.map((name) => `${name} = ${summary.table}.${name} + excluded.${name}`).join(', ')}`,
        [range.from, range.to, ...tenantParams]
      )
    }
  }
  await apply('-')
  const result = await change()
  await apply('')
  const lastDay = addDays(range.to, -1)
  for (const summary of summaries) {
    const { names } = valuesOf(summary)
    const zero = names.map((name) => `${name} = 0`).join(' and ')
    const [first, last] = summary.period === 'month' ? [monthOf(range.from), monthOf(lastDay)] : [range.from, lastDay]
    const periods = summary.period === 'all' ? '' : ` and "${summary.period}" >= ? and "${summary.period}" <= ?`
    await run(`delete from ${summary.table} where ${zero}${periods}${tenant}${shapeOf(summary).dimension}`, [...(periods ? [first, last] : []), ...tenantParams])
  }
  return result
}

/**
 * Counts every summary of one instance (or of all) again from all its daily counters: what
 * `kaiku analytics rebuild` ends with, so summaries that disagree for any reason are made right.
 */
export async function recountSummaries(em: EntityManager, tenantId?: string): Promise<void> {
  const run = runnerOf(em)
  const tenant = tenantId ? ' and tenant_id = ?' : ''
  const params = tenantId ? [tenantId] : []
  for (const summary of Object.values(SUMMARIES) as Summary[]) {
    const shape = shapeOf(summary)
    const { columns, sums } = valuesOf(summary)
    await run(`delete from ${summary.table} where 1 = 1${tenant}${shape.dimension}`, params)
    await run(`insert into ${summary.table} (${shape.stored}, ${columns}) select ${shape.computed}, ${sums} from analytics_daily where 1 = 1${tenant}${filterOf(summary)} group by ${shape.groups}`, params)
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
  const { dimension } = shapeOf(summary)
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
