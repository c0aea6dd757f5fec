import { existsSync, readdirSync } from 'node:fs'
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

const LOCK_KEY = 4_262_010 // arbitrary, constant: the advisory lock every Kaiku instance takes to migrate

/**
 * Applies pending migrations, all or nothing. On PostgreSQL an advisory lock makes instances that
 * start together migrate one after the other, so each migration is applied once.
 */
export async function migrate(orm: MikroORM, dialect: Dialect): Promise<string[]> {
  const migrator = orm.getMigrator() as Migrator
  if (dialect === 'sqlite') return (await migrator.up()).map((m) => m.name)
  const knex = (orm.em as SqlEntityManager).getKnex()
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [LOCK_KEY])
    return (await migrator.up({ transaction: trx })).map((m) => m.name)
  })
}

export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  return (await (orm.getMigrator() as Migrator).getPendingMigrations()).map((m) => m.name)
}
