import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, Type, type PluginContext, type TypeBoxTypeProvider } from '../../../core/api.js'
import type { FormsConfig } from '../config.js'
import { FormLead } from '../entities/lead.entity.js'
import { announceLead } from '../services/announce.js'
import { checkStep } from '../services/answers.js'
import { FORMS, type FormDefinition } from '../services/definitions.js'
import { completeLead, startLead } from '../services/leads.service.js'
import type { ProgressTokens } from '../services/progress.js'
import type { SettingsService } from '../services/settings.service.js'
import { addressKey, anonymiseAddress } from '../services/visitor.js'
import { scopeOf } from './scope.js'
import { renderStep, savedValues } from './step-page.js'

/** Generous limits: an over-long answer gets the step back with a clear message, not a bare 400. */
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const StepBody = Type.Object({
  progress: Text(1000),
  go: Text(10),
  website: Text(10_000),
  email: Text(10_000),
  name: Text(10_000),
  company: Text(10_000),
  role: Text(10_000),
  companySize: Text(100),
  message: Text(200_000),
  date: Text(100),
  time: Text(100),
  timeZone: Text(200)
})

/** A form left open longer than this starts again (what was sent is kept). */
const PROGRESS_MAX_AGE_MS = 24 * 60 * 60_000
const HOUR_MS = 60 * 60_000

export interface PublicFormsOptions {
  ctx: PluginContext<FormsConfig>
  tokens: ProgressTokens
  settings: SettingsService
  addressKey: Buffer
}

/** Public forms post without a session, hence without core's CSRF token; a browser's cross-site post is still refused. */
function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin
  if (origin === undefined) return
  let host: string | undefined
  try {
    host = new URL(origin).host
  } catch {
    host = undefined
  }
  if (host !== request.host) throw new ForbiddenError()
}

/**
 * The contact and demo forms: one question per step, each a plain form POST answered with the next
 * step. Progress rides in a signed token, so no session or cookie is made; the lead is written from
 * the first step on, and completing the last one mails the team (and the visitor).
 */
export function publicFormRoutes(app: FastifyInstance, options: PublicFormsOptions): void {
  const { ctx, tokens, settings } = options
  const routes = app.withTypeProvider<TypeBoxTypeProvider>()
  const parseEmail = (text: string) => app.tenancy.parseEmail(text)
  const defaultZone = (request: FastifyRequest) => request.tenant?.timeZone ?? ctx.settings.timeZone

  const firstStep = async (request: FastifyRequest, reply: FastifyReply, form: FormDefinition, notice?: string, status?: number) => {
    const scope = scopeOf(request)
    const token = tokens.issue({ form: form.name, scope, leadId: randomUUID(), step: 0, issuedAt: Date.now() })
    const choices = await settings.choices(request.em, scope)
    return renderStep(ctx, request, reply, { form, index: 0, token, values: {}, notice, status, choices, defaultZone: defaultZone(request), minSeconds: ctx.config.minSeconds, focus: Boolean(notice) })
  }

  for (const form of Object.values(FORMS)) {
    const thanks = `${form.path}/thanks`

    routes.get(form.path, async (request, reply) => firstStep(request, reply, form))

    routes.get(thanks, async (request, reply) => reply.page('forms/thanks', { formTitle: `forms.${form.title}` }, { title: `forms.${form.title}` }))

    routes.post(form.path, { schema: { body: StepBody }, config: { csrf: false } }, async (request, reply) => {
      assertSameOrigin(request)
      const now = new Date()
      const scope = scopeOf(request)
      const body = request.body
      const progress = tokens.read(body.progress)
      if (!progress || progress.form !== form.name || progress.scope !== scope || progress.step >= form.steps.length) {
        return firstStep(request, reply, form, 'notice.restart', 400)
      }
      if (now.getTime() - progress.issuedAt > PROGRESS_MAX_AGE_MS) return firstStep(request, reply, form, 'notice.expired', 400)
      // The honeypot: a field people never see. Whoever fills it gets a thank-you, and nothing is kept.
      if (body.website) return reply.redirect(thanks, 303)

      const choices = await settings.choices(request.em, scope)
      const goingBack = body.go === 'back' && progress.step > 0
      const checked = checkStep(form.steps[progress.step].fields, body, { now, parseEmail })
      const show = (index: number, values: Record<string, string>, extra: { problems?: typeof checked.problems; notice?: string; status?: number } = {}) =>
        renderStep(ctx, request, reply, {
          form,
          index,
          token: tokens.issue({ ...progress, step: index, issuedAt: now.getTime() }),
          values,
          ...extra,
          choices,
          defaultZone: defaultZone(request),
          minSeconds: ctx.config.minSeconds,
          focus: true
        })

      const limit = await ctx.limits.consume(`steps:${addressKey(options.addressKey, request.ip)}`, ctx.config.submissionsPerHour, HOUR_MS)
      if (!limit.allowed) {
        reply.header('retry-after', String(limit.retryAfter))
        return show(progress.step, checked.values, { notice: 'notice.tooMany', status: 429 })
      }
      if (!goingBack && now.getTime() - progress.issuedAt < ctx.config.minSeconds * 1000) {
        return show(progress.step, checked.values, { notice: 'notice.tooQuick', status: 400 })
      }

      const em = request.em
      let lead = await em.findOne(FormLead, { id: progress.leadId })
      if (!lead && progress.step > 0) return firstStep(request, reply, form, 'notice.expired', 400)
      if (lead?.completedAt) return reply.redirect(thanks, 303)
      const failed = Object.keys(checked.problems).length > 0
      if (!lead) {
        if (failed) return show(0, checked.values, { problems: checked.problems, status: 400 })
        lead = await startLead(em, { id: progress.leadId, tenantId: scope, form: form.name, email: checked.answers.email!, network: anonymiseAddress(request.ip), now })
        if (!lead) return firstStep(request, reply, form, 'notice.restart', 400)
      }

      // What passed is kept even when the step comes back or the visitor goes back: nothing typed is lost.
      const last = progress.step === form.steps.length - 1
      if (goingBack || failed || !last) {
        Object.assign(lead, checked.answers, { updatedAt: now })
        if (!goingBack && !failed) lead.step = Math.max(lead.step, progress.step + 1)
        await em.flush()
        if (failed && !goingBack) return show(progress.step, checked.values, { problems: checked.problems, status: 400 })
        const index = goingBack ? progress.step - 1 : progress.step + 1
        return show(index, savedValues(lead, defaultZone(request)))
      }

      const leadId = lead.id
      await em.transactional(async (tx) => {
        if (!(await completeLead(tx, leadId, checked.answers, form.steps.length, now))) return
        const completed = await tx.findOneOrFail(FormLead, { id: leadId }, { refresh: true })
        // An instance that named no recipients: its owners and admins hear of the lead, so none waits unseen.
        const recipients = choices.recipients.length > 0 || !request.tenant ? choices.recipients : (await app.auth.membersWithRole(tx, ['owner', 'admin'])).map((member) => member.email)
        await announceLead(ctx, tx, completed, { ...choices, recipients }, {
          tenantId: request.tenant?.id,
          origin: `${new URL(ctx.settings.publicUrl).protocol}//${request.host}`,
          teamZone: defaultZone(request),
          teamLocale: request.tenant?.locale ?? ctx.settings.locale,
          visitorLocale: request.locale
        })
      })
      return reply.redirect(thanks, 303)
    })
  }
}
