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
