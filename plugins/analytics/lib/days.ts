export const DAY_MS = 86_400_000

/** The UTC day of an instant, `YYYY-MM-DD`. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10)

/** Midnight UTC of a `YYYY-MM-DD` day. */
export const startOf = (day: string) => new Date(`${day}T00:00:00.000Z`)

export const addDays = (day: string, days: number) => dayOf(new Date(startOf(day).getTime() + days * DAY_MS))

export const isDay = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(startOf(text).getTime()) && dayOf(startOf(text)) === text
