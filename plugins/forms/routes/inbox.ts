import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cleanText, NotFoundError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { FormsConfig } from '../config.js'
import { FormLead, LEAD_STATUSES, type FormLeadEntity, type FormName, type LeadStatus } from '../entities/lead.entity.js'
import { MESSAGE_MAX } from '../services/answers.js'
import { toCsv } from '../services/csv.js'
import { FORMS } from '../services/definitions.js'
import { formatInstant } from '../services/format.js'
import { countLeads, INBOX_PAGE, listLeads, type LeadFilter } from '../services/leads.service.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const FilterQuery = Type.Object({
  form: Type.Optional(Type.Union([Type.Literal(''), ...Object.keys(FORMS).map((name) => Type.Literal(name))])),
  status: Type.Optional(Type.Union([Type.Literal(''), ...LEAD_STATUSES.map((status) => Type.Literal(status))]))
})
const LeadParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
const LeadBody = Type.Object({ status: Type.Union(LEAD_STATUSES.map((status) => Type.Literal(status))), notes: Text(MESSAGE_MAX * 4), _csrf: Text(200) })
const CsrfBody = Type.Object({ _csrf: Text(200) })

const NOTES_MAX = MESSAGE_MAX
const filterOf = (query: { form?: string; status?: string }): LeadFilter => ({
  form: (query.form || undefined) as FormName | undefined,
  status: (query.status || undefined) as LeadStatus | undefined
})
const hrefOf = (filter: LeadFilter, path = '/admin/leads') => {
  const query = new URLSearchParams(Object.entries(filter).filter(([, value]) => value) as [string, string][]).toString()
  return query ? `${path}?${query}` : path
}

/**
 * The leads inbox of an instance (or, on the bare host, of the platform): the list filtered by form
 * and status, each lead with its answers, status and notes, and a CSV export. Times are shown in the
 * instance's time zone.
 */
export function inboxRoutes(app: FastifyInstance, ctx: PluginContext<FormsConfig>): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const zoneOf = (request: FastifyRequest) => request.tenant?.timeZone ?? ctx.settings.timeZone
  const when = (request: FastifyRequest, date: Date | null | undefined, zone = zoneOf(request), style: 'full' | 'short' = 'full') =>
    date ? formatInstant(date, zone, request.locale, style) : null
  const stepsOf = (lead: FormLeadEntity) => FORMS[lead.form].steps.length

  const summaryOf = (request: FastifyRequest, lead: FormLeadEntity) => ({
    id: lead.id,
    email: lead.email,
    who: [lead.name, lead.company].filter(Boolean).join(' · '),
    formLabel: `forms.${FORMS[lead.form].title}`,
    status: lead.status,
    statusLabel: `forms.status.${lead.status}`,
    complete: Boolean(lead.completedAt),
    progress: ctx.t(request.locale, 'forms.inbox.stopped', { step: lead.step, total: stepsOf(lead) }),
    received: when(request, lead.createdAt),
    preferred: when(request, lead.preferredAt),
    receivedShort: when(request, lead.createdAt, zoneOf(request), 'short'),
    preferredShort: when(request, lead.preferredAt, zoneOf(request), 'short'),
    excerpt: lead.message && lead.message.length > 140 ? `${lead.message.slice(0, 140)}…` : lead.message
  })

  routes.get('/admin/leads', { schema: { querystring: FilterQuery } }, async (request, reply) => {
    const filter = filterOf(request.query)
    const [leads, counts] = await Promise.all([listLeads(request.em, filter, INBOX_PAGE), countLeads(request.em, filter.form)])
    const tabs = [undefined, ...LEAD_STATUSES].map((status) => ({
      label: status ? `forms.status.${status}` : 'forms.inbox.all',
      count: counts[status ?? 'all'],
      href: hrefOf({ form: filter.form, status }),
      active: status === filter.status
    }))
    return reply.page(
      'forms/inbox',
      {
        leads: leads.map((lead) => summaryOf(request, lead)),
        tabs,
        filter,
        forms: Object.values(FORMS).map((form) => ({ name: form.name, label: `forms.${form.title}`, selected: form.name === filter.form })),
        exportHref: hrefOf(filter, '/admin/leads/export.csv'),
        truncated: leads.length === INBOX_PAGE,
        zone: zoneOf(request),
        platform: !request.tenant
      },
      { title: 'forms.inbox.title' }
    )
  })

  routes.get('/admin/leads/export.csv', { schema: { querystring: FilterQuery } }, async (request, reply) => {
    const leads = await listLeads(request.em, filterOf(request.query))
    const t = (key: string) => ctx.t(request.locale, `forms.${key}`)
    const header = ['csv.received', 'csv.form', 'csv.status', 'csv.completed', 'field.email', 'field.name', 'field.company', 'field.companySize', 'field.role', 'field.message', 'csv.preferred', 'csv.visitorZone', 'csv.notes', 'csv.network'].map(t)
    const rows = leads.map((lead) => [
      lead.createdAt.toISOString(),
      lead.form,
      lead.status,
      lead.completedAt ? lead.completedAt.toISOString() : '',
      lead.email,
      lead.name,
      lead.company,
      lead.companySize,
      lead.role,
      lead.message,
      when(request, lead.preferredAt),
      lead.preferredTimeZone,
      lead.notes,
      lead.network
    ])
    const day = new Date().toISOString().slice(0, 10)
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="leads-${day}.csv"`)
      .header('cache-control', 'no-store')
      .send(toCsv([header, ...rows]))
  })

  const load = async (request: FastifyRequest, id: string) => {
    const lead = await request.em.findOne(FormLead, { id })
    if (!lead) throw new NotFoundError()
    return lead
  }

  const detailPage = (request: FastifyRequest, reply: FastifyReply, lead: FormLeadEntity, edit: { status?: LeadStatus; notes?: string; error?: string } = {}) =>
    reply.page(
      'forms/lead',
      {
        lead: { ...summaryOf(request, lead), ...lead, completedAt: when(request, lead.completedAt) },
        visitorPreferred: lead.preferredAt && lead.preferredTimeZone && lead.preferredTimeZone !== zoneOf(request) ? when(request, lead.preferredAt, lead.preferredTimeZone) : null,
        statuses: LEAD_STATUSES.map((status) => ({ value: status, label: `forms.status.${status}`, selected: status === (edit.status ?? lead.status) })),
        sizeLabel: lead.companySize ? `forms.size.${lead.companySize}` : null,
        notes: edit.notes ?? lead.notes ?? '',
        notesError: edit.error
      },
      { title: 'forms.lead.title', status: edit.error ? 400 : undefined }
    )

  routes.get('/admin/leads/:id', { schema: { params: LeadParams } }, async (request, reply) => detailPage(request, reply, await load(request, request.params.id)))

  routes.post('/admin/leads/:id', { schema: { params: LeadParams, body: LeadBody } }, async (request, reply) => {
    const lead = await load(request, request.params.id)
    const notes = cleanText(request.body.notes, NOTES_MAX, false, true)
    if (notes.error) {
      const error = ctx.t(request.locale, notes.error === 'core.form.control' ? 'forms.error.control' : 'forms.lead.notesTooLong', { max: NOTES_MAX.toLocaleString('en') })
      return detailPage(request, reply, lead, { status: request.body.status, notes: (request.body.notes ?? '').trim(), error })
    }
    lead.status = request.body.status
    lead.notes = notes.value || null
    lead.updatedAt = new Date()
    await request.em.flush()
    request.flash('success', ctx.t(request.locale, 'forms.lead.saved'))
    return reply.redirect(`/admin/leads/${lead.id}`, 303)
  })

  routes.post('/admin/leads/:id/delete', { schema: { params: LeadParams, body: CsrfBody } }, async (request, reply) => {
    const lead = await load(request, request.params.id)
    await request.em.remove(lead).flush()
    request.flash('success', ctx.t(request.locale, 'forms.lead.deleted', { email: lead.email }))
    return reply.redirect('/admin/leads', 303)
  })
}
