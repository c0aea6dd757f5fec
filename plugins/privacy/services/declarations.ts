import type { PersonalDataDeclaration, PluginContext } from '../../../core/api.js'
import type { PrivacyConfig } from '../config.js'

/** One category of personal data, with the plugin (or 'core') that keeps it. */
export interface Category extends PersonalDataDeclaration {
  plugin: string
}

/**
 * Every category of personal data this installation keeps: core's own (sessions, mail log), which
 * the privacy plugin declares on core's behalf, then each loaded plugin's, in load order.
 */
export function categories(ctx: PluginContext<PrivacyConfig>): Category[] {
  const core: Category[] = [
    {
      plugin: 'core',
      category: 'sessions',
      title: 'Your sessions',
      purpose: 'To keep you signed in, and to let you see and end your sessions.',
      fields: ['a short description of your browser', 'when you signed in and were last active'],
      retention: `Until you sign out, after a time of inactivity, or at most ${ctx.settings.sessionMaxDays} days with "remember me".`,
      visibleTo: ['member']
    },
    {
      plugin: 'core',
      category: 'mail',
      title: 'Mail sent to you',
      purpose: 'To send the mail you asked for (sign-in links, digests, notices) and to let operators see that it was delivered.',
      fields: ['your email address', 'the subject and text of each message', 'whether it was delivered'],
      retention: `${ctx.config.mailLogDays === 1 ? 'One day' : `${ctx.config.mailLogDays} days`} after it was sent.`,
      visibleTo: ['member', 'operators']
    }
  ]
  const plugins = ctx.plugins().flatMap((plugin) => plugin.personalData.map((declaration) => ({ ...declaration, plugin: plugin.name })))
  return [...core, ...plugins]
}

export const privacyPersonalData: PersonalDataDeclaration[] = [
  {
    category: 'choices',
    title: 'Your privacy choices',
    purpose: 'To remember which version of the privacy policy you read, your answers about optional cookies and your data exports.',
    fields: ['policy versions you acknowledged and when', 'cookie consents', 'data export requests (the archive itself only until you download it)'],
    retention: 'As long as you are a member; an export archive until it is downloaded or its link expires.',
    visibleTo: ['member']
  }
]
