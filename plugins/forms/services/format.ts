import { formatTime } from '../../../core/api.js'

/**
 * An instant as a reader in `timeZone` sees it: "Thu, 3 Dec 2026, 14:00 (Europe/Helsinki)", or in a
 * list whose zone is said once, "3 Dec 2026, 14:00".
 */
export function formatInstant(date: Date, timeZone: string, locale: string, style: 'full' | 'short' = 'full'): string {
  return style === 'full' ? `${formatTime(date, timeZone, locale, { weekday: true })} (${timeZone})` : formatTime(date, timeZone, locale)
}
