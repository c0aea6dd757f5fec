import { addDays, DAY_MS, dayOf, startOf } from '../../lib/days.js'

/** Date ranges of the dashboards: whole UTC days, `YYYY-MM-DD`, both ends included. */
export interface DayRange {
  from: string
  to: string
}

/** A range the person asked for that cannot be shown; `key` and `params` make the message. */
export class RangeProblem extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, string | number> = {}
  ) {
    super(key)
  }
}

export const PRESETS = [7, 30, 90] as const
export const DEFAULT_DAYS = 30
/** Five years of days (leap days included): longer ranges are refused, not silently cut. */
export const MAX_DAYS = 5 * 366

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** The day arithmetic of the rollups, shared: the pages count the same UTC days. */
export { addDays, dayOf }
export const daysBetween = (from: string, to: string) => Math.round((startOf(to).getTime() - startOf(from).getTime()) / DAY_MS)
export const lengthOf = (range: DayRange) => daysBetween(range.from, range.to) + 1

/** The day if `text` is a real calendar day (`2025-02-30` is not). */
export function parseDay(text: string): string | null {
  const match = DAY.exec(text)
  if (!match) return null
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return dayOf(date) === text && Number(match[1]) >= 1970 ? text : null
}

/** The last `days` days, today included. */
export const lastDays = (days: number, today: string): DayRange => ({ from: addDays(today, -(days - 1)), to: today })

/**
 * The range a dashboard query asks for: `from`/`to` when given, else a preset (`days`), else the
 * last 30 days. Reversed, unreadable, future or over-long ranges throw a RangeProblem.
 */
export function rangeFrom(query: { from?: string; to?: string; days?: string }, today: string): DayRange {
  const from = query.from?.trim() ?? ''
  const to = query.to?.trim() ?? ''
  if (!from && !to) {
    if (query.days === undefined || query.days === '') return lastDays(DEFAULT_DAYS, today)
    const days = Number(query.days)
    if (!PRESETS.includes(days as (typeof PRESETS)[number])) throw new RangeProblem('range.badPreset', { presets: PRESETS.join(', ') })
    return lastDays(days, today)
  }
  const start = from ? parseDay(from) : null
  if (from && !start) throw new RangeProblem('range.notADate', { value: from.slice(0, 40) })
  const end = to ? parseDay(to) : today
  if (to && !end) throw new RangeProblem('range.notADate', { value: to.slice(0, 40) })
  const range = { from: start ?? addDays(end!, -(DEFAULT_DAYS - 1)), to: end! }
  if (range.from > range.to) throw new RangeProblem('range.reversed', { from: range.from, to: range.to })
  if (range.to > today) throw new RangeProblem('range.future', { today })
  if (lengthOf(range) > MAX_DAYS) throw new RangeProblem('range.tooLong', { years: 5 })
  return range
}

/** The period of equal length just before `range`, for trends. */
export function previousOf(range: DayRange): DayRange {
  const length = lengthOf(range)
  return { from: addDays(range.from, -length), to: addDays(range.from, -1) }
}

/** Every day of a range, in order. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = []
  const last = Date.parse(`${range.to}T00:00:00Z`)
  for (let at = Date.parse(`${range.from}T00:00:00Z`); at <= last; at += DAY_MS) days.push(dayOf(new Date(at)))
  return days
}

/** The Monday (UTC) of the week a day belongs to. */
export function weekOf(day: string): string {
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7
  return addDays(day, -weekday)
}

/** This week (Monday to today) and this month (1st to today), in UTC. */
export const thisWeek = (today: string): DayRange => ({ from: weekOf(today), to: today })
export const thisMonth = (today: string): DayRange => ({ from: `${today.slice(0, 8)}01`, to: today })
