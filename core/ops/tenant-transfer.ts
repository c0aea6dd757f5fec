import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import { appliedMigrations } from '../db/migrations.js'
import { appVersion, ArchiveError, ARCHIVE_FORMAT, ARCHIVE_PRODUCT, openArchive, type ArchiveManifest } from './archive.js'
import { packArchive, type ArchiveSummary } from './backup.js'
import { dataFiles, existingFiles, referencedFile } from './data-files.js'
import { currentMigrations, dumpTables, inSnapshot, loadEntries, matchTables, withScratch, type OpsHost } from './dump.js'
import { countRows, type TableSpec } from './tables.js'

/*
 * A company instance, as core sees it without knowing the plugin that manages instances: the rows of
 * every entity with a `tenantId` property equal to its id, and its own row, which is the row of an
 * entity without `tenantId` whose primary key is that id.
 */

const ownerOf = (migration: string) => migration.slice(0, migration.indexOf('/'))
const singleKey = (spec: TableSpec) => (spec.meta.primaryKeys.length === 1 ? spec.meta.primaryKeys[0] : undefined)

function tenantRows(spec: TableSpec, tenantId: string): Record<string, string> | undefined {
  if (spec.tenantOwned) return { tenantId }
  const key = singleKey(spec)
  return key ? { [key]: tenantId } : undefined
}

async function isReferenced(em: EntityManager, host: OpsHost, tenantId: string): Promise<boolean> {
  for (const spec of host.specs.filter((s) => s.tenantOwned)) if ((await countRows(em, spec, { tenantId })) > 0) return true
  return false
}

/** The instance's id from its id or its slug (a `slug` column of an entity whose key tenant rows reference). */
async function findTenant(em: EntityManager, host: OpsHost, given: string): Promise<{ id: string; slug?: string }> {
  for (const spec of host.specs.filter((s) => !s.tenantOwned && singleKey(s) && s.meta.properties.slug)) {
    const row = (await em.findOne(spec.meta.class, { slug: given }, { filters: false })) as Record<string, unknown> | null
    const id = row?.[singleKey(spec)!]
    if (typeof id === 'string' && (await isReferenced(em, host, id))) return { id, slug: given }
  }
  if (await isReferenced(em, host, given)) return { id: given }
  throw new ArchiveError(`no company instance '${given}' here (give its slug or id)`)
}

/**
 * `kaiku export-tenant`: one company instance's rows, from one snapshot, and the uploaded files they
 * point at, in the archive format of backups; tables that hold nothing of it are left out.
 */
export async function exportTenant(host: OpsHost, given: string, out: string, options: { replace?: boolean } = {}): Promise<ArchiveSummary> {
  const target = resolve(out)
  if (existsSync(target) && !options.replace) throw new ArchiveError(`${target} exists; choose another file name (or --force to replace it)`)
  const migrations = await currentMigrations(host)
  return withScratch(async (scratch) => {
    const referenced = new Set<string>()
    const { tenant, tables } = await inSnapshot(host, async (em) => {
      const tenant = await findTenant(em, host, given)
      const tables = await dumpTables(em, host.specs, scratch, (spec) => tenantRows(spec, tenant.id), (row) => {
        for (const value of Object.values(row)) {
          const file = referencedFile(host.dataDir, value)
          if (file) referenced.add(file)
        }
      })
      return { tenant, tables: tables.filter((table) => table.rows > 0) }
    })
    const files = (await dataFiles(host.dataDir, [])).filter((file) => referenced.has(file.path))
    const manifest: ArchiveManifest = {
      product: ARCHIVE_PRODUCT,
      format: ARCHIVE_FORMAT,
      kind: 'tenant',
      appVersion: appVersion(),
      createdAt: new Date().toISOString(),
      dialect: host.dialect,
      migrations,
      plugins: host.owners.filter((owner) => owner !== 'core'),
      tenant,
      tables: tables.map(({ entity, table, owner, rows, sha256 }) => ({ entity, table, owner, rows, sha256 })),
      files: files.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 }))
    }
    return packArchive(target, manifest, tables, files, Boolean(options.replace))
  })
}

/** Each owner with data in the export must be at the same migrations here as where it was exported. */
async function checkVersions(host: OpsHost, manifest: ArchiveManifest): Promise<void> {
  const applied = await appliedMigrations(host.orm)
  for (const owner of new Set(manifest.tables.map((table) => table.owner))) {
    const there = manifest.migrations.filter((name) => ownerOf(name) === owner)
    const here = applied.filter((name) => ownerOf(name) === owner)
    if (there.some((name) => !here.includes(name))) {
      throw new ArchiveError(`the export was made by a newer version of ${owner} than this installation runs; upgrade this installation first`)
    }
    if (here.some((name) => !there.includes(name))) {
      throw new ArchiveError(`the export was made by an older version of ${owner}; upgrade the installation it came from to this version and export again`)
    }
  }
}

const conflictDetail = (error: Error) => error.message.split(' - ').pop()!.slice(0, 300)

/**
 * `kaiku import-tenant`: brings an exported instance into this installation, also from SQLite into
 * PostgreSQL. Refused when the instance (or its slug, a domain, a file) already exists here; all
 * or nothing.
 */
export async function importTenant(host: OpsHost, input: string): Promise<ArchiveSummary & { tenant: string }> {
  const archive = await openArchive(resolve(input))
  try {
    const { manifest } = archive
    if (manifest.kind !== 'tenant' || !manifest.tenant) throw new ArchiveError('this archive is a backup of a whole installation; bring it back with `kaiku restore`')
    const tenant = manifest.tenant
    matchTables(host, manifest)
    await checkVersions(host, manifest)
    const refuseExisting = async (em: EntityManager) => {
      for (const spec of host.specs) {
        const where = tenantRows(spec, tenant.id)
        if (where && (await countRows(em, spec, where)) > 0) {
          throw new ArchiveError(`this installation already has the instance ${tenant.slug ?? tenant.id} (rows in ${spec.meta.tableName}); nothing imported`)
        }
      }
    }
    await refuseExisting(host.orm.em.fork())
    const clashing = existingFiles(host.dataDir, manifest.files.map((file) => file.path))
    if (clashing.length > 0) throw new ArchiveError(`the data folder already has ${clashing[0]}; nothing imported`)
    let staged: Awaited<ReturnType<typeof loadEntries>> | undefined
    await host.orm.em
      .fork()
      .transactional(async (em) => {
        // Again inside the transaction: a server may have written since the first look.
        await refuseExisting(em)
        staged = await loadEntries(em, host, manifest, archive.entries)
      })
      .catch((error: unknown) => {
        staged?.discard()
        if (error instanceof UniqueConstraintViolationException) throw new ArchiveError(`the instance conflicts with data already here (${conflictDetail(error)}); nothing imported`)
        throw error
      })
    const files = staged!.commit()
    const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0)
    return { file: resolve(input), tenant: tenant.slug ?? tenant.id, tables: manifest.tables.length, rows, files, bytes: statSync(resolve(input)).size }
  } finally {
    archive.close()
  }
}
