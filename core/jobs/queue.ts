import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import type { FastifyBaseLogger } from 'fastify'
import { InvalidInputError } from '../errors.js'
import type { Dialect } from '../db/orm.js'
import { JobRecord, type JobRecordEntity, type JobStatus } from './job.entity.js'
import type { ScheduleSpec } from './schedule.js'

/** What a job handler gets besides its payload. */
export interface JobTools<Ctx = unknown> {
  /** Inside a transaction that also marks the job done, unless the job is `transactional: false`. */
  em: EntityManager
  job: { id: string; name: string; attempt: number; maxAttempts: number }
  log: FastifyBaseLogger
  ctx: Ctx
}

export interface JobDefinition<Payload = any, Ctx = any> {
  description?: string
  handler(payload: Payload, tools: JobTools<Ctx>): Promise<void>
  /**
   * true (default): the handler's database writes and the job's completion commit together, so a
   * job's effects on the database happen exactly once. false: for work with outside effects (mail,
   * HTTP), which must not hold a transaction open; it runs at least once.
   */
  transactional?: boolean
  maxAttempts?: number
}

export interface ScheduleDefinition {
  /** Unique name of the schedule, prefixed by its owner, e.g. 'feeds.poll'. */
  name: string
  job: string
  spec: ScheduleSpec
  payload?: Record<string, unknown>
  /** Run once per tenant, in each tenant's time zone (needs a plugin that provides scopes); default once globally. */
  perTenant?: boolean
}

/** Raised by a handler when retrying cannot help (e.g. an SMTP 5xx): the job goes straight to dead. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError'
}

export interface EnqueueOptions {
  key?: string
  runAt?: Date
  maxAttempts?: number
}

export interface QueueOptions {
  dialect: Dialect
  log: FastifyBaseLogger
  defaultMaxAttempts: number
}

export interface RegisteredJob {
  owner: string
  definition: JobDefinition
}

/** Refuses what JSON cannot carry faithfully: functions, undefined, BigInt, cycles, non-finite numbers. */
export function serialisePayload(payload: unknown): string {
  const check = (value: unknown, path: string, seen: Set<unknown>): void => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidInputError(`job payload ${path} is not a finite number`)
      return
    }
    if (typeof value !== 'object') throw new InvalidInputError(`job payload ${path} is a ${typeof value}, which JSON cannot carry`)
    if (seen.has(value)) throw new InvalidInputError(`job payload ${path} refers to itself`)
    seen.add(value)
    const prototype = Object.getPrototypeOf(value)
    if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) {
      throw new InvalidInputError(`job payload ${path} is a ${prototype?.constructor?.name ?? 'class instance'}; pass plain data`)
    }
    for (const [key, child] of Object.entries(value)) check(child, `${path}.${key}`, seen)
    seen.delete(value)
  }
  check(payload, 'payload', new Set())
  return JSON.stringify(payload)
}

/**
 * The job table's front door: enqueue in the caller's transaction, and the operator's view of it.
 * Workers (worker.ts) take jobs out.
 */
export class JobQueue {
  readonly definitions = new Map<string, RegisteredJob>()

  constructor(private readonly options: QueueOptions) {}

  define(owner: string, name: string, definition: JobDefinition): void {
    if (this.definitions.has(name)) throw new Error(`${owner}: job '${name}' is already defined by ${this.definitions.get(name)!.owner}`)
    if (typeof definition?.handler !== 'function') throw new Error(`${owner}: job '${name}' has no handler`)
    this.definitions.set(name, { owner, definition })
  }

  /**
   * Writes a job with the caller's EntityManager, so inside the caller's transaction it commits or
   * rolls back with the write that caused it. With a key, enqueueing again is a no-op.
   */
  async enqueue(em: EntityManager, name: string, payload: unknown, options: EnqueueOptions = {}): Promise<{ id: string; created: boolean }> {
    const registered = this.definitions.get(name)
    if (!registered) throw new InvalidInputError(`unknown job '${name}'`)
    const body = serialisePayload(payload)
    if (options.key !== undefined && (options.key.length === 0 || options.key.length > 255)) {
      throw new InvalidInputError('a job key must be 1 to 255 characters')
    }
    const now = new Date()
    const id = randomUUID()
    const row = {
      id,
      name,
      payload: body,
      key: options.key ?? null,
      status: 'queued' as JobStatus,
      attempts: 0,
      maxAttempts: options.maxAttempts ?? registered.definition.maxAttempts ?? this.options.defaultMaxAttempts,
      runAt: options.runAt ?? now,
      lockedBy: null,
      lockedUntil: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null
    }
    if (options.key === undefined) {
      await em.insert(JobRecord, row)
      return { id, created: true }
    }
    await (em as SqlEntityManager).createQueryBuilder(JobRecord).insert(row).onConflict('key').ignore().execute()
    const existing = await em.findOneOrFail(JobRecord, { key: options.key }, { fields: ['id'], disableIdentityMap: true })
    return { id: existing.id, created: existing.id === id }
  }

  async list(em: EntityManager, status?: JobStatus, limit = 100): Promise<JobRecordEntity[]> {
    return em.find(JobRecord, status ? { status } : {}, { orderBy: { updatedAt: 'desc' }, limit, disableIdentityMap: true })
  }

  async counts(em: EntityManager): Promise<Record<JobStatus | 'failing', number>> {
    const rows: { status: JobStatus; failing: number | string; n: number | string }[] = await em
      .getConnection()
      .execute(
        'select status, case when last_error is null then 0 else 1 end as failing, count(*) as n from kaiku_job group by status, case when last_error is null then 0 else 1 end'
      )
    const counts = { queued: 0, running: 0, done: 0, dead: 0, failing: 0 }
    for (const row of rows) {
      counts[row.status] += Number(row.n)
      if (row.status === 'queued' && Number(row.failing) === 1) counts.failing += Number(row.n)
    }
    return counts
  }

  /** A dead job gets a fresh set of attempts, now. */
  async retry(em: EntityManager, id: string): Promise<boolean> {
    const now = new Date()
    const changed = await em.nativeUpdate(
      JobRecord,
      { id, status: 'dead' },
      { status: 'queued', attempts: 0, runAt: now, updatedAt: now, finishedAt: null, lockedBy: null, lockedUntil: null }
    )
    return changed > 0
  }

  /** A dead or waiting job is removed for good. A running one is not: its worker owns it. */
  async discard(em: EntityManager, id: string): Promise<boolean> {
    return (await em.nativeDelete(JobRecord, { id, status: { $in: ['dead', 'queued'] } })) > 0
  }
}
