import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { EntityManager } from '@mikro-orm/core'
import { appliedMigrations, migrate } from '../db/migrations.js'
import { appVersion, ArchiveError, ARCHIVE_FORMAT, ARCHIVE_PRODUCT, fileEntry, openArchive, tableEntry, writeArchive, type ArchiveManifest } from './archive.js'
import { dataFiles, existingFiles, sqliteFiles } from './data-files.js'
import { currentMigrations, dumpTables, inSnapshot, loadEntries, matchTables, withScratch, type OpsHost } from './dump.js'
import { countRows, HOUSEKEEPING_TABLES } from './tables.js'

export interface ArchiveSummary {
  file: string
  tables: number
  rows: number
  files: number
  bytes: number
}

const ownerOf = (migration: string) => migration.slice(0, migration.indexOf('/'))

/**
 * Writes the manifest, table dumps and files as one archive. It is written under a temporary name
 * and renamed when complete, so `out` is either the whole archive or absent, never half of one.
 */
export async function packArchive(
  out: string,
  manifest: ArchiveManifest,
  tables: { table: string; path: string; bytes: number; rows: number }[],
  files: { path: string; absolute: string; bytes: number }[],
  replace: boolean
): Promise<ArchiveSummary> {
  const partial = `${out}.partial-${randomBytes(4).toString('hex')}`
  mkdirSync(dirname(out), { recursive: true })
  try {
    await writeArchive(partial, manifest, [
      ...tables.map((table) => ({ name: tableEntry(table.table), path: table.path, bytes: table.bytes })),
      ...files.map((file) => ({ name: fileEntry(file.path), path: file.absolute, bytes: file.bytes }))
    ])
    if (existsSync(out) && !replace) throw new ArchiveError(`${out} appeared while the archive was written; nothing replaced`)
    renameSync(partial, out)
  } finally {
    rmSync(partial, { force: true })
  }
  return { file: out, tables: tables.length, rows: tables.reduce((sum, table) => sum + table.rows, 0), files: files.length, bytes: statSync(out).size }
}

/**
 * `kaiku backup`: every table of every loaded plugin, read in one snapshot (the server may keep
 * running), as JSON lines that either database can load, plus the uploaded files of the data folder.
 */
export async function createBackup(host: OpsHost, out: string, options: { replace?: boolean } = {}): Promise<ArchiveSummary> {
  const target = resolve(out)
  if (existsSync(target) && !options.replace) throw new ArchiveError(`${target} exists; choose another file name (or --force to replace it)`)
  const migrations = await currentMigrations(host)
  return withScratch(async (scratch) => {
    const tables = await inSnapshot(host, (em) => dumpTables(em, host.specs, scratch, () => ({})))
    const database = host.dialect === 'sqlite' ? sqliteFiles(String(host.orm.config.get('dbName'))) : []
    const files = await dataFiles(host.dataDir, [...database, target])
    const manifest: ArchiveManifest = {
      product: ARCHIVE_PRODUCT,
      format: ARCHIVE_FORMAT,
      kind: 'backup',
      appVersion: appVersion(),
      createdAt: new Date().toISOString(),
      dialect: host.dialect,
      migrations,
      plugins: host.owners.filter((owner) => owner !== 'core'),
      tables: tables.map(({ entity, table, owner, rows, sha256 }) => ({ entity, table, owner, rows, sha256 })),
      files: files.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 }))
    }
    return packArchive(target, manifest, tables, files, Boolean(options.replace))
  })
}

/** Refuses an installation with data in it; core's housekeeping (sessions, counters, schedules, jobs) does not count. */
async function refuseUsed(em: EntityManager, host: OpsHost): Promise<void> {
  const used: string[] = []
  for (const spec of host.specs) {
    if (!HOUSEKEEPING_TABLES.has(spec.meta.tableName) && (await countRows(em, spec)) > 0) used.push(spec.meta.tableName)
  }
  if (used.length > 0) {
    throw new ArchiveError(`this installation is not empty (${used.slice(0, 3).join(', ')}${used.length > 3 ? ', …' : ''} hold data); restore only into an empty one, or add --force to replace everything in it`)
  }
}

/**
 * The database must be at the backup's version: an empty database is first migrated to exactly the
 * backup's migrations (and to the rest after the data is in); a database already migrated must have
 * the same migrations as the backup for every owner the backup has data of.
 */
async function prepareSchema(host: OpsHost, manifest: ArchiveManifest): Promise<string[]> {
  const foreign = [...new Set(manifest.migrations.map(ownerOf).filter((owner) => !host.owners.includes(owner)))]
  if (foreign.length > 0) {
    throw new ArchiveError(`the backup holds data of ${foreign.join(', ')}, which this installation does not run; load the same plugins (KAIKU_PLUGINS) as where it was made`)
  }
  const known = new Set(host.known)
  const newer = manifest.migrations.filter((name) => !known.has(name))
  if (newer.length > 0) throw new ArchiveError(`the backup was made by a newer version of Kaiku (its migration ${newer[0]} is unknown here); upgrade Kaiku first`)
  const applied = await appliedMigrations(host.orm)
  if (applied.length === 0) {
    await migrate(host.orm, host.dialect, { ...host.migrateOptions, only: host.known.filter((name) => manifest.migrations.includes(name)) })
    return host.known.filter((name) => !manifest.migrations.includes(name))
  }
  const owners = new Set(manifest.migrations.map(ownerOf))
  const here = applied.filter((name) => owners.has(ownerOf(name)))
  if (here.length !== manifest.migrations.length || here.some((name) => !manifest.migrations.includes(name))) {
    throw new ArchiveError(
      `this database is at another version than the backup (${here.length} migrations here, ${manifest.migrations.length} in the backup). ` +
        'Restore into a new, empty database (a new SQLite file or PostgreSQL database, or a new volume): restore then brings it to the backup\'s version, loads the data and applies the newer migrations'
    )
  }
  return []
}

/**
 * A forced restore makes the installation a copy of the backup; uploads the backup does not have
 * belonged to rows that are gone. They are moved aside into `backups/replaced-<time>/`, not deleted.
 */
async function setAsideOtherFiles(host: OpsHost, manifest: ArchiveManifest): Promise<void> {
  const kept = new Set(manifest.files.map((file) => file.path))
  const database = host.dialect === 'sqlite' ? sqliteFiles(String(host.orm.config.get('dbName'))) : []
  const aside = join(host.dataDir, 'backups', `replaced-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`)
  for (const file of await dataFiles(host.dataDir, database)) {
    if (kept.has(file.path)) continue
    const target = join(aside, ...file.path.split('/'))
    mkdirSync(dirname(target), { recursive: true })
    renameSync(file.absolute, target)
  }
}

/**
 * `kaiku restore`: loads a backup into an empty installation (or, with `force`, replaces everything in
 * this one, rows and uploads). All rows go in within one transaction and files are moved into place only after it
 * commits: a refused or damaged archive changes nothing.
 */
export async function restoreBackup(host: OpsHost, input: string, options: { force?: boolean } = {}): Promise<ArchiveSummary> {
  const archive = await openArchive(resolve(input))
  try {
    const { manifest } = archive
    if (manifest.kind !== 'backup') throw new ArchiveError('this archive is an export of one company instance; bring it in with `kaiku import-tenant`')
    matchTables(host, manifest)
    const later = await prepareSchema(host, manifest)
    if (!options.force) await refuseUsed(host.orm.em.fork(), host)
    const clashing = existingFiles(host.dataDir, manifest.files.map((file) => file.path))
    if (clashing.length > 0 && !options.force) {
      throw new ArchiveError(`the data folder already has ${clashing[0]}${clashing.length > 1 ? ` and ${clashing.length - 1} more of the backup's files` : ''}; restore into an empty installation, or add --force to replace them`)
    }
    let staged: Awaited<ReturnType<typeof loadEntries>> | undefined
    await host.orm.em.fork().transactional(async (em) => {
      // Again inside the transaction: a server may have written since the first look.
      if (!options.force) await refuseUsed(em, host)
      for (const spec of [...host.specs].reverse()) {
        if (options.force || HOUSEKEEPING_TABLES.has(spec.meta.tableName)) await em.nativeDelete(spec.meta.class, {}, { filters: false })
      }
      staged = await loadEntries(em, host, manifest, archive.entries)
    }).catch((error: unknown) => {
      staged?.discard()
      throw error
    })
    if (options.force) await setAsideOtherFiles(host, manifest)
    const files = staged!.commit()
    if (later.length > 0) await migrate(host.orm, host.dialect, host.migrateOptions)
    return { file: resolve(input), tables: manifest.tables.length, rows: manifest.tables.reduce((sum, table) => sum + table.rows, 0), files, bytes: statSync(resolve(input)).size }
  } finally {
    archive.close()
  }
}
