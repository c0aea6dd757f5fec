import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { Type, type PluginContext, type PluginManifest, type Static } from '../../core/api.js'
import { Connection, DirectPost, OAuthState, ProviderApp } from './entities/connections.entity.js'
import { systemNetwork } from './lib/outbound.js'
import { createSealer } from './lib/sealed.js'
import { createProviders, DIRECT_NETWORKS } from './providers/index.js'
import { adminLinkedinRoutes } from './routes/admin-linkedin.js'
import { connectionRoutes } from './routes/connections.js'
import { directShare, type DirectShare } from './routes/direct-share.js'
import { ConnectionService } from './services/connections.js'
import { DirectPoster, POST_SCHEDULED_JOB, type PostScheduledPayload } from './services/direct-posts.js'
import { settingsOf } from './services/settings.js'

const directConfig = {
  linkedinVersion: Type.String({
    pattern: '^20[0-9]{2}(0[1-9]|1[0-2])$',
    default: '202601',
    env: 'KAIKU_SHARING_LINKEDIN_VERSION',
    expected: 'a LinkedIn API version, YYYYMM',
    description:
      'The version of LinkedIn\'s Posts API that direct posting asks for (the LinkedIn-Version header). LinkedIn retires each version about a year after it appears: keep it to a version LinkedIn still lists.'
  })
}

export type DirectSettings = Static<ReturnType<typeof Type.Object<typeof directConfig>>>

type Job = NonNullable<PluginManifest['jobs']>[string]

/** Jobs get the plugin's ctx, not the app: each app's poster is found through its ctx. */
const posters = new WeakMap<object, DirectPoster>()
function posterOf(ctx: object): DirectPoster {
  const poster = posters.get(ctx)
  if (!poster) throw new Error('sharing: direct posting was not registered')
  return poster
}

/** A removed member's accounts are forgotten at once (tokens included); what was still scheduled is not posted. */
async function forgetConnections(em: EntityManager, tenantId: string, memberId: string): Promise<void> {
  em.setFilterParams('tenant', { tenantId })
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(DirectPost, { memberId, status: 'scheduled' }, { status: 'cancelled', failure: 'disconnected', updatedAt: new Date() })
    await tx.nativeDelete(Connection, { memberId })
    await tx.nativeDelete(OAuthState, { memberId })
  })
}

/**
 * Direct posting: members connect Mastodon or LinkedIn accounts, then post a share now or at a chosen
 * time. The part of the sharing plugin the manifest spreads in (config, entities, jobs, handlers) and
 * registers. Without any connected account, sharing works exactly as before.
 */
export const directPart = {
  config: directConfig,
  entities: [ProviderApp, Connection, OAuthState, DirectPost],
  jobs: {
    [POST_SCHEDULED_JOB]: {
      description: 'Post a member\'s scheduled share on their connected account, once.',
      // It calls the provider: no transaction may stay open meanwhile (it opens its own to record the share).
      transactional: false,
      maxAttempts: 3,
      async handler(payload: PostScheduledPayload, { em, ctx, job }) {
        await posterOf(ctx).runScheduled(em, payload, job)
      }
    }
  } satisfies Record<string, Job>,
  filters: {
    'profile.sections': async (sections: { partial: string; data: Record<string, unknown> }[], { em, tenantId }: { em: EntityManager; tenantId: string }) => {
      const allowed = (await settingsOf(em, tenantId)).networks
      return DIRECT_NETWORKS.some((network) => allowed.includes(network)) ? [...sections, { partial: 'sharing/me-connections', data: {} }] : sections
    }
  },
  actions: {
    'member.removed': async ({ tenantId, memberId }: { tenantId: string; memberId: string }, ctx: PluginContext) => forgetConnections(ctx.orm.em.fork(), tenantId, memberId)
  },
  /** Routes and services; returns what the share page needs to offer direct posting. */
  register(app: FastifyInstance, ctx: PluginContext<DirectSettings>): DirectShare {
    app.decorate('sharingNetwork', systemNetwork())
    // Adapters read app.sharingNetwork at every call, so a test that points it at a stub is heard.
    const providers = createProviders(app.sharingNetwork, { linkedinVersion: ctx.config.linkedinVersion })
    const connections = new ConnectionService(providers, createSealer(ctx.keys.derive('tokens')), ctx.settings.publicUrl)
    const poster = new DirectPoster(app, ctx, providers, connections)
    posters.set(ctx, poster)
    connectionRoutes(app, ctx, connections, poster)
    adminLinkedinRoutes(app, ctx, connections)
    return directShare(ctx, connections, poster)
  }
}
