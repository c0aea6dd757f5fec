import { canonicalTimeZone, cleanText, fromLocalInput, isTimeZone } from '../../../core/api.js'
import { COMPANY_SIZES, type FieldName } from './definitions.js'

/** The lead's columns a visitor's answers fill. */
export interface LeadAnswers {
  email?: string
  name?: string | null
  company?: string | null
  role?: string | null
  companySize?: string | null
  message?: string | null
  preferredAt?: Date | null
  preferredTimeZone?: string | null
}

/** A field's problem: a message key of the forms catalogue and its parameters. */
export interface Problem {
  key: string
  params?: Record<string, unknown>
}

export interface CheckedStep {
  /** What the visitor typed, shown again when the step comes back. */
  values: Record<string, string>
  /** The answers that passed, ready to save; an emptied optional field clears its answer. */
  answers: LeadAnswers
  /** Problems by input name (`date`, `time`, `timeZone` for the demo slot). */
  problems: Record<string, Problem>
}

export interface CheckContext {
  now: Date
  /** The tenancy plugin's address parser: one normal form, no quoted parts, comments or control characters. */
  parseEmail(text: string): { address: string } | undefined
}

export const TEXT_MAX = 120
export const MESSAGE_MAX = 5000
/** A demo further ahead than this is a typo (or a bot), not a plan. */
export const SLOT_MAX_DAYS = 365

const DATE = /^\d{4}-\d{2}-\d{2}$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/
const DAY_MS = 24 * 60 * 60_000

type Body = Record<string, string | undefined>
const read = (body: Body, name: string) => (typeof body[name] === 'string' ? body[name]! : '')

function checkEmail(body: Body, context: CheckContext, out: CheckedStep): void {
  const typed = read(body, 'email')
  out.values.email = typed.trim()
  if (!typed.trim()) out.problems.email = { key: 'error.emailRequired' }
  else {
    const parsed = context.parseEmail(typed)
    if (parsed) out.answers.email = parsed.address
    else out.problems.email = { key: 'error.email' }
  }
}

/** Name, company and role: one line, optional, short; never a line break that could reach a mail header. */
function checkLine(field: 'name' | 'company' | 'role', body: Body, out: CheckedStep): void {
  out.values[field] = read(body, field).trim()
  const cleaned = cleanText(read(body, field), TEXT_MAX, false)
  if (cleaned.error === 'core.form.control') out.problems[field] = { key: 'error.control' }
  else if (cleaned.error) out.problems[field] = { key: 'error.tooLong', params: { max: TEXT_MAX } }
  else out.answers[field] = cleaned.value || null
}

function checkCompanySize(body: Body, out: CheckedStep): void {
  const size = read(body, 'companySize')
  out.values.companySize = size
  if (size === '' || (COMPANY_SIZES as readonly string[]).includes(size)) out.answers.companySize = size || null
  else out.problems.companySize = { key: 'error.choice' }
}

function checkMessage(body: Body, out: CheckedStep): void {
  const typed = read(body, 'message').replace(/\r\n?/g, '\n').trim()
  out.values.message = typed
  const cleaned = cleanText(typed, MESSAGE_MAX, true, true)
  if (cleaned.error === 'core.form.required') out.problems.message = { key: 'error.messageRequired' }
  else if (cleaned.error === 'core.form.control') out.problems.message = { key: 'error.control' }
  else if (cleaned.error) out.problems.message = { key: 'error.messageTooLong', params: { max: MESSAGE_MAX.toLocaleString('en'), count: typed.length.toLocaleString('en') } }
  else out.answers.message = cleaned.value
}

/** The demo slot: both date and time, or neither; a day that exists, in the future but within a year, in a zone we know. */
function checkSlot(body: Body, context: CheckContext, out: CheckedStep): void {
  const date = read(body, 'date').trim()
  const time = read(body, 'time').trim()
  const timeZone = read(body, 'timeZone').trim()
  Object.assign(out.values, { date, time, timeZone })
  if (!date && !time) {
    out.answers.preferredAt = null
    out.answers.preferredTimeZone = null
    return
  }
  if (!date) out.problems.date = { key: 'error.slotIncomplete' }
  else if (!DATE.test(date)) out.problems.date = { key: 'error.date' }
  if (!time) out.problems.time = { key: 'error.slotIncomplete' }
  else if (!TIME.test(time)) out.problems.time = { key: 'error.time' }
  if (timeZone.length > 64 || !isTimeZone(timeZone)) out.problems.timeZone = { key: 'error.timeZone' }
  if (Object.keys(out.problems).length > 0) return
  // Undefined for a day that does not exist, such as 30 February.
  const instant = fromLocalInput(`${date}T${time}`, timeZone)
  if (!instant) out.problems.date = { key: 'error.date' }
  else if (instant.getTime() <= context.now.getTime()) out.problems.date = { key: 'error.past' }
  else if (instant.getTime() > context.now.getTime() + SLOT_MAX_DAYS * DAY_MS) out.problems.date = { key: 'error.tooFar', params: { days: SLOT_MAX_DAYS } }
  else {
    out.answers.preferredAt = instant
    out.answers.preferredTimeZone = canonicalTimeZone(timeZone) ?? timeZone
  }
}

/** Checks the fields of one step as typed; nothing is saved here. */
export function checkStep(fields: FieldName[], body: Body, context: CheckContext): CheckedStep {
  const out: CheckedStep = { values: {}, answers: {}, problems: {} }
  for (const field of fields) {
    if (field === 'email') checkEmail(body, context, out)
    else if (field === 'companySize') checkCompanySize(body, out)
    else if (field === 'message') checkMessage(body, out)
    else if (field === 'slot') checkSlot(body, context, out)
    else checkLine(field, body, out)
  }
  return out
}
