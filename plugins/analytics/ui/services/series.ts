import type { EntityManager } from '@mikro-orm/core'
import type { ChartBucket } from '../lib/chart.js'
import { daysOf, lengthOf, weekOf, type DayRange } from '../lib/range.js'
import { perDay } from './rollups.js'

export const SERIES_EVENTS = ['share', 'click', 'unique_click'] as const
/** Ranges up to this many days are drawn day by day, longer ones week by week. */
export const DAILY_UP_TO = 92

export interface Series {
  grain: 'day' | 'week'
  buckets: ChartBucket[]
}

/**
 * Shares, clicks and unique clicks per day (or per week, Monday to Sunday, for long ranges), every
 * bucket present even when empty, so the chart and its table show the gaps.
 */
export async function seriesOf(em: EntityManager, tenantId: string, range: DayRange, options: { memberId?: string; grain?: 'day' | 'week' } = {}): Promise<Series> {
  const days = await perDay(em, tenantId, range, SERIES_EVENTS, options.memberId)
  const grain = options.grain ?? (lengthOf(range) > DAILY_UP_TO ? 'week' : 'day')
  const buckets = new Map<string, ChartBucket>()
  // Days follow each other: a new week starts at each Monday (and at the first day).
  let week = weekOf(range.from)
  for (const day of daysOf(range)) {
    if (grain === 'week' && day !== range.from && new Date(`${day}T00:00:00Z`).getUTCDay() === 1) week = day
    const key = grain === 'week' ? week : day
    let bucket = buckets.get(key)
    if (!bucket) {
      bucket = { key, label: key, values: { share: 0, click: 0, unique_click: 0 } }
      buckets.set(key, bucket)
    }
    for (const event of SERIES_EVENTS) bucket.values[event] += days.get(day)?.[event] ?? 0
  }
  return { grain, buckets: [...buckets.values()] }
}
