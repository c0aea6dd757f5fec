import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { definePlugin, type PluginContext } from '../../core/api.js'
import { Broadcast, Notice, Preferences } from './entities/notifications.entity.js'
import messages from './messages/en.js'
import { broadcastRoutes } from './routes/broadcast.js'
import { memberRoutes } from './routes/member.js'
import { unsubscribeRoutes } from './routes/unsubscribe.js'
import { sendBroadcast } from './services/broadcasts.js'
import { queueDigests, sendDigest } from './services/digests.js'
import { sendImpact } from './services/impact.js'
import { importantPost, unreadCount } from './services/notices.js'
import { notifier, type Notifier } from './services/notify.js'
import { unsubscribeTokens } from './services/tokens.js'
import { eraseNotifications, exportNotifications, notificationsPersonalData } from './privacy.js'

/** Jobs and event handlers get the plugin's ctx, not the app: what they need is found through it. */
const registered = new WeakMap<object, { app: FastifyInstance; notify: Notifier }>()
const partsOf = (ctx: object) => {
  const parts = registered.get(ctx)
  if (!parts) throw new Error('notifications: not registered')
  return parts
}

/** Adds an in-app notice (no mail) in a transaction of its own. */
async function noticeOnly(ctx: PluginContext, input: { tenantId: string; memberId: string; category: 'suggestions' | 'invitations'; messageKey: string; params: Record<string, string>; link: string | null }) {
  const em = ctx.orm.em.fork()
  await em.transactional((tx) => partsOf(ctx).notify.deliver(tx, { tenantId: input.tenantId, memberId: input.memberId, category: input.category, notice: { messageKey: input.messageKey, params: input.params, link: input.link } }))
}

/**
 * How Kaiku reaches members who are not looking at it: digests by favourite topic, notices (pinned
 * posts, suggestions, invitations), an in-app notification centre, preferences with one-click
 * unsubscribe per category, admin broadcasts and a weekly "your impact" summary; open beacons in
 * mail where the instance counts them and the member agrees.
 */
export default definePlugin({
  name: 'notifications',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Digests, notices, the notification centre, preferences and broadcasts.',
  requires: ['tenancy', 'auth', 'feeds', 'analytics'],
  entities: [Preferences, Notice, Broadcast],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  assets: join(import.meta.dirname, 'assets'),
  mail: join(import.meta.dirname, 'mail'),
  messages: { en: messages },
  personalData: notificationsPersonalData,
  on: {
    filters: {
      'privacy.export': exportNotifications,
      'privacy.erase': eraseNotifications,
      // The unread count beside "Notifications" in the header.
      'nav.entries': async (entries, { viewerId, tenantId, em }) => {
        if (!viewerId || !tenantId || !em || !entries.some((entry) => entry.href === '/notifications')) return entries
        const unread = await unreadCount(em, tenantId, viewerId)
        return unread ? entries.map((entry) => (entry.href === '/notifications' ? { ...entry, badge: unread } : entry)) : entries
      }
    },
    actions: {
      'post.published': async ({ tenantId, postId }, ctx) => {
        const em = ctx.orm.em.fork()
        em.setFilterParams('tenant', { tenantId })
        const post = await partsOf(ctx).app.feeds.post(em, postId)
        if (post?.pinned) await em.transactional((tx) => ctx.jobs.enqueue(tx, 'notifications.important', { tenantId, postId }, { key: `important:${postId}` }))
      },
      'post.approved': async ({ tenantId, memberId, postId }, ctx) => {
        if (memberId) await noticeOnly(ctx, { tenantId, memberId, category: 'suggestions', messageKey: 'notifications.notice.approved', params: {}, link: `/posts/${postId}` })
      },
      'post.rejected': async ({ tenantId, memberId }, ctx) => {
        if (memberId) await noticeOnly(ctx, { tenantId, memberId, category: 'suggestions', messageKey: 'notifications.notice.rejected', params: {}, link: '/suggest' })
      },
      'member.joined': async ({ tenantId, memberId, via, invitedBy }, ctx) => {
        if (via !== 'invitation' || !invitedBy) return
        const em = ctx.orm.em.fork()
        em.setFilterParams('tenant', { tenantId })
        const joined = (await partsOf(ctx).app.auth.members(em, [memberId])).get(memberId)
        await noticeOnly(ctx, { tenantId, memberId: invitedBy, category: 'invitations', messageKey: 'notifications.notice.invitationAccepted', params: { name: joined?.name ?? '' }, link: `/people/${memberId}` })
      }
    }
  },
  jobs: {
    'notifications.digests': {
      description: "Queue the digests due at this hour, in the instance's time zone.",
      async handler(payload: { scope: string; scheduledFor: string }, { em, ctx }) {
        await queueDigests(partsOf(ctx).app, em, ctx, payload.scope, new Date(payload.scheduledFor))
      }
    },
    'notifications.digest': {
      description: "Send one member's digest for one period.",
      async handler(payload: { tenantId: string; memberId: string; period: string; frequency: 'daily' | 'weekly' }, { em, ctx }) {
        await sendDigest(partsOf(ctx).app, em, partsOf(ctx).notify, payload)
      }
    },
    'notifications.important': {
      description: 'Tell the followers of a pinned post about it, at once.',
      async handler(payload: { tenantId: string; postId: string }, { em, ctx }) {
        await importantPost(partsOf(ctx).app, em, partsOf(ctx).notify, payload)
      }
    },
    'notifications.impact': {
      description: "Mail each member of an instance last week's shares, clicks and points (when they have any).",
      async handler(payload: { scope: string; scheduledFor: string }, { em, ctx }) {
        await sendImpact(partsOf(ctx).app, em, partsOf(ctx).notify, { tenantId: payload.scope, at: new Date(payload.scheduledFor) })
      }
    },
    'notifications.broadcast': {
      description: "Deliver an admin's broadcast to its recipients, once each.",
      async handler(payload: { tenantId: string; broadcastId: string }, { em, ctx }) {
        await sendBroadcast(partsOf(ctx).app, em, partsOf(ctx).notify, payload)
      }
    }
  },
  schedules: [
    { name: 'notifications.digests', job: 'notifications.digests', spec: { every: { minutes: 60 } }, perTenant: true },
    // Monday morning in each instance's own time zone, after the default 08:00 digest.
    { name: 'notifications.impact', job: 'notifications.impact', spec: { weekly: { day: 'mon', at: '09:00' } }, perTenant: true }
  ],
  async register(app, ctx) {
    const tokens = unsubscribeTokens(ctx.keys.derive('unsubscribe'))
    registered.set(ctx, { app, notify: notifier(app, ctx, tokens) })
    memberRoutes(app, ctx)
    unsubscribeRoutes(app, ctx, tokens)
    broadcastRoutes(app, ctx)
  }
})
