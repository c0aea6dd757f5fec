import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { MikroORM } from '@mikro-orm/core'
import type { Migrator } from '@mikro-orm/migrations'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import type { Dialect, NamedMigration } from './orm.js'

export interface MigrationSource {
  /** 'core' or a plugin name; it prefixes each migration's name so owners never collide. */
  owner: string
  /** Folder holding one subfolder per dialect. */
  folder: string
}

const isMigrationFile = (file: string) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts') && !file.endsWith('.test.ts')

/**
 * Loads every migration class, core's first and then each plugin's in plugin order, each owner's
 * files in name order (names start with a timestamp). This order is the order they are applied in.
 */
export async function loadMigrations(sources: MigrationSource[], dialect: Dialect): Promise<NamedMigration[]> {
  const migrations: NamedMigration[] = []
  for (const { owner, folder } of sources) {
    const dir = join(folder, dialect)
    if (!existsSync(dir)) continue
    const files = readdirSync(dir).filter(isMigrationFile).sort()
    for (const file of files) {
      const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>
      const migrationClass = Object.values(module).find((value) => typeof value === 'function')
      if (!migrationClass) throw new Error(`${owner}: migration ${file} exports no class`)
      migrations.push({ name: `${owner}/${basename(file).replace(/\.(ts|js)$/, '')}`, class: migrationClass as NamedMigration['class'] })
    }
  }
  return migrations
}

/** Raised when the database cannot be migrated by this version; the message says what to do. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MigrationError'
  }
}

export interface MigrateOptions {
  /** Core and the loaded plugins. An applied migration of one of them that this code lacks means the database is newer. */
  owners?: string[]
  /** SQLite: where a copy of the database is written before pending migrations run. */
  backupDir?: string
  /** Apply only these pending migrations (a restore first brings an empty database to its backup's level). */
  only?: string[]
}

const LOCK_KEY = 4_262_010 // arbitrary, constant: the advisory lock every Kaiku instance takes to migrate
/** Copies of an SQLite database taken before upgrades that are kept; older ones are removed. */
const SQLITE_COPIES_KEPT = 3

const ownerOf = (name: string) => name.slice(0, name.indexOf('/'))
export const knownMigrations = (orm: MikroORM): string[] =>
  (orm.config.get('migrations').migrationsList ?? []).map((m) => (m as { name: string }).name)

export async function appliedMigrations(orm: MikroORM): Promise<string[]> {
  return (await (orm.getMigrator() as Migrator).getExecutedMigrations()).map((row) => row.name)
}

/**
 * A database that has migrations of a loaded owner which this code does not know was used by a newer
 * Kaiku: starting on it could misread or damage its data. Migrations of owners that are not loaded
 * (a plugin switched off) are not a reason to refuse.
 */
function refuseNewer(applied: string[], known: string[], owners: Set<string>): void {
  const knownSet = new Set(known)
  const unknown = applied.filter((name) => owners.has(ownerOf(name)) && !knownSet.has(name))
  if (unknown.length === 0) return
  throw new MigrationError(
    `the database is newer than this version of Kaiku: it has ${unknown.length} migration(s) this version does not know (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}). ` +
      'Run the newer version again, or restore a backup taken before the upgrade (docs/upgrading.md).'
  )
}

/** `VACUUM INTO` writes a consistent copy of a live SQLite database, the one way back if an upgrade goes wrong. */
async function copySqliteDatabase(orm: MikroORM, backupDir: string): Promise<string> {
  mkdirSync(backupDir, { recursive: true })
  const file = join(backupDir, `kaiku-before-upgrade-${new Date().toISOString().replace(/\D/g, '').slice(0, 17)}.db`)
  await orm.em.getConnection().execute('vacuum into ?', [file])
  const copies = readdirSync(backupDir).filter((name) => /^kaiku-before-upgrade-\d{17}\.db$/.test(name)).sort()
  for (const old of copies.slice(0, -SQLITE_COPIES_KEPT)) rmSync(join(backupDir, old), { force: true })
  return file
}

/**
 * Applies pending migrations, all or nothing, in one transaction: a failed migration leaves the
 * database as it was. On PostgreSQL an advisory lock makes instances that start together migrate one
 * after the other, so each migration is applied once. On SQLite a copy of the database is taken
 * first (when there is anything to migrate and data to lose). Refuses a database newer than the code.
 */
export async function migrate(orm: MikroORM, dialect: Dialect, options: MigrateOptions = {}): Promise<string[]> {
  const migrator = orm.getMigrator() as Migrator
  const known = knownMigrations(orm)
  const owners = new Set(options.owners ?? ['core', ...known.map(ownerOf)])
  if (dialect === 'sqlite') {
    const applied = await appliedMigrations(orm)
    refuseNewer(applied, known, owners)
    const pending = await pendingMigrations(orm)
    if (pending.length > 0 && applied.length > 0 && options.backupDir) await copySqliteDatabase(orm, options.backupDir)
    return (await migrator.up(options.only ? { migrations: options.only } : undefined)).map((m) => m.name)
  }
  const knex = (orm.em as SqlEntityManager).getKnex()
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [LOCK_KEY])
    // Read under the lock: an instance that migrated first has committed by the time we get it.
    refuseNewer(await appliedMigrations(orm), known, owners)
    return (await migrator.up({ transaction: trx, ...(options.only ? { migrations: options.only } : {}) })).map((m) => m.name)
  })
}

export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  return (await (orm.getMigrator() as Migrator).getPendingMigrations()).map((m) => m.name)
}
