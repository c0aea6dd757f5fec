import { join } from 'node:path'
import type { FastifyRequest } from 'fastify'
import { definePlugin } from '../../core/api.js'
import { privacyConfig, type PrivacyConfig } from './config.js'
import { CookieConsent, DataExport, PolicyAcknowledgment, PolicyVersion } from './entities/privacy.entity.js'
import messages from './messages/en.js'
import { adminRoutes } from './routes/admin.js'
import { LatestVersions } from './services/policy.js'
import { meRoutes } from './routes/me.js'
import { consented, publicRoutes } from './routes/public.js'
import { privacyPersonalData } from './services/declarations.js'
import { EXPORT_JOB, prepareExport } from './services/member-data.js'
import { enforceRetention } from './services/retention.js'

/** What the privacy plugin offers other plugins: `app.privacy`. */
export interface PrivacyDoor {
  /** Whether the signed-in member agreed to an optional cookie a plugin declared through `privacy.cookies`. */
  consented(request: FastifyRequest, cookie: string): Promise<boolean>
}

declare module 'fastify' {
  interface FastifyInstance {
    privacy: PrivacyDoor
  }
}

/** Jobs get the plugin's ctx; the app (for other plugins' doors) is found through it. */
const apps = new WeakMap<object, import('fastify').FastifyInstance>()

/**
 * The privacy policy's promises as behaviour: the policy generated from every plugin's declared
 * personal data (and versions an admin publishes, acknowledged by members), the cookie notice and
 * consent, `/me/data`, exports, erasure and anonymisation, retention, and the admins' transparency pages.
 */
export default definePlugin({
  name: 'privacy',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Privacy policy, cookie notice, data overview, export, erasure and retention.',
  requires: ['tenancy', 'auth'],
  config: privacyConfig,
  entities: [PolicyVersion, PolicyAcknowledgment, CookieConsent, DataExport],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  mail: join(import.meta.dirname, 'mail'),
  assets: join(import.meta.dirname, 'assets'),
  messages: { en: messages },
  personalData: privacyPersonalData,
  nav: [
    { label: 'nav.privacy', href: '/privacy', order: 970 },
    { label: 'nav.admin', href: '/admin/privacy', roles: ['owner', 'admin'], order: 840 }
  ],
  jobs: {
    [EXPORT_JOB]: {
      description: "Prepare a member's data export (JSON and CSV in a .tar.gz).",
      maxAttempts: 3,
      async handler(payload: { tenantId: string; exportId: string }, { em, ctx }) {
        const app = apps.get(ctx)
        if (!app) throw new Error('privacy: not registered')
        await prepareExport(app, ctx, em, payload)
      }
    },
    'privacy.retention': {
      description: 'Delete mail log and audit entries past their retention, and expired export archives.',
      async handler(_payload: Record<string, never>, { em, ctx, log }) {
        log.info(await enforceRetention(em, ctx.config as PrivacyConfig), 'privacy retention enforced')
      }
    }
  },
  schedules: [{ name: 'privacy.retention', job: 'privacy.retention', spec: { daily: '03:40' } }],
  async register(app, ctx) {
    apps.set(ctx, app)
    app.decorate('privacy', { consented } satisfies PrivacyDoor)
    const versions = new LatestVersions()
    publicRoutes(app, ctx, versions)
    meRoutes(app, ctx)
    adminRoutes(app, ctx, versions)
  }
})
