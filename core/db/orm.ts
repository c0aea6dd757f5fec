import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { MikroORM, type EntitySchema, type EventSubscriber, type Options } from '@mikro-orm/core'
import { Migrator, type Migration } from '@mikro-orm/migrations'
import { SqliteDriver } from '@mikro-orm/sqlite'
import { PostgreSqlDriver } from '@mikro-orm/postgresql'
import type { FastifyBaseLogger } from 'fastify'

export type Dialect = 'sqlite' | 'postgresql'

export const dialectOf = (databaseUrl: string): Dialect => (databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgresql')

export const MIGRATIONS_TABLE = 'kaiku_migrations'

export interface NamedMigration {
  name: string
  class: new (...args: any[]) => Migration
}

export interface OrmOptions {
  databaseUrl: string
  entities: EntitySchema<any, any>[]
  migrations: NamedMigration[]
  subscribers?: EventSubscriber[]
  log: FastifyBaseLogger
  cwd?: string
}

/**
 * SQLite connections get WAL (readers never wait for the writer), a busy timeout (writers queue
 * instead of failing) and foreign keys, on every connection the pool opens.
 */
const sqlitePragmas = (connection: { exec(sql: string, done: (error?: Error) => void): void }, done: (error?: Error) => void) =>
  connection.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;', (error) =>
    done(error)
  )

export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  const dialect = dialectOf(options.databaseUrl)
  const common: Options = {
    entities: options.entities,
    discovery: { requireEntitiesArray: true, warnWhenNoEntities: false },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    subscribers: options.subscribers ?? [],
    extensions: [Migrator],
    migrations: {
      tableName: MIGRATIONS_TABLE,
      migrationsList: options.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true
    },
    debug: false,
    logger: (message) => options.log.debug({ orm: true }, message)
  }
  if (dialect === 'sqlite') {
    const file = options.databaseUrl.slice('sqlite:'.length)
    const dbName = file === ':memory:' ? file : resolve(options.cwd ?? process.cwd(), file)
    if (dbName !== ':memory:') mkdirSync(dirname(dbName), { recursive: true })
    return MikroORM.init({ ...common, driver: SqliteDriver, dbName, pool: { min: 1, max: 1, afterCreate: sqlitePragmas } })
  }
  return MikroORM.init({ ...common, driver: PostgreSqlDriver, clientUrl: options.databaseUrl, pool: { min: 0, max: 10 } })
}
