import { join } from 'node:path'
import { definePlugin } from '../../core/api.js'
import { formsConfig } from './config.js'
import { FormLead } from './entities/lead.entity.js'
import { FormSettings } from './entities/settings.entity.js'
import { inboxRoutes } from './routes/inbox.js'
import { leadSettingsRoutes } from './routes/lead-settings.js'
import { publicFormRoutes } from './routes/public-forms.js'
import { leadsAdminOnly, platformScope } from './routes/scope.js'
import { deleteExpiredLeads } from './services/leads.service.js'
import { progressTokens } from './services/progress.js'
import { parseRecipients, settingsService } from './services/settings.service.js'
import messages from './messages/en.js'
import adminMessages from './messages/admin.en.js'
import { eraseForms, formsPersonalData } from './privacy.js'

/**
 * Public contact and demo-request forms, one question per step and without JavaScript or cookies,
 * and the leads inbox of each instance (and of the platform, for the bare host's forms).
 */
export default definePlugin({
  name: 'forms',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Public contact and demo-request forms and the leads inbox.',
  requires: ['tenancy', 'auth'],
  config: formsConfig,
  entities: [FormLead, FormSettings],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  assets: join(import.meta.dirname, 'assets'),
  mail: join(import.meta.dirname, 'mail'),
  messages: { en: { ...messages, ...adminMessages } },
  personalData: formsPersonalData,
  on: {
    filters: {
      'privacy.erase': eraseForms,
      // An operator reaches the platform's leads on the bare host; where the host serves an instance
      // (the only one, say), its leads are its admins', and the entry would lead an operator to a sign-in.
      'nav.entries': (entries, { tenantId, roles }) =>
        tenantId && !roles.some((role) => role === 'owner' || role === 'admin') ? entries.filter((entry) => entry.href !== '/admin/leads') : entries
    }
  },
  nav: [{ label: 'nav.leads', href: '/admin/leads', roles: ['owner', 'admin', 'operator'], order: 830 }],
  jobs: {
    'forms.retention': {
      description: 'Delete leads older than their scope keeps them.',
      async handler(_payload, { em, log, ctx }) {
        const deleted = await deleteExpiredLeads(em, ctx.config.retentionDays)
        log.info({ deleted }, 'expired leads deleted')
      }
    }
  },
  schedules: [{ name: 'forms.retention', job: 'forms.retention', spec: { daily: '04:10' } }],
  async register(app, ctx) {
    const recipients = parseRecipients(ctx.config.recipients, (text) => app.tenancy.parseEmail(text))
    if (recipients.invalid.length > 0) throw new Error(`KAIKU_FORMS_RECIPIENTS: '${recipients.invalid[0].slice(0, 80)}' is not an email address`)
    const settings = settingsService(ctx.config, recipients.addresses)
    const tokens = progressTokens(ctx.keys.derive('progress'))

    await app.register(async (scope) => {
      scope.addHook('onRequest', platformScope)
      publicFormRoutes(scope, { ctx, tokens, settings, addressKey: ctx.keys.derive('address') })
    })
    await app.register(async (scope) => {
      scope.addHook('onRequest', platformScope)
      scope.addHook('onRequest', leadsAdminOnly(app))
      inboxRoutes(scope, ctx)
      leadSettingsRoutes(scope, ctx, settings)
    })
  }
})
