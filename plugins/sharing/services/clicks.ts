import { randomBytes, randomUUID } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'
import { Click, VisitorSalt } from '../entities/sharing.entity.js'

export interface ClickRow {
  tenantId: string
  linkId: string
  postId: string
  memberId: string
  network: string
  at: Date
  ipNet: string
  agent: string
  referrerHost: string | null
  visitorKey: string
  bot: boolean
}

/** At most this many clicks per INSERT (SQLite allows 32,766 bound values; 12 columns each). */
const BATCH_MAX = 1000

/**
 * Group commit for clicks. A request's click joins the batch being formed and the request waits until
 * that batch has committed; while one batch commits, the next one forms. So a burst of clicks costs a
 * few multi-row inserts instead of one transaction each, no click is answered before it is stored, and
 * no counter row is updated per click (which would serialise a viral link).
 */
export class ClickRecorder {
  private pending: { row: ClickRow; done: (error?: unknown) => void }[] = []
  private running: Promise<void> | null = null

  constructor(private readonly orm: MikroORM) {}

  record(row: ClickRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, done: (error) => (error ? reject(error) : resolve()) })
      this.running ??= this.drainLoop()
    })
  }

  /** Resolves when every click handed in so far is stored (shutdown waits for it). */
  async drain(): Promise<void> {
    while (this.running) await this.running
  }

  private async drainLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, BATCH_MAX)
        try {
          await this.insert(batch.map((entry) => entry.row))
          for (const entry of batch) entry.done()
        } catch (error) {
          for (const entry of batch) entry.done(error)
        }
      }
    } finally {
      this.running = null
    }
  }

  private async insert(rows: ClickRow[]): Promise<void> {
    const em = this.orm.em.fork() as SqlEntityManager
    const meta = em.getMetadata().get(Click.meta.className)
    const platform = em.getPlatform()
    const column = (property: string) => meta.properties[property].fieldNames[0]
    // Written with knex directly (one multi-row INSERT), so dates are converted as the ORM would
    // (SQLite keeps them as epoch milliseconds).
    const records = rows.map((row) => {
      const record: Record<string, unknown> = { [column('id')]: randomUUID() }
      for (const [key, value] of Object.entries(row)) {
        record[column(key)] = value instanceof Date ? platform.processDateProperty(value) : value
      }
      return record
    })
    await em.getKnex().insert(records).into(meta.tableName)
  }
}

/**
 * Today's salt for visitor keys (UTC day). The first instance to need it makes it; every instance
 * reads the same one. Salts older than yesterday are deleted, so old keys cannot be recomputed.
 */
export class SaltKeeper {
  private cached: { day: string; salt: string } | undefined

  constructor(private readonly orm: MikroORM) {}

  async today(now = new Date()): Promise<string> {
    const day = now.toISOString().slice(0, 10)
    if (this.cached?.day === day) return this.cached.salt
    const em = this.orm.em.fork()
    await (em as SqlEntityManager).createQueryBuilder(VisitorSalt).insert({ day, salt: randomBytes(32).toString('hex') }).onConflict('day').ignore().execute()
    const row = await em.findOneOrFail(VisitorSalt, { day })
    this.cached = { day, salt: row.salt }
    return row.salt
  }

  static async forgetOld(em: EntityManager, now = new Date()): Promise<number> {
    const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10)
    return em.nativeDelete(VisitorSalt, { day: { $lt: yesterday } })
  }
}
