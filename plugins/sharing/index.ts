import { join } from 'node:path'
import { definePlugin, Type } from '../../core/api.js'
import { Click, Link, PostNetworks, Share, SharingProfile, SharingSettings, ShortDomain, VisitorSalt } from './entities/sharing.entity.js'
import { directPart } from './direct.js'
import { sharingDoor } from './door.js'
import { sharingEvents } from './events.js'
import messages from './messages/en.js'
import { adminRoutes } from './routes/admin.js'
import { redirectHandler } from './routes/redirect.js'
import { networkLabel, shareRoutes } from './routes/share.js'
import { clickRecorder, SaltKeeper, type ClickRecorder } from './services/clicks.js'
import { retargetPost } from './services/links.js'
import { RedirectDirectory } from './services/redirects.js'
import { networksFor, settingsOf } from './services/settings.js'
import { eraseLateClicks, eraseSharing, exportSharing, sharingPersonalData } from './privacy.js'

/** Each app's redirect directory and click writer, so an erasure can clear what they hold of a member. */
const parts = new WeakMap<object, { directory: RedirectDirectory; clicks: ClickRecorder }>()

/**
 * Sharing: the networks an instance allows, the share flow from any post, per-member tracked short
 * links at /s/:code, and clicks recorded durably (group commit) without storing who clicked.
 */
export default definePlugin({
  name: 'sharing',
  version: '1.0.0',
  api: '^1.6.0',
  description: 'Approved networks, share texts and per-employee tracked short links with click counting.',
  requires: ['tenancy', 'auth', 'feeds'],
  config: Type.Object({ ...directPart.config }),
  entities: [SharingSettings, ShortDomain, PostNetworks, SharingProfile, Link, Share, Click, VisitorSalt, ...directPart.entities],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  assets: join(import.meta.dirname, 'assets'),
  messages: { en: messages },
  events: sharingEvents,
  personalData: sharingPersonalData,
  on: {
    filters: {
      'post.sections': async (sections, { em, tenantId, postId, role, status, live }) => {
        // A draft or scheduled post (seen by curators) and an expired or archived one offer no network.
        const networks = live ? await networksFor(em, tenantId, postId) : []
        const closed = live ? null : status === 'draft' || status === 'scheduled' ? 'sharing.panel.notYet' : 'sharing.panel.over'
        const data = { postId, networks: networks.map((id) => ({ id, label: networkLabel(id) })), canNarrow: role !== 'member', closed }
        return [{ partial: 'sharing/share-panel', data }, ...sections]
      },
      'post.cardLinks': (links) => [{ label: 'sharing.card.share', path: '/posts/:id/share' }, ...links],
      // Share texts only for networks members may use here ('any' stays; copy-link has no text of its own).
      'post.textNetworks': async (networks, { em, tenantId }) => {
        const allowed: readonly string[] = (await settingsOf(em, tenantId)).networks
        return networks.filter((network) => network === 'any' || allowed.includes(network))
      },
      'privacy.export': exportSharing,
      'privacy.erase': (erased, context, ctx) => eraseSharing(erased, context, (codes) => parts.get(ctx)?.directory.forgetLinks(codes)),
      ...directPart.filters
    },
    actions: {
      ...directPart.actions,
      // A post's new URL: its links lead there from now on, on every instance within a minute.
      'post.moved': async (moved, ctx) => {
        const em = ctx.orm.em.fork()
        em.setFilterParams('tenant', { tenantId: moved.tenantId })
        const { utmCampaign } = await settingsOf(em, moved.tenantId)
        await retargetPost(em, { ...moved, campaign: utmCampaign })
        parts.get(ctx)?.directory.forgetPost(moved.postId)
      },
      'privacy.erased': async (erased, ctx) => {
        const own = parts.get(ctx)
        if (!own) return
        own.directory.forgetMember(erased.memberId)
        const late = await eraseLateClicks(ctx.orm.em, erased, () => own.clicks.drain())
        if (late > 0) ctx.log.info({ clicks: late }, 'clicks stored during an erasure cleared after it')
      }
    }
  },
  jobs: {
    'sharing.forget-salts': {
      description: 'Delete visitor-key salts older than yesterday, so old keys cannot be recomputed.',
      async handler(_payload: Record<string, never>, { em }) {
        await SaltKeeper.forgetOld(em)
      }
    },
    ...directPart.jobs
  },
  schedules: [{ name: 'sharing.forget-salts', job: 'sharing.forget-salts', spec: { daily: '00:05' } }],
  async register(app, ctx) {
    sharingDoor(app, ctx.settings.dialect, ctx.db)
    const clicks = clickRecorder(ctx.orm, ctx.settings.dialect)
    const salts = new SaltKeeper(ctx.orm)
    const directory = new RedirectDirectory(ctx.orm, app, new URL(ctx.settings.publicUrl).hostname.toLowerCase())
    parts.set(ctx, { directory, clicks })
    // Requests wait for their click's batch, and closing waits for requests; this catches stragglers.
    app.addHook('onClose', async () => {
      directory.close()
      await clicks.drain()
    })
    ctx.http.direct('/s/', redirectHandler({ directory, clicks, salts, counted: ctx.metrics.counter('clicks_total', 'Clicks on tracked links, each stored before its redirect', ['network', 'bot']) }))
    shareRoutes(app, ctx, directPart.register(app, ctx), directory)
    adminRoutes(app, ctx, directory)
  }
})
