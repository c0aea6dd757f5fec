import type { MikroORM } from '@mikro-orm/core'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import type { FastifyBaseLogger } from 'fastify'
import { Gauge, type Registry } from 'prom-client'

/** The part of knex's connection pool (tarn) that tells how busy it is. */
interface PoolState {
  max: number
  numUsed(): number
  numFree(): number
  numPendingAcquires(): number
}

/**
 * Gauges read from the database at scrape time: the job queue (depth, age of the oldest due job), the
 * mail log by status, and this process's connection pool. Queue and mail are the same for every
 * instance (they live in the shared database), so dashboards take their max, not their sum.
 */
export function registerDatabaseMetrics(registry: Registry, orm: MikroORM, log: FastifyBaseLogger): void {
  const registers = [registry]
  const connection = () => orm.em.getConnection()
  const failed = (what: string) => (error: unknown) => log.warn({ err: error }, `metrics: cannot read ${what}`)

  new Gauge({
    name: 'kaiku_jobs',
    help: 'Jobs in the queue by status (queued includes those waiting for a retry)',
    labelNames: ['status'],
    registers,
    async collect() {
      this.reset()
      const rows = await connection()
        .execute<{ status: string; n: number | string }[]>("select status, count(*) as n from kaiku_job where status <> 'done' group by status")
        .catch(failed('jobs'))
      for (const status of ['queued', 'running', 'dead']) this.set({ status }, Number(rows?.find((row: { status: string }) => row.status === status)?.n ?? 0))
    }
  })

  // One query for both gauges of due jobs; each gauge's collect asks for the same fresh reading.
  const dueJobs = async () => {
    const rows = await connection().execute<{ n: number | string; oldest: unknown }[]>(
      "select count(*) as n, min(run_at) as oldest from kaiku_job where status = 'queued' and run_at <= ?",
      [orm.config.getPlatform().processDateProperty(new Date())]
    )
    const oldest = rows[0]?.oldest
    return { depth: Number(rows[0]?.n ?? 0), oldest: oldest === null || oldest === undefined ? undefined : new Date(oldest as string | number) }
  }
  new Gauge({
    name: 'kaiku_job_queue_depth',
    help: 'Jobs due now and not yet claimed by a worker',
    registers,
    async collect() {
      const due = await dueJobs().catch(failed('the job queue'))
      if (due) this.set(due.depth)
    }
  })
  new Gauge({
    name: 'kaiku_job_queue_oldest_age_seconds',
    help: 'How long the oldest due job has waited for a worker (0 when none waits)',
    registers,
    async collect() {
      const due = await dueJobs().catch(failed('the job queue'))
      if (due) this.set(due.oldest ? Math.max(0, (Date.now() - due.oldest.getTime()) / 1000) : 0)
    }
  })

  new Gauge({
    name: 'kaiku_mail_messages',
    help: 'Messages in the mail log by status: sent (SMTP accepted), mailbox (kept locally), queued, retrying, dead (failed for good)',
    labelNames: ['status'],
    registers,
    async collect() {
      this.reset()
      const rows = await connection()
        .execute<{ status: string; n: number | string }[]>('select status, count(*) as n from kaiku_mail group by status')
        .catch(failed('the mail log'))
      for (const status of ['sent', 'mailbox', 'queued', 'retrying', 'dead']) this.set({ status }, Number(rows?.find((row: { status: string }) => row.status === status)?.n ?? 0))
    }
  })

  const pool = () => (orm.em as SqlEntityManager).getKnex().client.pool as PoolState | undefined
  new Gauge({
    name: 'kaiku_db_pool_connections',
    help: "This process's database connections: in use, idle, and requests waiting for one",
    labelNames: ['state'],
    registers,
    collect() {
      const state = pool()
      if (!state) return
      this.set({ state: 'used' }, state.numUsed())
      this.set({ state: 'idle' }, state.numFree())
      this.set({ state: 'waiting' }, state.numPendingAcquires())
    }
  })
  new Gauge({
    name: 'kaiku_db_pool_max',
    help: "Most connections this process's pool opens",
    registers,
    collect() {
      const state = pool()
      if (state) this.set(state.max)
    }
  })
}
