import type { FastifyReply, FastifyRequest } from 'fastify'
import { canonicalTimeZone, timeZoneNames, toLocalInput, type PluginContext } from '../../../core/api.js'
import type { FormLeadEntity } from '../entities/lead.entity.js'
import { SLOT_MAX_DAYS, type Problem } from '../services/answers.js'
import { COMPANY_SIZES, type FormDefinition } from '../services/definitions.js'
import type { FormsChoices } from '../services/settings.service.js'


const DAY_MS = 24 * 60 * 60_000

export interface StepView {
  form: FormDefinition
  index: number
  token: string
  /** What the fields show: typed values when a step comes back, saved answers otherwise. */
  values: Record<string, string>
  problems?: Record<string, Problem>
  /** A message for the whole step (too quick, too many, start again), as a forms message key. */
  notice?: string
  choices: FormsChoices
  /** The zone the demo's slot list starts at: the instance's, or the server's. */
  defaultZone: string
  minSeconds: number
  /** Set when the step follows another (not on the first visit): focus moves into the form. */
  focus: boolean
  status?: number
}

/** The answers a lead already holds, as the fields of its steps show them. */
export function savedValues(lead: FormLeadEntity | null, defaultZone: string): Record<string, string> {
  if (!lead) return {}
  const [date, time] = lead.preferredAt ? toLocalInput(lead.preferredAt, lead.preferredTimeZone ?? defaultZone).split('T') : ['', '']
  return {
    email: lead.email,
    name: lead.name ?? '',
    company: lead.company ?? '',
    role: lead.role ?? '',
    companySize: lead.companySize ?? '',
    message: lead.message ?? '',
    date,
    time,
    timeZone: lead.preferredTimeZone ?? ''
  }
}

/** Renders one step of a form: its heading and question, its fields with their problems, Back and Next. */
export function renderStep(ctx: PluginContext, request: FastifyRequest, reply: FastifyReply, view: StepView) {
  const t = (key: string, params?: Record<string, unknown>) => ctx.t(request.locale, `forms.${key}`, params)
  const step = view.form.steps[view.index]
  const last = view.index === view.form.steps.length - 1
  const problems = view.problems ?? {}
  const errors = Object.fromEntries(Object.entries(problems).map(([field, problem]) => [field, t(problem.key, problem.params)]))
  const inputs = step.fields.flatMap((field) => (field === 'slot' ? ['date', 'time', 'timeZone'] : [field]))
  const typed = view.values.timeZone || view.defaultZone
  const zone = canonicalTimeZone(typed) ?? typed
  const zones = timeZoneNames()
  const today = new Date()
  const focus = inputs.find((input) => errors[input]) ?? (view.focus ? inputs[0] : undefined)
  return reply.page(
    'forms/step',
    {
      form: view.form.name,
      path: view.form.path,
      formTitle: `forms.${view.form.title}`,
      heading: `forms.${step.heading}`,
      question: step.question ? `forms.${step.question}` : undefined,
      number: view.index + 1,
      total: view.form.steps.length,
      bar: view.form.steps.map((_, i) => ({ done: i < view.index, current: i === view.index })),
      show: Object.fromEntries(step.fields.map((field) => [field, true])),
      token: view.token,
      values: view.values,
      errors,
      summary: inputs.filter((input) => errors[input]).map((input) => ({ input, text: errors[input] })),
      autofocus: focus ? { [focus]: true } : {},
      notice: view.notice ? t(view.notice) : undefined,
      sizes: COMPANY_SIZES.map((size) => ({ value: size, label: t(`size.${size}`), selected: view.values.companySize === size })),
      // Every zone by its current name; the default is added if missing (e.g. UTC).
      zones: (zones.includes(zone) ? zones : [zone, ...zones]).map((name) => ({ name, selected: name === zone })),
      dateMin: today.toISOString().slice(0, 10),
      dateMax: new Date(today.getTime() + SLOT_MAX_DAYS * DAY_MS).toISOString().slice(0, 10),
      back: view.index > 0,
      next: last ? 'forms.send' : 'forms.next',
      minMs: view.minSeconds * 1000,
      privacyNotice: view.choices.privacyNotice ?? t('privacy.default', { days: view.choices.retentionDays })
    },
    { title: `forms.${view.form.title}`, status: view.status, scripts: ['/static/forms/forms.js'] }
  )
}
