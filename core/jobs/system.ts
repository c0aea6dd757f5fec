import type { MikroORM } from '@mikro-orm/core'
import type { FastifyBaseLogger } from 'fastify'
import type { KaikuConfig } from '../config/schema.js'
import type { Dialect } from '../db/orm.js'
import { PluginError } from '../host/discover.js'
import type { LoadedPlugin } from '../host/prepare.js'
import { JobQueue, type JobDefinition, type ScheduleDefinition } from './queue.js'
import { validateSpec } from './schedule.js'
import { Scheduler } from './scheduler.js'
import { Worker } from './worker.js'

export interface JobSystem {
  queue: JobQueue
  scheduler: Scheduler
  worker: Worker
}

export interface JobSystemOptions {
  orm: MikroORM
  dialect: Dialect
  log: FastifyBaseLogger
  config: KaikuConfig
  plugins: LoadedPlugin[]
  /** Core's own jobs (mail delivery), defined before the plugins'. */
  coreJobs: Record<string, JobDefinition>
  coreSchedules?: ScheduleDefinition[]
  contextOf: (owner: string) => unknown
}

/** The queue with every job defined, the scheduler with every schedule, and a worker (not started). */
export function createJobSystem(options: JobSystemOptions): JobSystem {
  const { config, log } = options
  const queue = new JobQueue({ dialect: options.dialect, log, defaultMaxAttempts: config.jobMaxAttempts })
  for (const [name, definition] of Object.entries(options.coreJobs)) queue.define('core', name, definition)
  for (const { manifest } of options.plugins) {
    for (const [name, definition] of Object.entries(manifest.jobs ?? {})) {
      if (!name.startsWith(`${manifest.name}.`)) throw new PluginError(manifest.name, `job '${name}' must be named '${manifest.name}.<job>'`)
      try {
        queue.define(manifest.name, name, definition as JobDefinition)
      } catch (error) {
        throw new PluginError(manifest.name, (error as Error).message)
      }
    }
  }
  const schedules = [...(options.coreSchedules ?? [])].concat(options.plugins.flatMap(({ manifest }) =>
    (manifest.schedules ?? []).map((schedule) => {
      if (!schedule.name.startsWith(`${manifest.name}.`)) {
        throw new PluginError(manifest.name, `schedule '${schedule.name}' must be named '${manifest.name}.<schedule>'`)
      }
      if (!queue.definitions.has(schedule.job)) throw new PluginError(manifest.name, `schedule '${schedule.name}' runs unknown job '${schedule.job}'`)
      try {
        validateSpec(schedule.spec)
      } catch (error) {
        throw new PluginError(manifest.name, `schedule '${schedule.name}': ${(error as Error).message}`)
      }
      return schedule
    })
  ))
  const scheduler = new Scheduler({ orm: options.orm, dialect: options.dialect, queue, schedules, defaultTimeZone: config.timeZone, log })
  const worker = new Worker({
    orm: options.orm,
    dialect: options.dialect,
    queue,
    scheduler,
    log,
    concurrency: config.workerConcurrency,
    pollMs: config.workerPollMs,
    leaseMs: config.jobLeaseMs,
    backoffMs: config.jobBackoffMs,
    contextOf: options.contextOf
  })
  return { queue, scheduler, worker }
}
