import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import type { PluginContext } from '../../core/api.js'
import { agentClass, anonymiseIp, referrerHost, type AgentClass } from './lib/visitors.js'
import { Click } from './entities/sharing.entity.js'
import { settingsOf } from './services/settings.js'

/** Shares and clicks of one day, grouped by post, member and network: what analytics rolls up. */
export interface DailyActivity {
  tenantId: string
  day: string
  postId: string
  memberId: string
  network: string
  shares: number
  clicks: number
  /** Distinct visitor keys among human clicks (bots left out). */
  uniqueClicks: number
  botClicks: number
}

/** Sharing's declared door for other plugins: `app.sharing`. */
export interface SharingDoor {
  /**
   * Activity per (tenant, UTC day, post, member, network) for days in [from, to), every instance
   * unless `tenantId` is given. Set-based: the database groups, nothing is read row by row. Outside a
   * transaction it counts through core's long reads, which on SQLite never hold the connection that
   * clicks are stored through (a day of a viral link's clicks takes seconds to count).
   */
  activity(em: EntityManager, range: { from: Date; to: Date; tenantId?: string }): Promise<DailyActivity[]>
  /** When the first share or click was made (of one instance, or of all), or null when there is none. */
  firstActivity(em: EntityManager, tenantId?: string): Promise<Date | null>
  /**
   * Deletes raw clicks made before `before`, every instance: for the retention of raw click events,
   * once their days are counted elsewhere (analytics folds them into daily counters first).
   */
  forgetClicksBefore(em: EntityManager, before: Date): Promise<number>
  /** When the oldest raw click still kept was made, or null when there is none. */
  firstClick(em: EntityManager): Promise<Date | null>
  /** The networks an instance lets its members share to (`em` scoped to that instance). */
  networks(em: EntityManager, tenantId: string): Promise<string[]>
  /** A visitor as sharing records one: the address cut to its network, the kind of browser, the referring host only. */
  visitor(request: { ip: string; userAgent?: string; referer?: string }): { ipNet: string; agent: AgentClass; referrerHost: string | null }
}

declare module 'fastify' {
  interface FastifyInstance {
    sharing: SharingDoor
  }
}

/** The UTC day of a timestamp column, as `YYYY-MM-DD`, in each dialect (SQLite keeps epoch milliseconds). */
const dayExpression = (dialect: string, column: string) =>
  dialect === 'postgresql' ? `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')` : `strftime('%Y-%m-%d', ${column} / 1000, 'unixepoch')`

interface Row {
  tenant_id: string
  day: string
  post_id: string
  member_id: string
  network: string
  n: number | string
  uniques?: number | string
  bots?: number | string
}

export function sharingDoor(app: FastifyInstance, dialect: string, db: PluginContext['db']): void {
  app.decorate('sharing', {
    async activity(em, { from, to, tenantId }) {
      const platform = em.getPlatform()
      const params = [platform.processDateProperty(from), platform.processDateProperty(to), ...(tenantId ? [tenantId] : [])]
      const tenant = tenantId ? 'and tenant_id = ?' : ''
      const keys = 'tenant_id, day, post_id, member_id, network'
      // Inside the caller's transaction when there is one (on SQLite a second connection would not see
      // what it wrote), and one query after the other: a transaction's connection runs one at a time.
      const transaction = em.getTransactionContext()
      const read = (sql: string) => (transaction ? em.getConnection().execute<Row[]>(sql, params, 'all', transaction) : db.readAll<Row>(sql, params))
      const clicks = await read(
        `select ${keys}, sum(case when bot then 0 else 1 end) as n, count(distinct case when bot then null else visitor_key end) as uniques, sum(case when bot then 1 else 0 end) as bots
         from (select tenant_id, ${dayExpression(dialect, 'at')} as day, post_id, member_id, network, bot, visitor_key from sharing_click where at >= ? and at < ? ${tenant}) c
         group by ${keys}`
      )
      const shares = await read(
        `select ${keys}, count(*) as n
         from (select tenant_id, ${dayExpression(dialect, 'created_at')} as day, post_id, member_id, network from sharing_share where created_at >= ? and created_at < ? ${tenant}) s
         group by ${keys}`
      )
      const groups = new Map<string, DailyActivity>()
      const group = (row: Row) => {
        const key = `${row.tenant_id}|${row.day}|${row.post_id}|${row.member_id}|${row.network}`
        let entry = groups.get(key)
        if (!entry) {
          entry = { tenantId: row.tenant_id, day: row.day, postId: row.post_id, memberId: row.member_id, network: row.network, shares: 0, clicks: 0, uniqueClicks: 0, botClicks: 0 }
          groups.set(key, entry)
        }
        return entry
      }
      for (const row of clicks) Object.assign(group(row), { clicks: Number(row.n), uniqueClicks: Number(row.uniques), botClicks: Number(row.bots) })
      for (const row of shares) group(row).shares = Number(row.n)
      return [...groups.values()]
    },
    async firstActivity(em, tenantId) {
      const where = tenantId ? 'where tenant_id = ?' : ''
      const params = tenantId ? [tenantId, tenantId] : []
      const [row] = await em
        .getConnection()
        .execute<{ first: number | string | Date | null }[]>(
          `select min(first) as first from (select min(created_at) as first from sharing_share ${where} union all select min(at) as first from sharing_click ${where}) f`,
          params,
          'all',
          em.getTransactionContext()
        )
      const first = row?.first
      if (first === null || first === undefined) return null
      // SQLite keeps epoch milliseconds, PostgreSQL gives a Date.
      return new Date(typeof first === 'string' && /^\d+$/.test(first) ? Number(first) : first)
    },
    async forgetClicksBefore(em, before) {
      return em.nativeDelete(Click, { at: { $lt: before } }, { filters: false })
    },
    async firstClick(em) {
      const [oldest] = await em.find(Click, {}, { filters: false, orderBy: { at: 'asc' }, fields: ['at'], limit: 1 })
      return oldest?.at ?? null
    },
    async networks(em, tenantId) {
      return (await settingsOf(em, tenantId)).networks
    },
    visitor({ ip, userAgent, referer }) {
      return { ipNet: anonymiseIp(ip), agent: agentClass(userAgent), referrerHost: referrerHost(referer) }
    }
  } satisfies SharingDoor)
}
