/** An iCalendar (RFC 5545) file with one tentative event: the slot a visitor asked a demo for. */
export interface CalendarEvent {
  uid: string
  start: Date
  minutes: number
  summary: string
  description: string
  stamp: Date
}

const stampOf = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')

/** TEXT values: backslash, semicolon and comma escaped, line breaks as \n; nothing a visitor types can start a property. */
export const escapeText = (text: string) =>
  text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n').replace(/[\u0000-\u001f\u007f]/g, '')

/** Lines longer than 75 octets continue on the next line after a space, never splitting a character. */
function fold(line: string): string {
  const out: string[] = []
  let current = ''
  for (const char of line) {
    const limit = out.length === 0 ? 75 : 74
    if (Buffer.byteLength(current + char) > limit) {
      out.push(current)
      current = ''
    }
    current += char
  }
  out.push(current)
  return out.join('\r\n ')
}

export function calendarFile(event: CalendarEvent): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Kaiku//Forms//EN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${escapeText(event.uid)}`,
    `DTSTAMP:${stampOf(event.stamp)}`,
    `DTSTART:${stampOf(event.start)}`,
    `DURATION:PT${event.minutes}M`,
    `SUMMARY:${escapeText(event.summary)}`,
    `DESCRIPTION:${escapeText(event.description)}`,
    'STATUS:TENTATIVE',
    'TRANSP:OPAQUE',
    'END:VEVENT',
    'END:VCALENDAR'
  ]
  return lines.map(fold).join('\r\n') + '\r\n'
}
