import { randomBytes } from 'node:crypto'
import pg from 'pg'

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/

/** The bench only ever talks to this machine; a PostgreSQL URL elsewhere is refused, not used. */
export function checkLoopbackPostgres(databaseUrl: string): URL {
  let url: URL
  try {
    url = new URL(databaseUrl)
  } catch {
    throw new Error('DATABASE_URL: not a valid postgres:// URL')
  }
  if (!LOOPBACK.test(url.hostname)) {
    throw new Error(`DATABASE_URL: the bench uses loopback databases only (localhost, 127.x.x.x, [::1]), not '${url.hostname}'`)
  }
  return url
}

export interface BenchDatabase {
  url: string
  name: string
  drop(): Promise<void>
}

async function adminQuery(base: URL, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: base.toString(), connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** A fresh database next to the one DATABASE_URL names, dropped (forcibly) by `drop()`. */
export async function createPostgresDatabase(base: URL): Promise<BenchDatabase> {
  const prefix = base.pathname.slice(1).replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40) || 'kaiku'
  const name = `${prefix}_bench_${randomBytes(4).toString('hex')}`
  await adminQuery(base, `create database "${name}"`)
  const url = new URL(base)
  url.pathname = `/${name}`
  let dropped = false
  return {
    url: url.toString(),
    name,
    drop: async () => {
      if (dropped) return
      dropped = true
      await adminQuery(base, `drop database if exists "${name}" with (force)`)
    }
  }
}

/** What a PostgreSQL server did for itself during one run (cluster-wide, so every database's share). */
export interface PostgresHousekeeping {
  /** Checkpoints begun (timed and requested). */
  checkpoints: number
  /** Milliseconds that checkpoints which ended spent syncing data files: while that runs, commits wait for the disk too. */
  checkpointSyncMs: number
  /** WAL written, in MiB. */
  walMiB: number
  /** WAL segment files in pg_wal before and after (undefined without the rights to list them): growth means new segments were made, each one zero-filled and synced while commits wait. */
  walFiles?: [number, number]
}

interface HousekeepingSnapshot {
  checkpoints: number
  syncMs: number
  walBytes: number
  walFiles?: number
}

/**
 * Reads the server's own work around each run, on one connection kept open for the bench: checkpoints
 * and their sync time, WAL written, and WAL files made. The redirect bench's p99 on PostgreSQL moved
 * with these more than with anything Kaiku did (bench/README.md, eleventh pass).
 */
export async function postgresHousekeeping(base: URL): Promise<{ around<T>(work: () => Promise<T>): Promise<{ result: T; housekeeping: PostgresHousekeeping }>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: base.toString(), connectionTimeoutMillis: 5000 })
  await client.connect()
  // Listing pg_wal takes a superuser or pg_monitor; without it the count is left out.
  let listable = true
  const snapshot = async (): Promise<HousekeepingSnapshot> => {
    const { rows } = await client.query<{ checkpoints: string; sync_ms: number; wal_bytes: string }>(
      `select checkpoints_timed + checkpoints_req as checkpoints, checkpoint_sync_time as sync_ms, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') as wal_bytes from pg_stat_bgwriter`
    )
    let walFiles: number | undefined
    if (listable) {
      try {
        walFiles = Number((await client.query<{ files: string }>('select count(*) as files from pg_ls_waldir()')).rows[0].files)
      } catch {
        listable = false
      }
    }
    return { checkpoints: Number(rows[0].checkpoints), syncMs: Number(rows[0].sync_ms), walBytes: Number(rows[0].wal_bytes), walFiles }
  }
  return {
    async around(work) {
      const before = await snapshot()
      const result = await work()
      const after = await snapshot()
      const housekeeping: PostgresHousekeeping = {
        checkpoints: after.checkpoints - before.checkpoints,
        checkpointSyncMs: Math.round(after.syncMs - before.syncMs),
        walMiB: Math.round((after.walBytes - before.walBytes) / 2 ** 20)
      }
      if (before.walFiles !== undefined && after.walFiles !== undefined) housekeeping.walFiles = [before.walFiles, after.walFiles]
      return { result, housekeeping }
    },
    close: () => client.end()
  }
}

/** One line of a run's housekeeping, for the bench's progress output. */
export function describeHousekeeping(h: PostgresHousekeeping): string {
  const parts = [`${h.checkpoints} checkpoint${h.checkpoints === 1 ? '' : 's'}${h.checkpointSyncMs > 0 ? ` (sync ${(h.checkpointSyncMs / 1000).toFixed(2)} s)` : ''}`, `WAL ${h.walMiB} MiB`]
  if (h.walFiles) parts.push(`WAL files ${h.walFiles[0]} → ${h.walFiles[1]}`)
  return parts.join(', ')
}
