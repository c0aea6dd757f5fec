import { createHash, randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { InvalidInputError, type PluginContext } from '../../core/api.js'
import { AnalyticsEvent } from './entities/event.entity.js'
import { beaconTokens, type BeaconClaims } from './lib/beacon-token.js'
import { isDay } from './lib/days.js'
import { rollupRange, type RollupRange, type RollupResult } from './services/rollup.js'
import { settingsOf } from './services/settings.js'
import { effectivePoints } from './ui/services/points.js'
import { breakdown, pointsByMember } from './ui/services/rollups.js'

/** An activity rollups count and points can reward. */
export interface ActivityDefinition {
  type: string
  label: string
  /** Default points per occurrence (an instance's settings may change them). */
  points: number
  /** True for analytics' own activities, false for those other plugins declared. */
  builtIn: boolean
}

/** The built-in activities: what rollups count without any other plugin's help. */
export const BUILT_IN_ACTIVITIES: readonly Omit<ActivityDefinition, 'builtIn'>[] = [
  { type: 'share', label: 'Share', points: 10 },
  { type: 'click', label: 'Click', points: 0 },
  { type: 'unique_click', label: 'Unique click', points: 1 },
  { type: 'bot_click', label: 'Bot click', points: 0 },
  { type: 'email_open', label: 'Email opened', points: 0 },
  { type: 'page_view', label: 'Page view', points: 0 },
  { type: 'member_joined', label: 'Member joined', points: 0 },
  { type: 'member_activated', label: 'Member activated (first share)', points: 0 },
  { type: 'suggestion_approved', label: 'Suggestion approved', points: 5 }
]

/** Built-in events analytics stores in analytics_event itself (clicks and shares stay in sharing's tables). */
const OWN_EVENTS = new Set(['email_open', 'page_view', 'member_joined', 'member_activated', 'suggestion_approved'])

const ACTIVITY_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/

export interface RecordInput {
  tenantId: string
  type: string
  memberId?: string | null
  postId?: string | null
  network?: string | null
  subject?: string | null
  at?: Date
}

/** A member's figures over some days, as their stats page counts them. */
export interface MemberSummary {
  shares: number
  clicks: number
  uniqueClicks: number
  points: number
}

/** Analytics' declared door for other plugins: `app.analytics`. */
export interface AnalyticsDoor {
  /** A web beacon's path, `/b/<token>.gif`; the token is signed and carries everything the beacon records. */
  beaconUrl(claims: BeaconClaims): string
  /** Appends an event with `em` (inside the caller's transaction when there is one). */
  record(em: EntityManager, input: RecordInput): Promise<void>
  /** Declares a custom activity (e.g. `poll.answered`): `record` accepts it, rollups count it, points may reward it. */
  defineActivity(definition: { type: string; label: string; points?: number }): void
  /** Built-in and custom activities with their default points. */
  activities(): ActivityDefinition[]
  /** Recomputes daily counters for a day range (default yesterday and today, every instance). */
  rollup(em?: EntityManager, range?: RollupRange): Promise<RollupResult>
  /** Resolves when every beacon hit and request-log row received so far is stored. */
  drain(): Promise<void>
  /** Whether the instance counts web beacons (email opens, page views): its analytics settings. */
  beaconsOn(em: EntityManager, tenantId: string): Promise<boolean>
  /**
   * Shares, clicks, unique visitors and points per member over UTC days `from`..`to` (both included),
   * read from the daily counters with the instance's points. Members with nothing are absent.
   */
  summary(em: EntityManager, input: { tenantId: string; memberIds?: readonly string[]; from: string; to: string }): Promise<Map<string, MemberSummary>>
}

declare module 'fastify' {
  interface FastifyInstance {
    analytics: AnalyticsDoor
  }
}

/** A stable id for "member X activated": the primary key makes a second activation impossible. */
export const activationId = (tenantId: string, memberId: string) => {
  const hex = createHash('sha256').update(`activated\u0000${tenantId}\u0000${memberId}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export function analyticsDoor(app: FastifyInstance, ctx: PluginContext<any>, tokens: ReturnType<typeof beaconTokens>, drains: (() => Promise<void>)[]): AnalyticsDoor {
  const custom = new Map<string, ActivityDefinition>()
  const known = (type: string) => OWN_EVENTS.has(type) || custom.has(type)
  const door: AnalyticsDoor = {
    beaconUrl: (claims) => `/b/${tokens.seal(claims)}.gif`,
    async record(em, input) {
      if (!known(input.type)) throw new InvalidInputError(`analytics: unknown activity '${input.type}' (declare it with defineActivity)`)
      await em.insert(
        AnalyticsEvent,
        { id: randomUUID(), tenantId: input.tenantId, at: input.at ?? new Date(), type: input.type, postId: input.postId ?? null, memberId: input.memberId ?? null, network: input.network ?? null, subject: input.subject?.slice(0, 200) ?? null }
      )
    },
    defineActivity({ type, label, points = 0 }) {
      if (!ACTIVITY_TYPE.test(type) || type.length > 60) throw new Error(`analytics: activity type '${type}' must look like 'poll.answered'`)
      if (BUILT_IN_ACTIVITIES.some((activity) => activity.type === type) || custom.has(type)) throw new Error(`analytics: activity '${type}' is already declared`)
      if (!Number.isInteger(points) || points < 0) throw new Error(`analytics: points of '${type}' must be a whole number ≥ 0`)
      custom.set(type, { type, label, points, builtIn: false })
    },
    activities: () => [...BUILT_IN_ACTIVITIES.map((activity) => ({ ...activity, builtIn: true })), ...custom.values()],
    rollup: (em, range) =>
      rollupRange(em ?? ctx.orm.em.fork(), ctx.settings.dialect, (tx, span) => app.sharing.activity(tx, span), range, async (scoped, ids) => new Set((await app.auth.members(scoped, ids)).keys())),
    async drain() {
      for (const drain of drains) await drain()
    },
    beaconsOn: async (em, tenantId) => (await settingsOf(em, tenantId)).beacons,
    async summary(em, { tenantId, memberIds, from, to }) {
      if (!isDay(from) || !isDay(to) || from > to) throw new InvalidInputError(`analytics: summary needs days from ≤ to (YYYY-MM-DD), not '${from}'..'${to}'`)
      const range = { from, to }
      const points = effectivePoints(app, (await settingsOf(em, tenantId)).points)
      // Two grouped reads for the whole instance, whatever the number of members asked about.
      const [figures, earned] = await Promise.all([breakdown(em, tenantId, range, 'member_id', { limit: null }), pointsByMember(em, tenantId, range, points)])
      const wanted = memberIds ? new Set(memberIds) : null
      const summaries = new Map<string, MemberSummary>()
      const entry = (memberId: string) => summaries.get(memberId) ?? summaries.set(memberId, { shares: 0, clicks: 0, uniqueClicks: 0, points: 0 }).get(memberId)!
      for (const row of figures) if (!wanted || wanted.has(row.key)) Object.assign(entry(row.key), { shares: row.shares, clicks: row.clicks, uniqueClicks: row.uniqueClicks })
      for (const row of earned) if (!wanted || wanted.has(row.memberId)) entry(row.memberId).points = row.points
      return summaries
    }
  }
  app.decorate('analytics', door)
  return door
}
