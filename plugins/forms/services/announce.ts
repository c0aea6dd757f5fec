import { createHash } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
import type { FormLeadEntity } from '../entities/lead.entity.js'
import { formatInstant } from './format.js'
import { calendarFile } from './ics.js'
import type { FormsChoices } from './settings.service.js'

/** A demo slot is put in calendars as this long; the team confirms the real one. */
const DEMO_MINUTES = 30

export interface Audience {
  /** Brand of the mail (the instance), none for the platform. */
  tenantId?: string
  /** Origin of the host the form was filled in on, for the link to the lead. */
  origin: string
  /** Zone and language of the people who receive leads (the instance's). */
  teamZone: string
  teamLocale: string
  visitorLocale: string
}

/** The answers as labelled lines for mail and calendar: label message keys and plain values. */
export function answerLines(lead: FormLeadEntity, zone: string, locale: string): { label: string; value: string }[] {
  const lines: { label: string; value: string | null | undefined }[] = [
    { label: 'forms.field.email', value: lead.email },
    { label: 'forms.field.name', value: lead.name },
    { label: 'forms.field.company', value: lead.company },
    { label: 'forms.field.companySize', value: lead.companySize },
    { label: 'forms.field.role', value: lead.role },
    { label: 'forms.field.preferred', value: lead.preferredAt ? formatInstant(lead.preferredAt, zone, locale) : null }
  ]
  return lines.filter((line): line is { label: string; value: string } => Boolean(line.value))
}

const keyOf = (lead: FormLeadEntity, what: string) => `forms:${lead.id}:${createHash('sha256').update(what).digest('hex').slice(0, 16)}`

/**
 * A completed lead: a mail to each recipient of its scope (with the demo slot as an .ics file) and,
 * if the scope wants it, a confirmation to the visitor. Queued in the caller's transaction; the keys
 * make a second announcement of the same lead send nothing. The confirmation repeats none of the
 * visitor's text, so the form cannot be used to mail arbitrary words to arbitrary addresses.
 */
export async function announceLead(ctx: PluginContext, em: EntityManager, lead: FormLeadEntity, choices: FormsChoices, audience: Audience): Promise<void> {
  const who = lead.name ?? lead.email
  const team = { locale: audience.teamLocale, zone: audience.teamZone }
  const link = `${audience.origin}/admin/leads/${lead.id}`
  const calendar =
    lead.form === 'demo' && lead.preferredAt
      ? [
          {
            filename: 'demo-request.ics',
            contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
            content: calendarFile({
              uid: `${lead.id}@${new URL(audience.origin).hostname}`,
              start: lead.preferredAt,
              minutes: DEMO_MINUTES,
              summary: ctx.t(team.locale, 'forms.ics.summary', { who }),
              description: [...answerLines(lead, team.zone, team.locale).map((line) => `${ctx.t(team.locale, line.label)}: ${line.value}`), link].join('\n'),
              stamp: new Date()
            })
          }
        ]
      : undefined
  for (const to of choices.recipients) {
    await ctx.mail.send(em, {
      to,
      template: 'forms/lead',
      key: keyOf(lead, `to:${to}`),
      locale: team.locale,
      tenant: audience.tenantId,
      replyTo: lead.email,
      attachments: calendar,
      data: {
        subjectKey: `forms.mail.lead.subject.${lead.form}`,
        headingKey: `forms.mail.lead.heading.${lead.form}`,
        who,
        email: lead.email,
        lines: answerLines(lead, team.zone, team.locale),
        message: lead.message,
        link,
        calendar: Boolean(calendar)
      }
    })
  }
  if (!choices.confirmation) return
  await ctx.mail.send(em, {
    to: lead.email,
    template: 'forms/confirmation',
    key: keyOf(lead, 'confirmation'),
    locale: audience.visitorLocale,
    tenant: audience.tenantId,
    data: {
      subjectKey: `forms.mail.confirmation.subject.${lead.form}`,
      bodyKey: `forms.mail.confirmation.body.${lead.form}`,
      preferred: lead.preferredAt ? formatInstant(lead.preferredAt, lead.preferredTimeZone ?? team.zone, audience.visitorLocale) : null
    }
  })
}
