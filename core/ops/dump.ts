import { createHash } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { IsolationLevel, type EntityManager, type EntitySchema, type FilterQuery, type MikroORM } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import type { Dialect } from '../db/orm.js'
import { appliedMigrations, type MigrateOptions } from '../db/migrations.js'
import { coreEntities } from '../db/entities.js'
import { ArchiveError, fileEntry, sha256File, tableEntry, verifiedLines, type ArchiveEntry, type ArchiveManifest, type ArchiveTable } from './archive.js'
import { fileStage } from './data-files.js'
import { insertRows, readRows, resetSequences, tableSpecs, type Row, type TableSpec } from './tables.js'

/** What backups need of a built app: its database, its tables and their owners, its data folder. */
export interface OpsHost {
  orm: MikroORM
  dialect: Dialect
  dataDir: string
  databaseUrl: string
  /** Core and the loaded plugins, in load order. */
  owners: string[]
  /** Every migration this code knows, in order. */
  known: string[]
  migrateOptions: MigrateOptions
  specs: TableSpec[]
}

export function opsHost(app: FastifyInstance): OpsHost {
  const { orm, dialect, dataDir, config, plugins, migrations, migrateOptions } = app.kaiku
  const owners = [
    { owner: 'core', entities: coreEntities as EntitySchema<any, any>[] },
    ...plugins.map(({ manifest }) => ({ owner: manifest.name, entities: manifest.entities ?? [] }))
  ]
  return {
    orm,
    dialect,
    dataDir,
    databaseUrl: config.databaseUrl,
    owners: owners.map((o) => o.owner),
    known: migrations,
    migrateOptions,
    specs: tableSpecs(orm, owners)
  }
}

const ownerOf = (migration: string) => migration.slice(0, migration.indexOf('/'))

/**
 * The migrations applied here, checked against the code: an archive must describe tables exactly as
 * these entities declare them, so a database that lacks migrations of this code, or has newer ones,
 * is not archived.
 */
export async function currentMigrations(host: OpsHost): Promise<string[]> {
  const applied = await appliedMigrations(host.orm)
  const appliedSet = new Set(applied)
  const pending = host.known.filter((name) => !appliedSet.has(name))
  if (pending.length > 0) throw new ArchiveError(`the database lacks ${pending.length} migration(s) of this version (${pending[0]}…); run \`kaiku migrate\` first, or use the version of Kaiku that runs on it`)
  const knownSet = new Set(host.known)
  const newer = applied.filter((name) => host.owners.includes(ownerOf(name)) && !knownSet.has(name))
  if (newer.length > 0) throw new ArchiveError(`the database is newer than this version of Kaiku (${newer[0]}…); use the newer version`)
  return applied.filter((name) => host.owners.includes(ownerOf(name)))
}

/** A read-only transaction with one snapshot of the whole database, whatever other processes write meanwhile. */
export async function inSnapshot<T>(host: OpsHost, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const options = host.dialect === 'postgresql' ? { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true } : {}
  return host.orm.em.fork().transactional(work, options)
}

/**
 * Writes each table's rows (those `where` selects) as JSON lines into `folder`, counting and hashing
 * them; `seen` is told every row, e.g. to find the files rows point at.
 */
export async function dumpTables(
  em: EntityManager,
  specs: TableSpec[],
  folder: string,
  where: (spec: TableSpec) => FilterQuery<object> | undefined,
  seen: (row: Row) => void = () => undefined
): Promise<(ArchiveTable & { path: string; bytes: number })[]> {
  const tables: (ArchiveTable & { path: string; bytes: number })[] = []
  for (const spec of specs) {
    const selected = where(spec)
    if (selected === undefined) continue
    const path = join(folder, `${spec.meta.tableName}.jsonl`)
    const out = createWriteStream(path, { mode: 0o600 })
    const hash = createHash('sha256')
    let rows = 0
    let bytes = 0
    for await (const row of readRows(em, spec, selected)) {
      seen(row)
      const line = Buffer.from(JSON.stringify(row) + '\n')
      hash.update(line)
      bytes += line.length
      rows += 1
      if (!out.write(line)) await once(out, 'drain')
    }
    out.end()
    await once(out, 'finish')
    tables.push({ entity: spec.meta.className, table: spec.meta.tableName, owner: spec.owner, rows, sha256: hash.digest('hex'), path, bytes })
  }
  return tables
}

/** A temporary folder for table dumps, removed when `work` ends, however it ends. */
export async function withScratch<T>(work: (folder: string) => Promise<T>): Promise<T> {
  const folder = mkdtempSync(join(tmpdir(), 'kaiku-archive-'))
  try {
    return await work(folder)
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

/** Which of this installation's tables each archived table is; refuses tables it does not have. */
export function matchTables(host: OpsHost, manifest: ArchiveManifest): Map<string, TableSpec> {
  const byTable = new Map(host.specs.map((spec) => [spec.meta.tableName, spec]))
  const missing = manifest.tables.filter((table) => byTable.get(table.table)?.meta.className !== table.entity)
  if (missing.length > 0) {
    const owners = [...new Set(missing.map((table) => table.owner))].join(', ')
    throw new ArchiveError(`the archive holds data of ${owners}, which this installation does not run (tables ${missing.map((t) => t.table).join(', ')}); load the same plugins (KAIKU_PLUGINS) as where it was made`)
  }
  return byTable
}

/**
 * Reads the archive's entries after the manifest: each table's rows go into the database with `em`
 * (the caller's transaction), each file into the staging folder. Returns the stage, for the caller to
 * commit once the transaction has.
 */
export async function loadEntries(em: EntityManager, host: OpsHost, manifest: ArchiveManifest, entries: AsyncGenerator<ArchiveEntry>) {
  const byTable = matchTables(host, manifest)
  const tables = new Map(manifest.tables.map((table) => [tableEntry(table.table), table]))
  const files = new Map(manifest.files.map((file) => [fileEntry(file.path), file]))
  const stage = fileStage(host.dataDir)
  const seen = new Set<string>()
  try {
    for await (const entry of entries) {
      seen.add(entry.name)
      const table = tables.get(entry.name)
      const file = files.get(entry.name)
      if (table) {
        const spec = byTable.get(table.table)!
        const rows = (async function* () {
          for await (const line of verifiedLines(entry, table.sha256)) yield JSON.parse(line) as Row
        })()
        const inserted = await insertRows(em, spec, rows)
        if (inserted !== table.rows) throw new ArchiveError(`${entry.name} holds ${inserted} rows, the manifest says ${table.rows}`)
        await resetSequences(em, spec, host.dialect)
      } else if (file) {
        await stage.add(file.path, entry.stream)
        if ((await sha256File(stage.stagedPath(file.path))) !== file.sha256) throw new ArchiveError(`${entry.name} is damaged (its checksum does not match the manifest)`)
      } else {
        throw new ArchiveError(`the archive holds ${entry.name.slice(0, 80)}, which its manifest does not list`)
      }
    }
    const absent = [...tables.keys(), ...files.keys()].filter((name) => !seen.has(name))
    if (absent.length > 0) throw new ArchiveError(`the archive is incomplete: ${absent.slice(0, 3).join(', ')} missing`)
    return stage
  } catch (error) {
    stage.discard()
    throw error
  }
}
