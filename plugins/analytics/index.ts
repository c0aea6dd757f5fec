import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { definePlugin, Type, type PluginContext, type Static } from '../../core/api.js'
import { activationId, analyticsDoor, type AnalyticsDoor } from './door.js'
import { AnalyticsDaily } from './entities/daily.entity.js'
import { SUMMARY_ENTITIES } from './entities/summary.entity.js'
import { AnalyticsEvent } from './entities/event.entity.js'
import { AnalyticsForgotten } from './entities/forgotten.entity.js'
import { AnalyticsMember } from './entities/member.entity.js'
import { AnalyticsRequest } from './entities/request.entity.js'
import { AnalyticsSettings } from './entities/settings.entity.js'
import { beaconTokens } from './lib/beacon-token.js'
import { isDay } from './lib/days.js'
import messages from './messages/en.js'
import { analyticsPersonalData, eraseAnalytics, eraseLateRows, exportAnalytics, forgetVanishedMembers } from './privacy.js'
import { beaconHandler } from './routes/beacon.js'
import { rebuild } from './services/rebuild.js'
import { applyRetention, clickCutoff, eventCutoff } from './services/retention.js'
import { beaconWriter, logRequests, requestLogWriter } from './services/writers.js'
import { registerUi, uiMessages, uiNav } from './ui/index.js'

const config = Type.Object({
  requestLogDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'Days the anonymised request log is kept.' }),
  eventDays: Type.Integer({ minimum: 1, maximum: 36500, default: 730, description: 'Days raw analytics events (email opens, page views, joins…) are kept; their daily counters stay.' }),
  clickDays: Type.Integer({ minimum: 2, maximum: 36500, default: 180, description: 'Days raw clicks on tracked links are kept; their daily counters (clicks, unique clicks) stay.' })
})
type AnalyticsConfig = Static<typeof config>

/** Jobs, event handlers and commands get the plugin's ctx: the app's door is found through it. */
const registered = new WeakMap<object, { app: FastifyInstance; door: AnalyticsDoor }>()
const partsOf = (ctx: object) => {
  const parts = registered.get(ctx)
  if (!parts) throw new Error('analytics: not registered')
  return parts
}

/** Appends one event in a transaction of its own (for action handlers, told after a commit). */
/** How far back each rollup looks for rows of members who no longer exist. */
const VANISHED_LOOKBACK_MS = 2 * 3_600_000

async function recordAfter(ctx: PluginContext, input: Parameters<AnalyticsDoor['record']>[1]): Promise<void> {
  await partsOf(ctx).door.record(ctx.orm.em.fork(), input)
}

/**
 * Analytics: events (shares, clicks, email opens, page views, joins, activations, approved
 * suggestions, custom activities), web beacons, an anonymised request log, and daily counters that
 * dashboards read instead of raw events.
 */
export default definePlugin({
  name: 'analytics',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Events, web beacons, an anonymised request log and daily rollups for dashboards.',
  requires: ['tenancy', 'auth', 'feeds', 'sharing'],
  config,
  entities: [AnalyticsDaily, AnalyticsEvent, AnalyticsSettings, AnalyticsMember, AnalyticsRequest, AnalyticsForgotten, ...SUMMARY_ENTITIES],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  assets: join(import.meta.dirname, 'assets'),
  messages: { en: { ...messages, ...uiMessages } },
  nav: [...uiNav],
  personalData: analyticsPersonalData,
  on: {
    filters: {
      'privacy.export': exportAnalytics,
      'privacy.erase': (parts, subject, ctx) => eraseAnalytics(parts, subject, ctx.settings.dialect),
      // A page-view beacon on every published post's page: counted without a cookie, and not for DNT/GPC
      // visitors. A curator looking at a draft or a scheduled post is not its audience.
      'post.sections': (sections, { tenantId, postId, memberId, status }, ctx) => {
        if (status !== 'published') return sections
        const src = partsOf(ctx).door.beaconUrl({ tenantId, kind: 'page_view', subject: 'post', postId, memberId })
        return [...sections, { partial: 'analytics/beacon', data: { src } }]
      }
    },
    actions: {
      'member.joined': ({ tenantId, memberId }, ctx) => recordAfter(ctx, { tenantId, type: 'member_joined', memberId }),
      'privacy.erased': async (erased, ctx) => {
        const late = await eraseLateRows(ctx.orm.em, erased, () => partsOf(ctx).door.drain())
        if (late > 0) ctx.log.info({ rows: late }, 'rows written during an erasure cleared after it')
      },
      'post.approved': async ({ tenantId, memberId, postId }, ctx) => {
        if (memberId) await recordAfter(ctx, { tenantId, type: 'suggestion_approved', memberId, postId })
      },
      // Shares themselves are counted from sharing's table (its door); the event only tells us when
      // a member shared for the first time: that is when they became "activated".
      'share.created': async ({ tenantId, memberId, postId, network }, ctx) => {
        const em = ctx.orm.em.fork()
        await em.getConnection().execute(
          'insert into analytics_event (id, tenant_id, at, type, post_id, member_id, network, subject) values (?, ?, ?, ?, ?, ?, ?, null) on conflict (id) do nothing',
          [activationId(tenantId, memberId), tenantId, em.getPlatform().processDateProperty(new Date()), 'member_activated', postId, memberId, network],
          'run'
        )
      }
    }
  },
  jobs: {
    'analytics.rollup': {
      description: 'Recompute the daily counters of yesterday and today (or of a given range), every instance.',
      // Its steps are transactions of their own (per vanished member, then the rollup), per instance.
      transactional: false,
      async handler(payload: { tenantId?: string; from?: string; to?: string }, { em, ctx }) {
        const { app, door } = partsOf(ctx)
        // Late rows arrive with the time they are stored, so the last two hours hold them (the job runs
        // every five minutes); a longer look would scan a day of page views each time.
        const vanished = await forgetVanishedMembers(em, new Date(Date.now() - VANISHED_LOOKBACK_MS), async (scoped, ids) => new Set((await app.auth.members(scoped, ids)).keys()))
        if (vanished > 0) ctx.log.info({ members: vanished }, 'rows of members who no longer exist cleared')
        await door.rollup(em, payload)
      }
    },
    'analytics.retention': {
      description: 'Delete request-log rows, raw events and raw clicks past their retention (rolled up first).',
      async handler(_payload: Record<string, never>, { em, ctx }) {
        const config = ctx.config as AnalyticsConfig
        const { app, door } = partsOf(ctx)
        await applyRetention(em, config, (tx, range) => door.rollup(tx, range), app.sharing)
      }
    }
  },
  schedules: [
    { name: 'analytics.rollup', job: 'analytics.rollup', spec: { every: { minutes: 5 } } },
    { name: 'analytics.retention', job: 'analytics.retention', spec: { daily: '03:15' } }
  ],
  commands: [
    {
      name: 'analytics',
      description: 'Recompute the daily counters from raw events, shares and clicks.',
      usage: 'kaiku analytics rebuild [--tenant SLUG] [--from YYYY-MM-DD]',
      async run(args, ctx, io, app) {
        const [action, ...rest] = args
        if (action !== 'rebuild') {
          io.out('usage: kaiku analytics rebuild [--tenant SLUG] [--from YYYY-MM-DD]')
          return 2
        }
        const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' }, from: { type: 'string' } } })
        if (values.from !== undefined && !isDay(values.from)) {
          io.out(`--from: '${values.from}' is not a day (YYYY-MM-DD)`)
          return 2
        }
        const em = ctx.orm.em.fork()
        let tenantId: string | undefined
        if (values.tenant !== undefined) {
          const tenant = await app.tenancy.bySlug(em, values.tenant)
          if (!tenant) {
            io.out(`no instance '${values.tenant}' (kaiku tenant list shows them)`)
            return 2
          }
          tenantId = tenant.id
          io.out(`instance ${tenant.slug}`)
        }
        const { door } = partsOf(ctx)
        const config = ctx.config as AnalyticsConfig
        await rebuild(em, { tenantId, from: values.from, eventCutoff: eventCutoff(config.eventDays), clickCutoff: clickCutoff(config.clickDays) }, { firstActivity: (tx, id) => app.sharing.firstActivity(tx, id), rollup: (tx, range) => door.rollup(tx, range) }, io.out)
        return 0
      }
    }
  ],
  async register(app, ctx) {
    const tokens = beaconTokens(ctx.keys.derive('analytics-beacon'))
    const beacons = beaconWriter(ctx.orm, ctx.settings.dialect, ctx.log)
    const requests = requestLogWriter(ctx.orm, ctx.settings.dialect, ctx.log)
    const door = analyticsDoor(app, ctx, tokens, [() => beacons.drain(), () => requests.drain()])
    registered.set(ctx, { app, door })
    app.addHook('onClose', async () => door.drain())
    ctx.http.direct('/b/', beaconHandler({ tokens, writer: beacons }))
    logRequests(app, requests)
    await registerUi(app, ctx)
  }
})
