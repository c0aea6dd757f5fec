import { defineEntity, type InferEntity } from '@mikro-orm/core'

export type JobStatus = 'queued' | 'running' | 'done' | 'dead'

/**
 * A durable job. A failed attempt goes back to `queued` with a later `runAt`; after its last attempt
 * it is `dead` (the dead letter), kept with its error for operators.
 */
export const JobRecord = defineEntity({
  name: 'JobRecord',
  tableName: 'kaiku_job',
  indexes: [{ properties: ['status', 'runAt'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    name: p.string().length(100),
    payload: p.text(),
    /** Enqueueing twice with one key makes one job. */
    key: p.string().length(255).nullable().unique(),
    status: p.string().length(16).$type<JobStatus>(),
    attempts: p.integer(),
    maxAttempts: p.integer(),
    runAt: p.datetime(),
    lockedBy: p.string().length(64).nullable(),
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    finishedAt: p.datetime().nullable()
  })
})

export type JobRecordEntity = InferEntity<typeof JobRecord>

/** One row per recurring schedule and scope: the next period that is due. */
export const ScheduleRecord = defineEntity({
  name: 'ScheduleRecord',
  tableName: 'kaiku_schedule',
  properties: (p) => ({
    id: p.string().primary().length(160),
    name: p.string().length(100),
    nextRunAt: p.datetime(),
    lastRunAt: p.datetime().nullable()
  })
})

export type ScheduleRecordEntity = InferEntity<typeof ScheduleRecord>
