import type { JobDefinition, ScheduleDefinition } from './queue.js'

/** How long finished work is kept: long enough to see what ran, and to make a job key idempotent. */
export const DONE_JOB_RETENTION_DAYS = 7

export const CLEANUP_JOB = 'core.cleanup'

/** Nightly housekeeping of core's own tables: expired sessions, old finished jobs, spent rate counters. */
export const cleanupJob: JobDefinition = {
  description: 'Delete expired sessions and finished jobs older than a week.',
  async handler(_payload, { em, log }) {
    const now = Date.now()
    const sessions = await em.nativeDelete('SessionRecord', { expiresAt: { $lt: new Date(now) } })
    const jobs = await em.nativeDelete('JobRecord', {
      status: 'done',
      finishedAt: { $lt: new Date(now - DONE_JOB_RETENTION_DAYS * 24 * 60 * 60 * 1000) }
    })
    const counters = await em.nativeDelete('RateCounter', { resetAt: { $lt: new Date(now) } })
    log.info({ sessions, jobs, counters }, 'cleanup done')
  }
}

export const cleanupSchedule: ScheduleDefinition = { name: 'core.cleanup', job: CLEANUP_JOB, spec: { daily: '03:30' } }
