import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isTimeZone, timeZoneNames, InvalidInputError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import { cleanText, type FieldErrors } from '../services/forms.js'
import { requireMember } from '../services/guards.js'
import { cleanMessage } from '../services/invitations.js'

const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const SettingsBody = Type.Object({
  name: Text(1000),
  brandName: Text(1000),
  brandColour: Text(100),
  brandColourText: Text(100),
  brandColourWas: Text(100),
  invitationMessage: Text(10_000),
  timeZone: Text(200),
  locale: Text(100),
  _csrf: Text(200)
})

const FIELDS = ['name', 'brandName', 'brandColour', 'invitationMessage', 'timeZone', 'locale'] as const
type Field = (typeof FIELDS)[number]
type Values = Record<Field, string>

const COLOUR = /^#[0-9a-fA-F]{6}$/
const LOCALE = /^[a-z]{2}(-[A-Z]{2})?$/
const MESSAGE_MAX = 2000


/**
 * The colour comes from two inputs: a colour picker and its text. The text wins when it was changed
 * (a browser without a picker, or a typed value); otherwise the picker's value is taken.
 */
function chosenColour(body: { brandColour?: string; brandColourText?: string; brandColourWas?: string }): string {
  const picker = (body.brandColour ?? '').trim()
  const text = (body.brandColourText ?? '').trim()
  const was = (body.brandColourWas ?? '').trim().toLowerCase()
  if (text && (!picker || text.toLowerCase() !== was)) return text
  return picker || text
}

/** Checks the form; the tenancy service checks again (the same rules) before it saves. */
function check(values: Values): FieldErrors {
  const errors: FieldErrors = {}
  for (const field of ['name', 'brandName'] as const) {
    const cleaned = cleanText(values[field], 120)
    if (cleaned.error) errors[field] = cleaned.error
  }
  if (!COLOUR.test(values.brandColour)) errors.brandColour = 'auth.settings.colourInvalid'
  const message = cleanMessage(values.invitationMessage, MESSAGE_MAX)
  if (message.error) errors.invitationMessage = message.error
  else if (!message.value) errors.invitationMessage = 'core.form.required'
  if (!values.timeZone) errors.timeZone = 'core.form.required'
  else if (values.timeZone.length > 64 || !isTimeZone(values.timeZone)) errors.timeZone = 'auth.settings.zoneInvalid'
  if (!values.locale) errors.locale = 'core.form.required'
  else if (!LOCALE.test(values.locale)) errors.locale = 'auth.settings.localeInvalid'
  return errors
}

/** The service's InvalidInputError starts with the field's name: shown next to that field. */
const errorKeys: Record<Field, string> = {
  name: 'core.form.control',
  brandName: 'core.form.control',
  brandColour: 'auth.settings.colourInvalid',
  invitationMessage: 'core.form.control',
  timeZone: 'auth.settings.zoneInvalid',
  locale: 'auth.settings.localeInvalid'
}

/**
 * The instance's settings, for its owners and admins: name, brand name and colour, default
 * invitation message, time zone and locale. Saved through the tenancy plugin's service.
 */
export function settingsRoutes(app: FastifyInstance, ctx: PluginContext): void {
  ctx.nav.add({ label: 'nav.settings', href: '/admin/settings', roles: ['owner', 'admin'], order: 820 })

  app.register(async (scope) => {
    scope.addHook('onRequest', requireMember('owner', 'admin'))
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()

    const page = (reply: FastifyReply, request: FastifyRequest, values: Values, errors: FieldErrors = {}) => {
      const tenant = request.tenant!
      const colourOk = COLOUR.test(values.brandColour)
      return reply.page(
        'auth/admin-settings',
        {
          values,
          errors,
          slug: tenant.slug,
          domains: tenant.domains,
          // The picker needs a valid colour: after a bad one it shows the saved colour, the text the typed one.
          picker: colourOk ? values.brandColour.toLowerCase() : tenant.brandColour,
          colourWas: colourOk ? values.brandColour.toLowerCase() : tenant.brandColour,
          zones: timeZoneNames()
        },
        { title: 'auth.settings.title', status: Object.keys(errors).length > 0 ? 400 : undefined }
      )
    }

    routes.get('/admin/settings', async (request, reply) => {
      const tenant = request.tenant!
      return page(reply, request, {
        name: tenant.name,
        brandName: tenant.brandName,
        brandColour: tenant.brandColour,
        invitationMessage: tenant.invitationMessage,
        timeZone: tenant.timeZone,
        locale: tenant.locale
      })
    })

    routes.post('/admin/settings', { schema: { body: SettingsBody }, config: { rateLimit: { max: 30, timeWindow: 60_000 } } }, async (request, reply) => {
      const body = request.body
      const values: Values = {
        name: (body.name ?? '').trim(),
        brandName: (body.brandName ?? '').trim(),
        brandColour: chosenColour(body),
        invitationMessage: (body.invitationMessage ?? '').replace(/\r\n?/g, '\n').trim(),
        timeZone: (body.timeZone ?? '').trim(),
        locale: (body.locale ?? '').trim()
      }
      const errors = check(values)
      if (Object.keys(errors).length > 0) return page(reply, request, values, errors)
      try {
        await app.tenancy.update(request.em, request.tenant!.id, values)
      } catch (error) {
        const field = error instanceof InvalidInputError ? FIELDS.find((f) => error.message.startsWith(`${f}:`)) : undefined
        if (field) return page(reply, request, values, { [field]: errorKeys[field] })
        throw error
      }
      // The next request, in this process, reads the instance afresh; other processes within 5 seconds.
      app.tenancyCache.clear()
      request.flash('success', ctx.t(request.locale, 'auth.settings.saved'))
      return reply.redirect('/admin/settings', 303)
    })
  })
}
