import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { MikroORM } from '@mikro-orm/core'
import type { FastifyBaseLogger } from 'fastify'
import type { Dialect } from '../db/orm.js'
import { JobRecord } from './job.entity.js'
import { PermanentJobError, type JobQueue } from './queue.js'
import type { Scheduler } from './scheduler.js'

export interface WorkerOptions {
  orm: MikroORM
  dialect: Dialect
  queue: JobQueue
  scheduler: Scheduler
  log: FastifyBaseLogger
  concurrency: number
  pollMs: number
  leaseMs: number
  backoffMs: number
  /** What a handler receives as `ctx`, by owner. */
  contextOf: (owner: string) => unknown
}

interface Claimed {
  id: string
  name: string
  payload: string
  attempts: number
  max_attempts: number
}

const MAX_BACKOFF_MS = 60 * 60 * 1000
/** Schedules are minute-grained; looking once a second is plenty. */
const SCHEDULE_EVERY_MS = 1000

/** Exponential backoff with a little jitter, so retries of many failed jobs do not arrive together. */
export const backoff = (base: number, attempt: number) =>
  Math.min(MAX_BACKOFF_MS, base * 2 ** (attempt - 1)) * (1 + Math.random() * 0.1)

/**
 * Takes jobs out of the table and runs them. Claims are one statement (with FOR UPDATE SKIP LOCKED on
 * PostgreSQL), so two workers never hold one job; a lease that is not renewed (the worker died)
 * lets another worker take the job again.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  private running = false
  private loop?: Promise<void>
  private wake?: () => void
  private heartbeat?: NodeJS.Timeout
  private readonly inHand = new Map<string, Promise<void>>()
  private lastSchedule = 0

  constructor(private readonly options: WorkerOptions) {}

  private value(date: Date): Date | number {
    // MikroORM keeps SQLite datetimes as epoch milliseconds; raw SQL must compare like with like.
    return this.options.dialect === 'sqlite' ? date.getTime() : date
  }

  /** Claims up to `limit` due jobs (or jobs whose lease expired) for this worker. */
  async claim(limit: number): Promise<Claimed[]> {
    const names = [...this.options.queue.definitions.keys()]
    if (names.length === 0 || limit <= 0) return []
    const now = new Date()
    const lockedUntil = new Date(now.getTime() + this.options.leaseMs)
    const skipLocked = this.options.dialect === 'postgresql' ? 'for update skip locked' : ''
    const sql = `update kaiku_job set status = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
      where id in (select id from kaiku_job
        where ((status = 'queued' and run_at <= ?) or (status = 'running' and locked_until < ?))
          and name in (${names.map(() => '?').join(', ')})
        order by run_at limit ? ${skipLocked})
      returning id, name, payload, attempts, max_attempts`
    const em = this.options.orm.em.fork()
    return em
      .getConnection()
      .execute<Claimed[]>(sql, [this.id, this.value(lockedUntil), this.value(now), this.value(now), this.value(now), ...names, limit])
  }

  /** Runs one claimed job to done, retry or dead. */
  async run(job: Claimed): Promise<void> {
    const registered = this.options.queue.definitions.get(job.name)!
    const { definition, owner } = registered
    const log = this.options.log.child({ job: job.name, jobId: job.id, attempt: job.attempts })
    const em = this.options.orm.em.fork()
    const mine = { id: job.id, lockedBy: this.id, status: 'running' as const }
    // A finished job keeps the worker that ran it (lockedBy), for operators tracing what ran where.
    const finished = { status: 'done' as const, finishedAt: new Date(), lockedUntil: null, lastError: null }
    if (job.attempts > job.max_attempts) {
      await em.nativeUpdate(JobRecord, mine, {
        status: 'dead',
        lockedBy: null,
        lockedUntil: null,
        updatedAt: new Date(),
        lastError: 'its worker stopped during the last attempt (lease expired)'
      })
      return
    }
    const tools = (target: typeof em) => ({
      em: target,
      job: { id: job.id, name: job.name, attempt: job.attempts, maxAttempts: job.max_attempts },
      log,
      ctx: this.options.contextOf(owner)
    })
    try {
      const payload = JSON.parse(job.payload)
      if (definition.transactional === false) {
        await definition.handler(payload, tools(em))
        await em.nativeUpdate(JobRecord, mine, { ...finished, updatedAt: new Date() })
      } else {
        await em.transactional(async (tx) => {
          await definition.handler(payload, tools(tx))
          const done = await tx.nativeUpdate(JobRecord, mine, { ...finished, updatedAt: new Date() })
          // Another worker took the job after our lease ran out: undo our writes, theirs count.
          if (done === 0) throw new Error('lease lost before the job finished')
        })
      }
      log.debug('job done')
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const permanent = error instanceof PermanentJobError
      const dead = permanent || job.attempts >= job.max_attempts
      const now = new Date()
      await em.nativeUpdate(
        JobRecord,
        mine,
        dead
          ? { status: 'dead', lockedBy: null, lockedUntil: null, lastError: message.slice(0, 4000), updatedAt: now, finishedAt: now }
          : {
              status: 'queued',
              lockedBy: null,
              lockedUntil: null,
              lastError: message.slice(0, 4000),
              updatedAt: now,
              runAt: new Date(now.getTime() + backoff(this.options.backoffMs, job.attempts))
            }
      )
      log[dead ? 'error' : 'warn']({ err: error, dead }, dead ? 'job dead-lettered' : 'job failed; will retry')
    }
  }

  /** One pass: run due schedules, claim what fits, start it. Returns how many jobs were started. */
  async tick(): Promise<number> {
    if (Date.now() - this.lastSchedule >= SCHEDULE_EVERY_MS) {
      this.lastSchedule = Date.now()
      await this.options.scheduler.tick(new Date())
    }
    const claimed = await this.claim(this.options.concurrency - this.inHand.size)
    for (const job of claimed) {
      const run = this.run(job)
        .catch((error) => this.options.log.error({ err: error, jobId: job.id }, 'job bookkeeping failed'))
        .finally(() => {
          this.inHand.delete(job.id)
          this.wake?.()
        })
      this.inHand.set(job.id, run)
    }
    return claimed.length
  }

  /** Runs what is due now and waits until those jobs have finished (for the CLI and tests). */
  async runDue(): Promise<number> {
    const started = await this.tick()
    await Promise.all([...this.inHand.values()])
    return started
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.options.leaseMs / 3)))
    this.heartbeat.unref()
    this.loop = (async () => {
      while (this.running) {
        let started = 0
        try {
          started = await this.tick()
        } catch (error) {
          this.options.log.error({ err: error }, 'worker tick failed')
        }
        if (this.running && (started === 0 || this.inHand.size >= this.options.concurrency)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.options.pollMs)
            this.wake = () => {
              clearTimeout(timer)
              resolve()
            }
          })
          this.wake = undefined
        }
      }
    })()
    this.options.log.info({ worker: this.id, concurrency: this.options.concurrency }, 'job worker started')
  }

  private async renewLeases(): Promise<void> {
    if (this.inHand.size === 0) return
    const until = new Date(Date.now() + this.options.leaseMs)
    try {
      await this.options.orm.em
        .fork()
        .nativeUpdate(JobRecord, { id: { $in: [...this.inHand.keys()] }, lockedBy: this.id, status: 'running' }, { lockedUntil: until })
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not renew job leases')
    }
  }

  /**
   * Stops claiming, waits up to `graceMs` for the jobs in hand, then hands back those still running
   * so another worker takes them at once (their attempt is not counted).
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return
    this.running = false
    this.wake?.()
    await this.loop
    const pending = [...this.inHand.values()]
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
    clearTimeout(timer)
    clearInterval(this.heartbeat)
    if (this.inHand.size > 0) {
      const ids = [...this.inHand.keys()]
      const em = this.options.orm.em.fork()
      await em
        .getConnection()
        .execute(
          `update kaiku_job set status = 'queued', locked_by = null, locked_until = null, attempts = attempts - 1, run_at = ? where locked_by = ? and status = 'running' and id in (${ids.map(() => '?').join(', ')})`,
          [this.value(new Date()), this.id, ...ids]
        )
      this.options.log.warn({ jobs: ids }, 'released unfinished jobs at shutdown')
    }
  }

  get busy(): number {
    return this.inHand.size
  }
}
