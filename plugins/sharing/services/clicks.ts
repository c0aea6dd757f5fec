import { randomBytes, randomUUID } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'
import type { PluginContext } from '../../../core/api.js'
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

type Dialect = PluginContext['settings']['dialect']

const DAY_MS = 86_400_000

/** At most this many clicks per INSERT: a batch this big is one JSON parameter of a few hundred kB. */
const BATCH_MAX = 1000

/** A click's values, in the order they follow its new id in a batch's rows. */
const FIELDS = ['tenantId', 'linkId', 'postId', 'memberId', 'network', 'at', 'ipNet', 'agent', 'referrerHost', 'visitorKey', 'bot'] as const satisfies readonly (keyof ClickRow)[]

/**
 * Group commit for clicks. A request's click joins the batch being formed and the request waits until
 * that batch has committed; while one batch commits, the next one forms. So a burst of clicks costs a
 * few multi-row inserts instead of one transaction each, no click is answered before it is stored, and
 * no counter row is updated per click (which would serialise a viral link). One batch at a time is
 * enough: SQLite has a single connection, and on PostgreSQL two or four batches committing at once
 * measured no faster (bench/README.md).
 */
export class ClickRecorder {
  private pending: { row: ClickRow; done: (error?: unknown) => void }[] = []
  private running: Promise<void> | null = null
  private readonly statement: ReturnType<typeof batchStatement>

  constructor(
    private readonly orm: MikroORM,
    dialect: Dialect
  ) {
    this.statement = batchStatement(orm, dialect)
  }

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
    await (this.orm.em as SqlEntityManager).getKnex().raw(this.statement.sql, [this.statement.encode(rows)])
  }
}

/**
 * A UUIDv7 (RFC 9562): the time in its first 48 bits, then random bits. Clicks arrive in time order,
 * so their ids extend the primary key's index at its end instead of touching a random page per row,
 * which halves what a batch costs SQLite to write.
 */
function timeOrderedId(at: Date): string {
  const time = at.getTime().toString(16).padStart(12, '0')
  const random = randomUUID()
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`
}

/**
 * One INSERT for a batch of any size: the rows travel as a single JSON parameter and the database
 * unpacks them, so the statement is the same text every time (cheap to parse, nothing to build per
 * row) and no batch comes near a limit on bound values. SQLite reads each row from a JSON array
 * (dates as the epoch milliseconds it keeps); PostgreSQL turns JSON objects into rows of the table's
 * own type, converting every column in one built-in function.
 */
function batchStatement(orm: MikroORM, dialect: Dialect): { sql: string; encode(rows: ClickRow[]): string } {
  const meta = orm.getMetadata().get(Click.meta.className)
  const columns = ['id', ...FIELDS].map((field) => meta.properties[field].fieldNames[0])
  const values = (row: ClickRow, at: unknown) => [timeOrderedId(row.at), ...FIELDS.map((field) => (field === 'at' ? at : row[field]))]
  if (dialect === 'sqlite') {
    return {
      sql: `insert into ${meta.tableName} (${columns.join(', ')}) select ${columns.map((_, i) => `value ->> ${i}`).join(', ')} from json_each(?)`,
      encode: (rows) => JSON.stringify(rows.map((row) => values(row, row.at.getTime())))
    }
  }
  return {
    sql: `insert into ${meta.tableName} (${columns.join(', ')}) select ${columns.join(', ')} from json_populate_recordset(null::${meta.tableName}, ?::json)`,
    encode: (rows) =>
      JSON.stringify(
        rows.map((row) => {
          const record: Record<string, unknown> = {}
          values(row, row.at).forEach((value, i) => (record[columns[i]] = value))
          return record
        })
      )
  }
}

/**
 * Today's salt for visitor keys (UTC day). The first instance to need it makes it; every instance
 * reads the same one. Salts older than yesterday are deleted, so old keys cannot be recomputed.
 */
export class SaltKeeper {
  /** The current day's salt, as a promise so that the requests of the day's first moment share one read. */
  private current: { from: number; until: number; salt: Promise<string> } | undefined

  constructor(private readonly orm: MikroORM) {}

  today(now = new Date()): Promise<string> {
    const time = now.getTime()
    if (this.current && time >= this.current.from && time < this.current.until) return this.current.salt
    const from = time - (time % DAY_MS)
    const salt = this.saltOf(new Date(from).toISOString().slice(0, 10))
    const current = { from, until: from + DAY_MS, salt }
    this.current = current
    // A failed read is not remembered: the next click tries again.
    salt.catch(() => {
      if (this.current === current) this.current = undefined
    })
    return salt
  }

  private async saltOf(day: string): Promise<string> {
    const em = this.orm.em.fork()
    await (em as SqlEntityManager).createQueryBuilder(VisitorSalt).insert({ day, salt: randomBytes(32).toString('hex') }).onConflict('day').ignore().execute()
    return (await em.findOneOrFail(VisitorSalt, { day })).salt
  }

  static async forgetOld(em: EntityManager, now = new Date()): Promise<number> {
    const yesterday = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10)
    return em.nativeDelete(VisitorSalt, { day: { $lt: yesterday } })
  }
}
