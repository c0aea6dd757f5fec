import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { rebuild } from '../plugins/analytics/services/rebuild.js'
import { NETWORKS } from '../plugins/sharing/lib/networks.js'
import { OWNER, READER, seedFeed } from './feed-seed.js'
import { withApp } from './harness.js'

/**
 * An instance after a year of sharing, written with set-based SQL (one INSERT … SELECT per table
 * over a SQLite recursive CTE or PostgreSQL's generate_series, never a row from Node): ~200
 * members, 500 posts (the feed bench's seed), `shares` shares over the last year (one tracked
 * link each, every member sharing in turn, 8 networks) and clicks on those links, most within a
 * day of the share and a long tail up to five days, more on some links than others, every 25th a
 * bot. More clicks land on the same shares: what grows is clicks per link, as when a programme's
 * audience grows, not the number of (day, post, member, network) the rollup counts.
 */

export const MEMBERS = 200
export const POSTS = 500
const DAY_MS = 86_400_000
/** Shares are made between 365 + 6 and 6 days ago, so every click (≤ 5 days later) is in the past. */
const SHARE_SPAN_DAYS = 365

type Dialect = 'sqlite' | 'postgresql'

export interface SeededClicks {
  tenantId: string
  /** A page-view beacon of one post, `/b/<token>.gif`, signed with the instance's key. */
  beaconPath: string
}

/** The integers 0 … n-1 as a row source `s(i)`: a recursive CTE on SQLite, generate_series on PostgreSQL. */
function numbers(dialect: Dialect, n: number): { with: string; from: string } {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`seed: ${n} is not a row count`)
  return dialect === 'postgresql'
    ? { with: '', from: `generate_series(0::bigint, ${n - 1}) as s(i)` }
    : { with: `with recursive s(i) as (select 0 union all select i + 1 from s where i < ${n - 1}) `, from: 's' }
}

/** A UUID-shaped id made from a number, so that ids made in the same statement are in order. */
const orderedId = (dialect: Dialect, prefix: string, expression: string) =>
  dialect === 'postgresql' ? `'${prefix}' || lpad(to_hex(${expression}), 12, '0')` : `'${prefix}' || printf('%012x', ${expression})`

/** Epoch milliseconds as the column type: SQLite keeps them as they are, PostgreSQL as timestamptz. */
const timestamp = (dialect: Dialect, ms: string) => (dialect === 'postgresql' ? `to_timestamp((${ms}) / 1000.0)` : `(${ms})`)

async function run(em: EntityManager, sql: string, params: unknown[] = []): Promise<number> {
  const result = await em.getConnection().execute<{ affectedRows?: number }>(sql, params, 'run')
  return result.affectedRows ?? 0
}

/**
 * Members, shares and links, once per database: the numbered helper tables (`bench_member`,
 * `bench_post`, `bench_share`) let the click inserts find a share by its number; they stay for
 * `addClicks` and are dropped by `finishSeed`.
 */
async function seedShares(em: EntityManager, dialect: Dialect, tenantId: string, readerId: string, shares: number): Promise<void> {
  const members = numbers(dialect, MEMBERS - 2)
  await run(
    em,
    `${members.with}insert into auth_member (id, tenant_id, email, name, password_hash, role, status, title, department, epoch, created_at, updated_at, verified_at, last_login_at)
     select ${orderedId(dialect, '00000000-0000-4000-8000-', 's.i')}, m.tenant_id, 'member' || s.i || '@acme.com', 'Member ' || s.i, m.password_hash, 'member', 'active', null, null, m.epoch, m.created_at, m.updated_at, m.verified_at, null
     from ${members.from}, auth_member m where m.id = ?`,
    [readerId]
  )
  await run(em, 'create table bench_member (idx integer primary key, id varchar(36) not null)')
  await run(em, 'insert into bench_member (idx, id) select row_number() over (order by id) - 1, id from auth_member where tenant_id = ?', [tenantId])
  await run(em, 'create table bench_post (idx integer primary key, id varchar(36) not null)')
  await run(em, `insert into bench_post (idx, id) select row_number() over (order by id) - 1, id from feeds_post where tenant_id = ? and status = 'published'`, [tenantId])
  const [{ n: postCount }] = await em.getConnection().execute<{ n: number | string }[]>('select count(*) as n from bench_post')
  const [{ n: memberCount }] = await em.getConnection().execute<{ n: number | string }[]>('select count(*) as n from bench_member')
  const P = Number(postCount)
  const M = Number(memberCount)
  if (shares > P * M) throw new Error(`seed: ${shares} shares need more than ${M} members × ${P} posts`)

  // Share i: member i mod M, its k-th share (k = i div M) of post (13k + 7·member) mod P, so that no
  // member shares a post twice; networks in turn; made at a spread-out time of the last year.
  const network = `case ((i % ${M}) + (i / ${M})) % ${NETWORKS.length} ${NETWORKS.map((name, index) => `when ${index} then '${name}'`).join(' ')} end`
  const now = Date.now()
  const atMs = `${now - 6 * DAY_MS} - ((i * 7919) % ${SHARE_SPAN_DAYS * 86_400}) * 1000 - (i % 997)`
  const sequence = numbers(dialect, shares)
  await run(em, 'create table bench_share (idx integer primary key, link_id varchar(36) not null, post_id varchar(36) not null, member_id varchar(36) not null, network varchar(20) not null, at_ms bigint not null)')
  await run(
    em,
    `${sequence.with}insert into bench_share (idx, link_id, post_id, member_id, network, at_ms)
     select i, ${orderedId(dialect, '00000000-0000-4000-9000-', 'i')}, p.id, m.id, ${network}, ${atMs}
     from ${sequence.from}
     join bench_member m on m.idx = i % ${M}
     join bench_post p on p.idx = ((i / ${M}) * 13 + (i % ${M}) * 7) % ${P}`
  )
  await run(
    em,
    `insert into sharing_link (id, tenant_id, code, post_id, member_id, network, target, created_at)
     select link_id, ?, 'bench' || idx, post_id, member_id, network, 'https://news.acme.com/' || post_id || '?utm_source=' || network, ${timestamp(dialect, 'at_ms')} from bench_share`,
    [tenantId]
  )
  await run(
    em,
    `insert into sharing_share (id, tenant_id, post_id, member_id, network, link_id, text, created_at)
     select ${orderedId(dialect, '00000000-0000-4000-a000-', 'idx')}, ?, post_id, member_id, network, link_id, 'Worth a read', ${timestamp(dialect, 'at_ms')} from bench_share`,
    [tenantId]
  )
}

/** Clicks per INSERT: a million rows per statement keeps SQLite's write-ahead log to a few hundred MB. */
const CLICK_CHUNK = 1_000_000

/**
 * Clicks number `from` … `to`-1 on the seeded shares, in statements of a million. Click c goes to share
 * (u² div S) with u = (c · 2654435761) mod S (more on the first shares, which every member has), at its
 * share's time plus a delay that is mostly under a day (cube of a uniform fraction of five days).
 */
async function addClicks(em: EntityManager, dialect: Dialect, tenantId: string, shares: number, from: number, to: number): Promise<void> {
  // The click indexes grow at random places (link, time): with SQLite's default 2 MB page cache every
  // insert would go back to the file. The seeding connection gets 512 MB; the server keeps its own.
  if (dialect === 'sqlite') await run(em, 'pragma cache_size = -524288')
  // A bigint on PostgreSQL: c · 2654435761 and c · 40503 overflow an integer.
  const c = dialect === 'postgresql' ? 'i::bigint' : 'i'
  for (let start = from; start < to; start += CLICK_CHUNK) {
    const count = Math.min(CLICK_CHUNK, to - start)
    const sequence = numbers(dialect, count)
    const u = `((c * 2654435761) % ${shares})`
    await run(
      em,
      `${sequence.with}insert into sharing_click (id, tenant_id, link_id, post_id, member_id, network, at, ip_net, agent, referrer_host, visitor_key, bot)
       select ${orderedId(dialect, '00000000-0000-7000-8000-', 'c')}, ?, b.link_id, b.post_id, b.member_id, b.network,
              ${timestamp(dialect, `b.at_ms + ((c * 40503) % 1000) * ((c * 40503) % 1000) * ((c * 40503) % 1000) / 1000 * 432`)},
              '203.0.113.0', case when c % 3 = 0 then 'mobile' else 'desktop' end,
              case when b.network = 'linkedin' then 'www.linkedin.com' else null end,
              ${orderedId(dialect, 'v', `(c * 48271) % 4096`)}, (c % 25 = 0)
       from (select ${c} + ${start} as c from ${sequence.from}) n
       join bench_share b on b.idx = (${u} * ${u}) / ${shares}`,
      [tenantId]
    )
  }
}

/** Recomputes every daily counter with the `kaiku analytics rebuild` service, as an operator would. */
async function rollup(app: FastifyInstance, em: EntityManager, tenantId: string): Promise<void> {
  // Every day has its raw data (no retention cutoff); the service's report of each month is not needed.
  await rebuild(em, { tenantId, eventCutoff: '1970-01-01', clickCutoff: '1970-01-01' }, { firstActivity: (tx, id) => app.sharing.firstActivity(tx, id), rollup: (tx, range) => app.analytics.rollup(tx, range) }, () => undefined)
}

const dialectOf = (env: Record<string, string>): Dialect => (env.DATABASE_URL.startsWith('postgres') ? 'postgresql' : 'sqlite')

export interface Timings {
  seedSeconds: number
  rollupSeconds: number
  rollupRows: number
}

const seconds = (started: number) => (Date.now() - started) / 1000

/** A fresh database: instance, members, posts, shares and `clicks` clicks, then the rollup. */
export async function seedDashboard(env: Record<string, string>, dir: string, options: { clicks: number; shares: number }): Promise<SeededClicks & Timings> {
  const dialect = dialectOf(env)
  const started = Date.now()
  const seeded = await seedFeed(env, dir, POSTS)
  return withApp(env, dir, async (app) => {
    const em = app.kaiku.orm.em.fork()
    await seedShares(em, dialect, seeded.tenantId, seeded.readerId, options.shares)
    await addClicks(em, dialect, seeded.tenantId, options.shares, 0, options.clicks)
    // What autovacuum does after bulk inserts, done now rather than in the middle of the measurements.
    if (dialect === 'postgresql') await run(em, 'vacuum analyze')
    const seedSeconds = seconds(started)
    const rolled = Date.now()
    await rollup(app, em, seeded.tenantId)
    await analyze(em, dialect)
    const rollupRows = await countRollup(em, seeded.tenantId)
    await checkpoint(em, dialect)
    const post = await em.getConnection().execute<{ id: string }[]>('select id from bench_post where idx = 0')
    const beaconPath = app.analytics.beaconUrl({ tenantId: seeded.tenantId, kind: 'page_view', subject: 'post', postId: post[0].id })
    return { tenantId: seeded.tenantId, beaconPath, seedSeconds, rollupSeconds: seconds(rolled), rollupRows }
  })
}

/** More clicks on the same shares (numbers `from` … `to`-1), then the rollup again. */
export async function growDashboard(env: Record<string, string>, dir: string, options: { tenantId: string; shares: number; from: number; to: number }): Promise<Timings> {
  const dialect = dialectOf(env)
  return withApp(
    env,
    dir,
    async (app) => {
      const em = app.kaiku.orm.em.fork()
      const started = Date.now()
      await addClicks(em, dialect, options.tenantId, options.shares, options.from, options.to)
      if (dialect === 'postgresql') await run(em, 'vacuum analyze sharing_click')
      const seedSeconds = seconds(started)
      const rolled = Date.now()
      await rollup(app, em, options.tenantId)
      await analyze(em, dialect)
      const rollupRows = await countRollup(em, options.tenantId)
      await checkpoint(em, dialect)
      return { seedSeconds, rollupSeconds: seconds(rolled), rollupRows }
    },
    { migrate: false }
  )
}

/**
 * SQLite: the seed's writes moved from the write-ahead log into the database file, as the automatic
 * checkpoints of a server that has been up a while would have done. Readers otherwise search a WAL of
 * hundreds of megabytes for every page, and the pages would measure that, not their queries.
 */
async function checkpoint(em: EntityManager, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await em.getConnection().execute('pragma wal_checkpoint(truncate)', [], 'all')
}

/**
 * Statistics (and on PostgreSQL the visibility map) of the daily counters and their summaries brought
 * up to date after the bulk writes, as
 * autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would have done on a server that has been up
 * a while: the planner then knows the tables' sizes, and PostgreSQL can answer from an index alone.
 */
async function analyze(em: EntityManager, dialect: Dialect): Promise<void> {
  await run(em, dialect === 'postgresql' ? 'vacuum analyze analytics_daily, analytics_monthly, analytics_month_activity, analytics_total_activity, analytics_day_total' : 'analyze')
}

async function countRollup(em: EntityManager, tenantId: string): Promise<number> {
  const [row] = await em.getConnection().execute<{ n: number | string }[]>('select count(*) as n from analytics_daily where tenant_id = ?', [tenantId])
  return Number(row.n)
}

/** The bench's helper tables go once the seeding is over. */
export async function finishSeed(env: Record<string, string>, dir: string): Promise<void> {
  await withApp(env, dir, async (app) => {
    const em = app.kaiku.orm.em.fork()
    for (const table of ['bench_share', 'bench_post', 'bench_member']) await run(em, `drop table if exists ${table}`)
  }, { migrate: false })
}

export { OWNER, READER }
