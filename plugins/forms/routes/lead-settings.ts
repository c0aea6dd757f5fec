import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { cleanText, ForbiddenError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { FormsConfig } from '../config.js'
import { parseRecipients, RECIPIENTS_MAX, type SettingsService } from '../services/settings.service.js'
import { scopeOf } from './scope.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const SettingsBody = Type.Object({ recipients: Text(20_000), confirmation: Text(10), privacyNotice: Text(20_000), retentionDays: Text(100), _csrf: Text(200) })

const NOTICE_MAX = 500

interface Values {
  recipients: string
  confirmation: boolean
  privacyNotice: string
  retentionDays: string
}

/**
 * An instance's choices for its forms: who is told of each lead, whether visitors get a confirmation,
 * the privacy notice under the forms and how long leads are kept. On the bare host the page shows the
 * platform's settings, which the operator sets in the configuration.
 */
export function leadSettingsRoutes(app: FastifyInstance, ctx: PluginContext<FormsConfig>, settings: SettingsService): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const t = (request: FastifyRequest, key: string, params?: Record<string, unknown>) => ctx.t(request.locale, `forms.${key}`, params)

  const page = (request: FastifyRequest, reply: FastifyReply, values: Values, errors: Record<string, string> = {}) =>
    reply.page(
      'forms/settings',
      {
        values,
        errors,
        platform: !request.tenant,
        defaultNotice: t(request, 'privacy.default', { days: values.retentionDays || ctx.config.retentionDays }),
        defaultDays: ctx.config.retentionDays,
        noticeMax: NOTICE_MAX
      },
      { title: 'forms.settings.title', status: Object.keys(errors).length > 0 ? 400 : undefined }
    )

  routes.get('/admin/leads/settings', async (request, reply) => {
    const choices = await settings.choices(request.em, scopeOf(request))
    return page(request, reply, {
      recipients: choices.recipients.join('\n'),
      confirmation: choices.confirmation,
      privacyNotice: choices.privacyNotice ?? '',
      retentionDays: choices.ownRetention || !request.tenant ? String(choices.retentionDays) : ''
    })
  })

  routes.post('/admin/leads/settings', { schema: { body: SettingsBody }, config: { rateLimit: { max: 30, timeWindow: 60_000 } } }, async (request, reply) => {
    const tenant = request.tenant
    if (!tenant) throw new ForbiddenError(t(request, 'settings.platformReadOnly'))
    const body = request.body
    const values: Values = {
      recipients: (body.recipients ?? '').trim(),
      confirmation: body.confirmation === 'on',
      privacyNotice: (body.privacyNotice ?? '').replace(/\s+/g, ' ').trim(),
      retentionDays: (body.retentionDays ?? '').trim()
    }
    const errors: Record<string, string> = {}
    const { addresses, invalid } = parseRecipients(values.recipients, (text) => app.tenancy.parseEmail(text))
    if (invalid.length > 0) errors.recipients = t(request, 'settings.recipientsInvalid', { addresses: invalid.slice(0, 3).join(', ') })
    else if (addresses.length > RECIPIENTS_MAX) errors.recipients = t(request, 'settings.recipientsTooMany', { max: RECIPIENTS_MAX })
    const notice = cleanText(values.privacyNotice, NOTICE_MAX, false)
    if (notice.error === 'core.form.control') errors.privacyNotice = t(request, 'error.control')
    else if (notice.error) errors.privacyNotice = t(request, 'error.tooLong', { max: NOTICE_MAX })
    const days = values.retentionDays === '' ? null : Number(values.retentionDays)
    if (days !== null && (!/^\d+$/.test(values.retentionDays) || days < 1 || days > 3650)) errors.retentionDays = t(request, 'settings.retentionInvalid')
    if (Object.keys(errors).length > 0) return page(request, reply, values, errors)
    await settings.save(request.em, tenant.id, { recipients: addresses, confirmation: values.confirmation, privacyNotice: values.privacyNotice || null, retentionDays: days })
    request.flash('success', t(request, 'settings.saved'))
    return reply.redirect('/admin/leads/settings', 303)
  })
}
