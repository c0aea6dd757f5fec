/**
 * When recurring work is due, computed in a time zone (a tenant's, or the server's default) without a
 * date library: Intl tells the offset of a zone at an instant, and we solve for local wall-clock times.
 */
export type ScheduleSpec =
  | { every: { minutes: number } }
  | { daily: string }
  | { weekly: { day: Weekday; at: string } }

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'

const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

interface LocalParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  weekday: number
}

function localParts(instant: number, timeZone: string): LocalParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short'
  }).formatToParts(new Date(instant))
  const get = (type: string) => parts.find((part) => part.type === type)!.value
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    weekday: WEEKDAYS.indexOf(get('weekday').toLowerCase().slice(0, 3) as Weekday)
  }
}

/** The instant at which the wall clock in `timeZone` shows the given local date and time. */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wanted = Date.UTC(year, month - 1, day, hour, minute)
  let guess = wanted
  // Two corrections settle the offset, including across a daylight-saving change.
  for (let i = 0; i < 2; i++) {
    const seen = localParts(guess, timeZone)
    const shown = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute)
    guess += wanted - shown
  }
  return guess
}

const pad = (n: number) => String(n).padStart(2, '0')

/** What a `datetime-local` field shows for `instant` in `timeZone`: `YYYY-MM-DDTHH:mm`. */
export function toLocalInput(instant: Date, timeZone: string): string {
  const p = localParts(instant.getTime(), timeZone)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`
}

/** The instant a `datetime-local` value (`YYYY-MM-DDTHH:mm`) means in `timeZone`, or undefined if it is not one. */
export function fromLocalInput(value: string, timeZone: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(value.trim())
  if (!match) return undefined
  const [year, month, day, hour, minute] = match.slice(1).map(Number)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return undefined
  const instant = zonedInstant(year, month, day, hour, minute, timeZone)
  // 31 February and the like roll over to another day: refuse them rather than guess. (A time skipped
  // by a daylight-saving change, 02:30 in spring, names the instant an hour later, on the same day.)
  return toLocalInput(new Date(instant), timeZone).slice(0, 10) === value.trim().slice(0, 10) ? new Date(instant) : undefined
}

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return true
  } catch {
    return false
  }
}

/**
 * Zones the runtime's ICU still calls by an old spelling (Node 20 answers Europe/Kiev for Europe/Kyiv),
 * with the name the tz database gives them today. Both spellings are accepted; the current one is
 * offered, shown and stored.
 */
const RENAMED_ZONES: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk'
}

/** A zone's current name (`utc` is `UTC`, `Europe/Kiev` is `Europe/Kyiv`), or undefined when Intl does not know it. */
export function canonicalTimeZone(timeZone: string): string | undefined {
  let name: string
  try {
    name = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone
  } catch {
    return undefined
  }
  const current = RENAMED_ZONES[name]
  return current && isTimeZone(current) ? current : name
}

let zoneNames: readonly string[] | undefined

/** Every zone the runtime knows, by its current name, in alphabetical order: the lists people pick from. */
export function timeZoneNames(): readonly string[] {
  if (!zoneNames) {
    let known: string[] = []
    try {
      known = Intl.supportedValuesOf('timeZone')
    } catch {
      // A runtime without the list: the fields still take any zone typed in.
    }
    // The runtime lists places only; UTC, the default of many servers and instances, is offered too.
    zoneNames = [...new Set(['UTC', ...known.map((zone) => canonicalTimeZone(zone) ?? zone)])].sort()
  }
  return zoneNames
}

const parseTime = (text: string): [number, number] => {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text)
  if (!match) throw new Error(`'${text}' is not a time of day (HH:MM)`)
  return [Number(match[1]), Number(match[2])]
}

export function validateSpec(spec: ScheduleSpec): void {
  if ('every' in spec) {
    const minutes = spec.every.minutes
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) throw new Error('every.minutes must be 1 to 1440')
  } else if ('daily' in spec) {
    parseTime(spec.daily)
  } else if ('weekly' in spec) {
    if (!WEEKDAYS.includes(spec.weekly.day)) throw new Error(`weekly.day must be one of ${WEEKDAYS.join(', ')}`)
    parseTime(spec.weekly.at)
  } else {
    throw new Error('a schedule needs every, daily or weekly')
  }
}

/** The first run strictly after `after`. Periods of `every` are aligned to the epoch, so all instances agree. */
export function nextRun(spec: ScheduleSpec, after: Date, timeZone: string): Date {
  const now = after.getTime()
  if ('every' in spec) {
    const period = spec.every.minutes * MINUTE
    return new Date(Math.floor(now / period) * period + period)
  }
  const [hour, minute] = parseTime('daily' in spec ? spec.daily : spec.weekly.at)
  for (let offset = 0; offset <= 8; offset++) {
    const day = localParts(now + offset * DAY, timeZone)
    if ('weekly' in spec && day.weekday !== WEEKDAYS.indexOf(spec.weekly.day)) continue
    const candidate = zonedInstant(day.year, day.month, day.day, hour, minute, timeZone)
    if (candidate > now) return new Date(candidate)
  }
  throw new Error(`no next run found after ${after.toISOString()} for ${JSON.stringify(spec)}`)
}
