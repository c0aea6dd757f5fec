import { createHash, randomUUID } from 'node:crypto'
import type { EntitySchema, MikroORM } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'

type Dialect = 'sqlite' | 'postgresql'

/** The parts of the sqlite3 driver's connection and statement a batch uses. */
interface SqliteStatement {
  run(rows: string, done: (error: Error | null) => void): void
  finalize(done: (error?: Error | null) => void): void
}
interface SqliteConnection {
  prepare(sql: string, done: (error: Error | null) => void): SqliteStatement
}

/** The part of the pg driver's client a batch uses. */
interface PostgresConnection {
  query(query: { name?: string; text: string; values: unknown[] }): Promise<unknown>
}

/** At most this many rows per INSERT (one JSON parameter of a few hundred kB). */
const BATCH_MAX = 1000

export interface BatchWriterOptions<Row> {
  /**
   * An SQL condition on the unpacked row (alias `r`, column names) that rows must meet to be stored,
   * evaluated by the database in the same statement (a tenant's beacons switched off, say).
   */
  keep?: string
  /** The new row's id (default: a random UUID); e.g. time-ordered ids for rows that arrive in time order. */
  id?: (row: Row) => string
  /**
   * Columns the database computes as it stores the batch, by field: an SQL expression on the unpacked
   * row (alias `r`, column names) that replaces the value handed in, such as a value read from another
   * row at that moment instead of one a cache held.
   */
  computed?: Partial<Record<keyof Row & string, string>>
  /**
   * Fields read from another entity's row as the batch is stored, instead of travelling with it: the
   * row whose primary key is the value of field `by`, and per field of this writer's rows, the field
   * of that row it takes. A row whose other row does not exist is not stored (a click on a link that
   * is gone, say). Fewer values travel, and each row's JSON is shorter, which SQLite reads once per
   * column (it has no cache of parsed JSON before 3.45). PostgreSQL looks each row up by its key,
   * whatever its planner guesses of a batch's size (a guessed 100 rows made it scan 10,000 links).
   */
  joined?: { entity: EntitySchema<any, any>; by: keyof Row & string; columns: Partial<Record<keyof Row & string, string>> }
  /** Told once per failed batch of the rows handed in with `add` (nobody waits for those). */
  failed?: (error: unknown, rows: number) => void
  /**
   * Milliseconds rows handed in with `add` may wait for company (default 0: at once). A quiet server
   * then stores, say, its request log once a second instead of once per request, and a busy one
   * writes full batches instead of whatever arrived while the last one was written. A batch is
   * written without waiting as soon as it is full, holds a row of `write`, or `drain` is called.
   */
  lingerMs?: number
  /**
   * SQLite: milliseconds an idle writer keeps its INSERT prepared (default 1000). A busy writer is
   * idle for a moment between many of its batches (the rows of the last one answered, the next not
   * yet arrived): preparing again after each such moment cost a prepare and a finalize for four
   * batches in ten under load. `drain` finalizes it at once.
   */
  preparedIdleMs?: number
}

/**
 * Group commit for append-only rows (clicks, beacon events, the request log): a row joins the batch
 * being formed, and one multi-row INSERT stores a batch while the next one forms. So a burst costs a
 * few inserts instead of one transaction per row, and no counter row is updated per event (which would
 * serialise a hot key). One batch at a time is enough: SQLite has a single connection, and on
 * PostgreSQL several batches committing at once measured no faster (bench/README.md).
 *
 * The statement is the same text whatever the batch size: rows travel as one JSON parameter that the
 * database unpacks (cheap to parse, nothing built per row, no limit on bound values near): a JSON
 * array per row, its values in column order. SQLite reads them as they are (dates as the epoch
 * milliseconds it keeps); PostgreSQL casts each to its column's type.
 */
export class BatchWriter<Row extends Record<string, unknown>> {
  /**
   * Rows to store; `resolve` and `reject` are set for rows handed in with `write`, whose caller
   * waits (the promise's own functions: no closure is made per row).
   */
  private pending: { row: Row; resolve?: () => void; reject?: (error: unknown) => void }[] = []
  /** Rows in `pending` handed in with `write`: their batch never lingers. */
  private waiting = 0
  /** Calls of `drain` in progress: nothing lingers meanwhile. */
  private flushing = 0
  private running: Promise<void> | null = null
  private writing = 0
  private lingering: NodeJS.Timeout | null = null
  private readonly lingerMs: number
  private readonly statement: { sql: string; encode(rows: Row[]): string; name?: string }
  private readonly failed: BatchWriterOptions<Row>['failed']
  private readonly dialect: Dialect
  /** SQLite: the INSERT prepared on the pool's connection, kept while batches follow each other. */
  private prepared: { connection: SqliteConnection; statement: SqliteStatement } | undefined
  private readonly preparedIdleMs: number
  /** When the last batch ended, and the timer that finalizes the statement once idle long enough. */
  private idleSince = 0
  private idleTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly orm: MikroORM,
    dialect: Dialect,
    entity: EntitySchema<any, any>,
    fields: readonly (keyof Row & string)[],
    options: BatchWriterOptions<Row> = {}
  ) {
    const { keep, id = () => randomUUID() } = options
    this.failed = options.failed
    this.dialect = dialect
    this.lingerMs = options.lingerMs ?? 0
    this.preparedIdleMs = options.preparedIdleMs ?? 1000
    const computed: Partial<Record<string, string>> = options.computed ?? {}
    const meta = orm.getMetadata().get(entity.meta.className)
    const joined: Partial<Record<string, string>> = { ...options.joined?.columns }
    const columnOf = (name: string) => meta.properties[name].fieldNames[0]
    let join = ''
    if (options.joined) {
      const other = orm.getMetadata().get(options.joined.entity.meta.className)
      const otherColumn = (name: string) => other.properties[name].fieldNames[0]
      const key = `l.${otherColumn(other.primaryKeys[0])} = r.${columnOf(options.joined.by)}`
      for (const [field, from] of Object.entries(joined)) joined[field] = `l.${otherColumn(from!)}`
      // A lateral subquery behind OFFSET 0 is looked up row by row with the primary key's index.
      join =
        dialect === 'sqlite'
          ? ` join ${other.tableName} l on ${key}`
          : ` cross join lateral (select ${[...new Set(Object.values(joined))].join(', ')} from ${other.tableName} l where ${key} offset 0) l`
    }
    const all = ['id', ...fields]
    const columns = all.map(columnOf)
    const storedAs = (name: string) => (joined[name] ? `${joined[name]} as ${columnOf(name)}` : computed[name] ? `${computed[name]} as ${columnOf(name)}` : `r.${columnOf(name)}`)
    const stored = all.map(storedAs).join(', ')
    // What travels: every field that is not read from a joined row.
    const sent = all.filter((name) => !joined[name])
    const dates = new Set(fields.filter((name) => meta.properties[name].type === 'datetime' || meta.properties[name].runtimeType === 'Date'))
    // One reader per value that travels, chosen once: encoding runs for every row on the main thread.
    const readers = sent.map((name): ((row: Row) => unknown) => {
      if (name === 'id') return id
      if (!dates.has(name)) return (row) => row[name] ?? null
      return dialect === 'sqlite' ? (row) => (row[name] as Date).getTime() : (row) => (row[name] as Date).toISOString()
    })
    const where = keep ? ` where ${keep}` : ''
    // Each row travels as a JSON array of its values, read by position: no key per value to write
    // and parse.
    const encode = (rows: Row[]) => JSON.stringify(rows.map((row) => readers.map((read) => read(row))))
    if (dialect === 'sqlite') {
      // Each row's array is taken out of the batch's JSON once (a materialized CTE), then each value
      // out of it: referred to directly, json_each renders the row's text again for every column.
      const unpacked = sent.map((name, i) => `v ->> ${i} as ${columnOf(name)}`).join(', ')
      this.statement = {
        sql: `with b as materialized (select value as v from json_each(?)) insert into ${meta.tableName} (${columns.join(', ')}) select ${stored} from (select ${unpacked} from b) r${join}${where}`,
        encode
      }
    } else {
      // jsonb is parsed once per batch, and each value is cast to its column's type: a quarter less
      // of the database's time per row than json_populate_recordset over JSON objects (bench/README.md,
      // redirect benchmark, ninth pass).
      const unpacked = sent.map((name, i) => `(v ->> ${i})::${meta.properties[name].columnTypes[0]} as ${columnOf(name)}`).join(', ')
      const sql = `insert into ${meta.tableName} (${columns.join(', ')}) select ${stored} from (select ${unpacked} from jsonb_array_elements($1::jsonb) v) r${join}${where}`
      this.statement = {
        sql,
        // A named statement is parsed and planned once per connection, not for every batch.
        name: `kaiku_batch_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`,
        encode
      }
    }
  }

  /** Resolves once the row's batch is stored (or rejects when that batch failed). */
  write(row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, resolve, reject })
      this.waiting += 1
      this.start()
    })
  }

  /**
   * Hands a row in without waiting for it (no promise per row): for rows whose request does not
   * wait, like a beacon hit or a request-log row. A failed batch is told to `options.failed`.
   */
  add(row: Row): void {
    this.pending.push({ row })
    if (this.running) return
    if (this.lingers()) this.linger()
    else this.start()
  }

  /** Whether the pending rows may wait for more: nobody waits for them and they fill no batch yet. */
  private lingers(): boolean {
    return this.lingerMs > 0 && this.waiting === 0 && this.flushing === 0 && this.pending.length < BATCH_MAX
  }

  private linger(): void {
    if (this.lingering) return
    this.lingering = setTimeout(() => this.start(), this.lingerMs)
    // A closing server drains its writers; the timer alone keeps no process alive.
    this.lingering.unref()
  }

  /** Writes what is pending now, unless a batch is already being written (its loop takes them next). */
  private start(): void {
    if (this.lingering) clearTimeout(this.lingering)
    this.lingering = null
    this.running ??= this.drainLoop()
  }

  /** Rows handed in and not yet stored (being formed or being written). */
  get backlog(): number {
    return this.pending.length + this.writing
  }

  /**
   * Resolves when every row handed in so far is stored or has failed, and the statement kept for the
   * next batch is finalized (before its connection is closed, say).
   */
  async drain(): Promise<void> {
    this.flushing += 1
    try {
      if (this.lingering) this.start()
      while (this.running) await this.running
      await this.unprepare()
    } finally {
      this.flushing -= 1
    }
  }

  /**
   * Writes batches while rows are pending. After the first, what arrived meanwhile is written at once
   * only when it may not linger; otherwise it waits for the linger time, as a quiet server's rows do.
   */
  private async drainLoop(): Promise<void> {
    try {
      for (let first = true; this.pending.length > 0 && (first || !this.lingers()); first = false) {
        const batch = this.pending.splice(0, BATCH_MAX)
        for (const entry of batch) if (entry.resolve) this.waiting -= 1
        this.writing = batch.length
        try {
          await this.store(this.statement.encode(batch.map((entry) => entry.row)))
          for (const entry of batch) entry.resolve?.()
        } catch (error) {
          let unheard = 0
          for (const entry of batch) {
            if (entry.reject) entry.reject(error)
            else unheard += 1
          }
          if (unheard > 0) this.failed?.(error, unheard)
        } finally {
          this.writing = 0
        }
      }
    } finally {
      this.running = null
      this.idleSince = Date.now()
      if (this.prepared) this.finalizeWhenIdle(this.preparedIdleMs)
      if (this.pending.length > 0) {
        if (this.lingers()) this.linger()
        else this.start()
      }
    }
  }

  /** Finalizes the statement kept prepared once no batch has been written for `preparedIdleMs`. */
  private finalizeWhenIdle(ms: number): void {
    if (this.idleTimer) return
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      if (!this.prepared) return
      const left = this.idleSince + this.preparedIdleMs - Date.now()
      if (this.running || left > 0) this.finalizeWhenIdle(this.running ? this.preparedIdleMs : left)
      else void this.unprepare()
    }, ms)
    // The timer alone keeps no process alive; a closing server drains its writers.
    this.idleTimer.unref()
  }

  /** One INSERT of a batch's rows (its JSON), committed on its own. */
  private async store(rows: string): Promise<void> {
    const { client } = (this.orm.em as SqlEntityManager).getKnex()
    if (this.dialect === 'sqlite') return this.storeOnSqlite(client, rows)
    // The pool's connection is used as it is (the pg driver's own client), without knex's query
    // building and events around one statement whose text never changes.
    const connection = (await client.acquireConnection()) as PostgresConnection
    try {
      await connection.query({ name: this.statement.name, text: this.statement.sql, values: [rows] })
    } finally {
      client.releaseConnection(connection)
    }
  }

  /**
   * SQLite: the pool's connection is held for the batch, as for any query (a transaction holding it
   * is waited for), and the INSERT is prepared once for batches that follow each other, instead of
   * being prepared, run and finalized for each: that is three turns of SQLite's thread per batch
   * instead of one, and knex's query building on the main thread (bench/README.md, redirect
   * benchmark). The statement is finalized once the writer has been idle for `preparedIdleMs`, or by
   * `drain`: a connection being closed must have none left open.
   */
  private async storeOnSqlite(client: { acquireConnection(): Promise<SqliteConnection>; releaseConnection(connection: SqliteConnection): unknown }, rows: string): Promise<void> {
    const connection = await client.acquireConnection()
    try {
      if (this.prepared?.connection !== connection) {
        await this.unprepare()
        const statement = await new Promise<SqliteStatement>((resolve, reject) => {
          // A statement that fails to prepare is finalized by the driver itself.
          const made = connection.prepare(this.statement.sql, (error) => (error ? reject(error) : resolve(made)))
        })
        this.prepared = { connection, statement }
      }
      const { statement } = this.prepared
      await new Promise<void>((resolve, reject) => statement.run(rows, (error) => (error ? reject(error) : resolve())))
    } catch (error) {
      // What failed is prepared again for the next batch.
      await this.unprepare()
      throw error
    } finally {
      client.releaseConnection(connection)
    }
  }

  private async unprepare(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    const prepared = this.prepared
    if (!prepared) return
    this.prepared = undefined
    await new Promise<void>((resolve) => prepared.statement.finalize(() => resolve()))
  }
}
