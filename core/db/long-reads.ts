import type { MikroORM } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'
import type { Dialect } from './orm.js'

/** The parts of the sqlite3 driver a read-only connection uses. */
interface SqliteDatabase {
  all(sql: string, params: unknown[], done: (error: Error | null, rows: unknown[]) => void): void
  exec(sql: string, done: (error: Error | null) => void): void
  close(done: (error: Error | null) => void): void
}
interface SqliteDriver {
  Database: new (file: string, mode: number, done: (error: Error | null) => void) => SqliteDatabase
  OPEN_READONLY: number
}

/**
 * Reads that may take long, such as a day's counts for a rollup or a report, made outside any
 * transaction. SQLite has one connection, and every write waits for it: a read of seconds there would
 * hold every write behind it. So on SQLite they go through a read-only connection of their own,
 * opened at the first read; WAL lets it read beside the writer, and it sees what was committed when
 * each read starts. On PostgreSQL (and an in-memory SQLite database, which no second connection can
 * see) they go through the pool.
 */
export interface LongReads {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>
  /** Closes the read-only connection, if one was opened; reads after this fail. */
  close(): Promise<void>
}

/** Long reads through the pool: PostgreSQL's, or SQLite's single connection where no other can read. */
export function pooledReads(orm: MikroORM): LongReads {
  return {
    all: <T>(sql: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(sql, params, 'all'),
    close: async () => undefined
  }
}

export function longReads(orm: MikroORM, dialect: Dialect): LongReads {
  const pooled = pooledReads(orm)
  if (dialect !== 'sqlite') return pooled
  const client = (orm.em as SqlEntityManager).getKnex().client as { driver: SqliteDriver; connectionSettings: { filename?: string } }
  const file = client.connectionSettings.filename
  if (!file || file === ':memory:') return pooled

  let opening: Promise<SqliteDatabase> | undefined
  let closed = false
  const open = () =>
    (opening ??= new Promise<SqliteDatabase>((resolve, reject) => {
      const database: SqliteDatabase = new client.driver.Database(file, client.driver.OPEN_READONLY, (error) => {
        if (error) return reject(error)
        // It waits for a checkpoint or recovery instead of failing, and it never writes.
        database.exec('PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;', (failed) => (failed ? reject(failed) : resolve(database)))
      })
    }).catch((error: unknown) => {
      // The next read tries again.
      opening = undefined
      throw error
    }))
  return {
    async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      if (closed) throw new Error('long reads: the read-only connection is closed')
      const database = await open()
      return new Promise<T[]>((resolve, reject) => database.all(sql, params, (error, rows) => (error ? reject(error) : resolve(rows as T[]))))
    },
    async close(): Promise<void> {
      closed = true
      const database = await opening?.catch(() => undefined)
      opening = undefined
      if (database) await new Promise<void>((resolve) => database.close(() => resolve()))
    }
  }
}
