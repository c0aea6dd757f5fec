export const DAY_MS = 86_400_000

/** The UTC day of an instant, `YYYY-MM-DD`. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10)

/** Midnight UTC of a `YYYY-MM-DD` day. */
export const startOf = (day: string) => new Date(`${day}T00:00:00.000Z`)

export const addDays = (day: string, days: number) => dayOf(new Date(startOf(day).getTime() + days * DAY_MS))

export const isDay = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(startOf(text).getTime()) && dayOf(startOf(text)) === text

/** The UTC month of a day, `YYYY-MM`. */
export const monthOf = (day: string) => day.slice(0, 7)

/** The first day of a `YYYY-MM` month. */
export const firstDayOf = (month: string) => `${month}-01`

/** The month `months` after (or before, when negative) a `YYYY-MM` month. */
export function addMonths(month: string, months: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + months
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}
