import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import type { PluginContext } from '../../../core/api.js'
import { AnalyticsForgotten } from '../entities/forgotten.entity.js'
import { addDays, dayOf, startOf } from '../lib/days.js'
import { withSummaries } from './summaries.js'

export type Dialect = PluginContext['settings']['dialect']

/** What sharing's door (`app.sharing.activity`) answers per tenant, UTC day, post, member and network. */
export type SharingActivity = Awaited<ReturnType<FastifyInstance['sharing']['activity']>>[number]

/** The daily counters that come from sharing's tables (through its door) rather than analytics_event. */
export const SHARING_EVENTS = ['share', 'click', 'unique_click', 'bot_click'] as const

/** Where a rollup reads: analytics' own raw events, sharing's shares and clicks, or both. */
export type RollupSource = 'events' | 'sharing'

export interface RollupRange {
  tenantId?: string
  /** First day, `YYYY-MM-DD` (default: yesterday, UTC). */
  from?: string
  /** Day after the last one (default: tomorrow, so today is included). */
  to?: string
  sources?: RollupSource[]
}

export interface RollupResult {
  from: string
  to: string
  deleted: number
  inserted: number
}

const INSERT_CHUNK = 2000

/** Members per query when asking which still exist. */
const MEMBERS_CHUNK = 500

/**
 * PostgreSQL: an advisory lock a rollup's write transaction holds exclusively, and each erasure's
 * analytics part shared, so that no erasure commits between the rollup's look at `analytics_forgotten`
 * and its commit (erasures do not wait for each other on it). SQLite runs one transaction at a time.
 */
const FORGET_LOCK = 7_142_650_001

/** Clocks of several servers may differ by this much: a rollup looks for erasures from this long before it counted. */
const CLOCK_SLACK_MS = 10_000

/**
 * Records, in the transaction of `em` that erases or anonymises a member of `tenantId`, that it
 * happened now. A rollup that counted sharing's activity before it counts that instance again.
 */
export async function markForgotten(em: EntityManager, dialect: Dialect, tenantId: string): Promise<void> {
  if (dialect === 'postgresql') await em.getConnection().execute('select pg_advisory_xact_lock_shared(?)', [FORGET_LOCK], 'all', em.getTransactionContext())
  await em.upsert(AnalyticsForgotten, { tenantId, at: new Date() })
}

/** Instances (of `tenantId`, or all) where a member was erased or anonymised since `since`. */
async function forgottenSince(em: EntityManager, dialect: Dialect, since: Date, tenantId?: string): Promise<string[]> {
  if (dialect === 'postgresql') await em.getConnection().execute('select pg_advisory_xact_lock(?)', [FORGET_LOCK], 'all', em.getTransactionContext())
  const rows = await em.find(AnalyticsForgotten, { at: { $gte: since }, ...(tenantId ? { tenantId } : {}) }, { filters: false, fields: ['tenantId'] })
  return rows.map((row) => row.tenantId)
}

/** Which of the members the groups name no longer exist (as `tenant|member`), asked per instance through `em`. */
async function vanished(em: EntityManager, groups: SharingActivity[], members: (em: EntityManager, ids: string[]) => Promise<Set<string>>): Promise<Set<string>> {
  const byTenant = new Map<string, Set<string>>()
  for (const group of groups) if (group.memberId) byTenant.set(group.tenantId, (byTenant.get(group.tenantId) ?? new Set()).add(group.memberId))
  const gone = new Set<string>()
  for (const [tenantId, ids] of byTenant) {
    // The fork keeps the transaction (on SQLite another connection would wait for it).
    const scoped = em.fork({ keepTransactionContext: true })
    scoped.setFilterParams('tenant', { tenantId })
    const all = [...ids]
    for (let start = 0; start < all.length; start += MEMBERS_CHUNK) {
      const chunk = all.slice(start, start + MEMBERS_CHUNK)
      const found = await members(scoped, chunk)
      for (const id of chunk) if (!found.has(id)) gone.add(`${tenantId}|${id}`)
    }
  }
  return gone
}

/**
 * The groups of members in `vanished` count for nobody (member ''), merged with nobody's group of
 * the same day, post and network, as an erasure merges her daily counters.
 */
function forNobody(groups: SharingActivity[], vanished: Set<string>): SharingActivity[] {
  if (vanished.size === 0) return groups
  const merged = new Map<string, SharingActivity>()
  for (const group of groups) {
    const memberId = vanished.has(`${group.tenantId}|${group.memberId}`) ? '' : group.memberId
    const key = `${group.tenantId}|${group.day}|${group.postId}|${memberId}|${group.network}`
    const into = merged.get(key)
    if (!into) merged.set(key, { ...group, memberId })
    else {
      into.shares += group.shares
      into.clicks += group.clicks
      into.uniqueClicks += group.uniqueClicks
      into.botClicks += group.botClicks
    }
  }
  return [...merged.values()]
}

/** The UTC day of a timestamp column in each dialect (SQLite keeps epoch milliseconds). */
const dayExpression = (dialect: Dialect, column: string) =>
  dialect === 'postgresql' ? `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')` : `strftime('%Y-%m-%d', ${column} / 1000, 'unixepoch')`

const newId = (dialect: Dialect) => (dialect === 'postgresql' ? 'gen_random_uuid()::text' : 'lower(hex(randomblob(16)))')

/**
 * Recomputes the daily counters of a day range from raw data, set-based. Sharing's activity is
 * grouped by the database behind its door first; then in one transaction the range's counters are
 * deleted, analytics' own events are counted by one INSERT … SELECT … GROUP BY, and sharing's activity
 * is inserted in multi-row batches. Instances where a member was erased or anonymised after that
 * first count are counted again inside the transaction.
 * The summaries (monthly, all-time, the instance's days) follow in the same transaction. Running
 * it twice gives the same rows; readers see the old counters or the new ones, never a mix.
 */
export async function rollupRange(
  em: EntityManager,
  dialect: Dialect,
  activity: (em: EntityManager, range: { from: Date; to: Date; tenantId?: string }) => Promise<SharingActivity[]>,
  range: RollupRange = {},
  members?: (em: EntityManager, ids: string[]) => Promise<Set<string>>
): Promise<RollupResult> {
  const today = dayOf(new Date())
  const from = range.from ?? addDays(today, -1)
  const to = range.to ?? addDays(today, 1)
  const sources = range.sources ?? ['events', 'sharing']
  const result: RollupResult = { from, to, deleted: 0, inserted: 0 }
  if (from >= to) return result
  const tenant = range.tenantId ? ' and tenant_id = ?' : ''
  const tenantParams = range.tenantId ? [range.tenantId] : []
  const sharingList = SHARING_EVENTS.map((event) => `'${event}'`).join(', ')
  const sourceCondition = sources.length === 2 ? '' : sources[0] === 'sharing' ? ` and event in (${sharingList})` : ` and event not in (${sharingList})`
  // Sharing's counts are read first, outside this transaction: on SQLite a transaction holds the one
  // connection, and a day of a viral link's clicks takes seconds to count (bench/README.md, redirect
  // benchmark, eighth pass). Clicks stored meanwhile are counted by the next rollup.
  const readOutside = !em.getTransactionContext()
  const countedFrom = new Date(Date.now() - CLOCK_SLACK_MS)
  const read = sources.includes('sharing') ? await activity(em, { from: startOf(from), to: startOf(to), tenantId: range.tenantId }) : []
  await em.transactional(async (tx) => {
    let activities = read
    if (readOutside && sources.includes('sharing')) {
      // A member erased or anonymised since that read must not come back in the counters: the
      // instances where it happened are counted again here, where her erasure has committed or
      // waits for this transaction. Groups of members who no longer exist (by any way) count for
      // nobody, as her erasure made her counters do (`members` answers which ids exist, per instance).
      const again = await forgottenSince(tx, dialect, countedFrom, range.tenantId)
      if (again.length > 0) {
        activities = activities.filter((group) => !again.includes(group.tenantId))
        for (const tenantId of again) activities.push(...(await activity(tx, { from: startOf(from), to: startOf(to), tenantId })))
      }
      if (members) activities = forNobody(activities, await vanished(tx, activities, members))
    }
    await withSummaries(tx, { from, to, tenantId: range.tenantId }, async () => {
      const connection = tx.getConnection()
      const transaction = tx.getTransactionContext()
      const run = <T>(sql: string, params: unknown[], kind: 'all' | 'run' = 'run') => connection.execute<T>(sql, params, kind, transaction)
      const deleted = await run<{ affectedRows: number }>(`delete from analytics_daily where day >= ? and day < ?${tenant}${sourceCondition}`, [from, to, ...tenantParams])
      result.deleted = deleted.affectedRows ?? 0
      const platform = tx.getPlatform()
      const fromAt = platform.processDateProperty(startOf(from))
      const toAt = platform.processDateProperty(startOf(to))
      if (sources.includes('events')) {
        const inserted = await run<{ affectedRows: number }>(
          `insert into analytics_daily (id, tenant_id, day, post_id, member_id, network, event, count)
           select ${newId(dialect)}, tenant_id, day, post_id, member_id, network, type, n from (
             select tenant_id, ${dayExpression(dialect, 'at')} as day, coalesce(post_id, '') as post_id, coalesce(member_id, '') as member_id, coalesce(network, '') as network, type, count(*) as n
             from analytics_event where at >= ? and at < ?${tenant}
             group by tenant_id, ${dayExpression(dialect, 'at')}, coalesce(post_id, ''), coalesce(member_id, ''), coalesce(network, ''), type) e`,
          [fromAt, toAt, ...tenantParams]
        )
        result.inserted += inserted.affectedRows ?? 0
      }
      if (sources.includes('sharing')) {
        const rows = activities.flatMap((group) =>
          (
            [
              ['share', group.shares],
              ['click', group.clicks],
              ['unique_click', group.uniqueClicks],
              ['bot_click', group.botClicks]
            ] as const
          )
            .filter(([, count]) => count > 0)
            .map(([event, count]) => [group.tenantId, group.day, group.postId, group.memberId, group.network, event, count])
        )
        const unpack =
          dialect === 'postgresql'
            ? `select ${newId(dialect)}, r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, (r->>6)::integer from json_array_elements(?::json) r`
            : `select ${newId(dialect)}, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6 from json_each(?)`
        for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
          await run(`insert into analytics_daily (id, tenant_id, day, post_id, member_id, network, event, count) ${unpack}`, [JSON.stringify(rows.slice(start, start + INSERT_CHUNK))])
        }
        result.inserted += rows.length
      }
    })
  })
  return result
}
