/**
 * An instant as a reader in `timeZone` sees it: "Thu, 3 Dec 2026, 14:00 (Europe/Helsinki)", or in a
 * list whose zone is said once, "3 Dec 2026, 14:00".
 */
export function formatInstant(date: Date, timeZone: string, locale: string, style: 'full' | 'short' = 'full'): string {
  const text = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, {
    timeZone,
    ...(style === 'full' ? { weekday: 'short' as const } : {}),
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  }).format(date)
  return style === 'full' ? `${text} (${timeZone})` : text
}
