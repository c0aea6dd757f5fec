import type { MikroORM } from '@mikro-orm/core'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import type { FastifyBaseLogger } from 'fastify'
import type { Dialect } from '../db/orm.js'
import { ScheduleRecord } from './job.entity.js'
import type { JobQueue, ScheduleDefinition } from './queue.js'
import { nextRun } from './schedule.js'

/** Where a schedule runs: once globally, or once per tenant in the tenant's time zone. */
export interface ScheduleScope {
  scope: string
  timeZone: string
}

export interface SchedulerOptions {
  orm: MikroORM
  dialect: Dialect
  queue: JobQueue
  schedules: ScheduleDefinition[]
  defaultTimeZone: string
  log: FastifyBaseLogger
}

interface DueRow {
  id: string
  next_run_at: Date | number
}

/**
 * Turns recurring schedules into jobs. Each period's job has a key made of the schedule, the scope
 * and the period's start, so however many instances tick at once, a period makes one job.
 */
export class Scheduler {
  private scopes: () => Promise<ScheduleScope[]>
  private readonly ensured = new Set<string>()

  constructor(private readonly options: SchedulerOptions) {
    this.scopes = async () => []
  }

  /** A plugin that knows tenants (tenancy) lists them, so per-tenant schedules run in each tenant's zone. */
  setScopes(provider: () => Promise<ScheduleScope[]>): void {
    this.scopes = provider
  }

  async tick(now: Date): Promise<number> {
    const { schedules, orm, queue, dialect } = this.options
    if (schedules.length === 0) return 0
    const global: ScheduleScope[] = [{ scope: 'global', timeZone: this.options.defaultTimeZone }]
    const tenantScopes = schedules.some((s) => s.perTenant) ? await this.scopes() : []
    const zones = new Map<string, { definition: ScheduleDefinition; scope: ScheduleScope }>()
    const em = orm.em.fork()
    for (const definition of schedules) {
      for (const scope of definition.perTenant ? tenantScopes : global) {
        const id = `${definition.name}@${scope.scope}`
        zones.set(id, { definition, scope })
        if (this.ensured.has(id)) continue
        await (em as SqlEntityManager)
          .createQueryBuilder(ScheduleRecord)
          .insert({ id, name: definition.name, nextRunAt: nextRun(definition.spec, now, scope.timeZone), lastRunAt: null })
          .onConflict('id')
          .ignore()
          .execute()
        this.ensured.add(id)
      }
    }
    const value = dialect === 'sqlite' ? now.getTime() : now
    const due = await em.getConnection().execute<DueRow[]>('select id, next_run_at from kaiku_schedule where next_run_at <= ?', [value])
    let enqueued = 0
    // No transaction on purpose: the job's key makes the period's job unique, and the schedule moves on
    // by compare-and-set, so racing instances (or processes sharing one SQLite file) cannot double it.
    for (const row of due) {
      const entry = zones.get(row.id)
      if (!entry) continue
      const periodStart = new Date(row.next_run_at)
      const { created } = await queue.enqueue(
        em,
        entry.definition.job,
        { ...entry.definition.payload, scope: entry.scope.scope, scheduledFor: periodStart.toISOString() },
        { key: `schedule:${row.id}:${periodStart.toISOString()}`, runAt: periodStart }
      )
      if (created) enqueued++
      // Missed periods (the server was down) are not replayed one by one: the next run is the next future one.
      await em.nativeUpdate(
        ScheduleRecord,
        { id: row.id, nextRunAt: periodStart },
        { nextRunAt: nextRun(entry.definition.spec, now, entry.scope.timeZone), lastRunAt: periodStart }
      )
    }
    return enqueued
  }
}
