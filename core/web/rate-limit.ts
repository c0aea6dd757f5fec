import { defineEntity } from '@mikro-orm/core'
import type { MikroORM } from '@mikro-orm/core'
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Dialect } from '../db/orm.js'

/** One counter per key and window; shared by every instance, so a limit holds across them. */
export const RateCounter = defineEntity({
  name: 'RateCounter',
  tableName: 'kaiku_rate',
  properties: (p) => ({
    key: p.string().primary().length(255),
    count: p.integer(),
    resetAt: p.datetime().index()
  })
})

export interface RateResult {
  allowed: boolean
  count: number
  /** Seconds until the window resets (for Retry-After). */
  retryAfter: number
}

/**
 * Fixed-window counters in the database: one upsert per counted request. Used by @fastify/rate-limit
 * (per route, by address) and by plugins for their own keys (per account, per tenant).
 */
export class RateLimiter {
  constructor(
    private readonly orm: MikroORM,
    private readonly dialect: Dialect
  ) {}

  private value(date: Date): Date | number {
    return this.dialect === 'sqlite' ? date.getTime() : date
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: Date }> {
    const now = new Date()
    const reset = new Date(now.getTime() + windowMs)
    const [row] = await this.orm.em
      .fork()
      .getConnection()
      .execute<{ count: number | string; reset_at: Date | number }[]>(
        `insert into kaiku_rate (key, count, reset_at) values (?, 1, ?)
         on conflict (key) do update set
           count = case when kaiku_rate.reset_at <= ? then 1 else kaiku_rate.count + 1 end,
           reset_at = case when kaiku_rate.reset_at <= ? then ? else kaiku_rate.reset_at end
         returning count, reset_at`,
        [key.slice(0, 255), this.value(reset), this.value(now), this.value(now), this.value(reset)]
      )
    return { count: Number(row.count), resetAt: new Date(row.reset_at) }
  }

  /** Counts one attempt for `key` and says whether it is within `max` per window. */
  async consume(key: string, max: number, windowMs: number): Promise<RateResult> {
    const { count, resetAt } = await this.hit(key, windowMs)
    return { allowed: count <= max, count, retryAfter: Math.max(1, Math.ceil((resetAt.getTime() - Date.now()) / 1000)) }
  }

  async purgeExpired(): Promise<number> {
    return this.orm.em.fork().nativeDelete(RateCounter, { resetAt: { $lt: new Date() } })
  }

  /** A store class in the shape @fastify/rate-limit expects; each route's counters get the route as prefix. */
  storeClass(): FastifyRateLimitStoreCtor {
    const limiter = this
    class DatabaseRateStore {
      constructor(
        _options: object,
        private readonly prefix = 'global'
      ) {}

      incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number) {
        limiter.hit(`${this.prefix}|${key}`, timeWindow).then(
          ({ count, resetAt }) => callback(null, { current: count, ttl: Math.max(0, resetAt.getTime() - Date.now()) }),
          (error: Error) => callback(error)
        )
      }

      child(options: { routeInfo?: { method?: string | string[]; url?: string }; groupId?: string }): DatabaseRateStore {
        const route = options.routeInfo
        const prefix = options.groupId ?? (route?.url ? `${[route.method].flat().join(',')} ${route.url}` : 'global')
        return new DatabaseRateStore(options, prefix)
      }
    }
    return DatabaseRateStore as unknown as FastifyRateLimitStoreCtor
  }
}
