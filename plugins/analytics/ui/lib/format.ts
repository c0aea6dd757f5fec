type Formatters = { number: (value: number) => string; money: (cents: number) => string }
/** Formats by locale and currency: making an Intl.NumberFormat costs more than formatting a page's numbers. */
const made = new Map<string, Formatters>()

/** Numbers, money and trends as a page shows them, in the page's language. */
export function formatters(locale: string, currency: string): Formatters {
  const key = `${locale}|${currency}`
  const known = made.get(key)
  if (known) return known
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })
  let money: Intl.NumberFormat
  try {
    money = new Intl.NumberFormat(locale, { style: 'currency', currency })
  } catch {
    money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  }
  const formats = { number: (value: number) => number.format(value), money: (cents: number) => money.format(cents / 100) }
  // Locales and currencies are few (both come from settings, not from requests), but stay bounded.
  if (made.size >= 100) made.clear()
  made.set(key, formats)
  return formats
}

export interface Trend {
  /** 'up', 'down', 'flat' or 'new' (nothing in the previous period). */
  direction: 'up' | 'down' | 'flat' | 'new'
  /** Whole percent of change, absent for 'new'. */
  percent?: number
}

export function trendOf(current: number, previous: number): Trend {
  if (previous === 0) return current === 0 ? { direction: 'flat', percent: 0 } : { direction: 'new' }
  const percent = Math.round(((current - previous) / previous) * 100)
  return { direction: percent > 0 ? 'up' : percent < 0 ? 'down' : 'flat', percent: Math.abs(percent) }
}
