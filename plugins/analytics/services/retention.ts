import type { EntityManager } from '@mikro-orm/core'
import { AnalyticsEvent } from '../entities/event.entity.js'
import { AnalyticsRequest } from '../entities/request.entity.js'
import { addDays, dayOf, DAY_MS } from '../lib/days.js'
import type { RollupRange, RollupResult } from './rollup.js'

/** Kept whatever their age: one row per member, and what makes an activation happen only once. */
const KEPT_TYPES = ['member_activated']

/** The first day whose raw events are still kept: days before it live on only in the daily counters. */
export const eventCutoff = (eventDays: number, now = new Date()) => addDays(dayOf(now), -eventDays)

/** The first day whose raw clicks (sharing's) are still kept. */
export const clickCutoff = (clickDays: number, now = new Date()) => addDays(dayOf(now), -clickDays)

/** What retention needs of sharing's raw clicks (its door). */
export interface RawClicks {
  firstClick(em: EntityManager): Promise<Date | null>
  forgetClicksBefore(em: EntityManager, before: Date): Promise<number>
}

/**
 * Deletes request-log rows older than `requestLogDays`, raw events older than `eventDays` and raw
 * clicks older than `clickDays`, every instance. The days about to lose their raw data are rolled up
 * from it first, in the same transaction, so their counters survive; after that, nothing rebuilds
 * those days from raw data (the rebuild keeps their counters).
 */
export async function applyRetention(
  em: EntityManager,
  options: { requestLogDays: number; eventDays: number; clickDays: number; now?: Date },
  rollup: (em: EntityManager, range: RollupRange) => Promise<RollupResult>,
  clicks: RawClicks
): Promise<{ requests: number; events: number; clicks: number }> {
  const now = options.now ?? new Date()
  const requestCutoff = new Date(now.getTime() - options.requestLogDays * DAY_MS)
  const cutoffDay = eventCutoff(options.eventDays, now)
  const clickCutoffDay = clickCutoff(options.clickDays, now)
  return em.transactional(async (tx) => {
    const firstClick = await clicks.firstClick(tx)
    let forgottenClicks = 0
    if (firstClick && dayOf(firstClick) < clickCutoffDay) {
      await rollup(tx, { from: dayOf(firstClick), to: clickCutoffDay, sources: ['sharing'] })
      forgottenClicks = await clicks.forgetClicksBefore(tx, new Date(`${clickCutoffDay}T00:00:00.000Z`))
    }
    const requests = await tx.nativeDelete(AnalyticsRequest, { at: { $lt: requestCutoff } }, { filters: false })
    const oldest = await tx.findOne(AnalyticsEvent, { at: { $lt: new Date(`${cutoffDay}T00:00:00.000Z`) }, type: { $nin: KEPT_TYPES } }, { filters: false, orderBy: { at: 'asc' }, fields: ['at'] })
    let events = 0
    if (oldest) {
      await rollup(tx, { from: dayOf(oldest.at), to: cutoffDay, sources: ['events'] })
      events = await tx.nativeDelete(AnalyticsEvent, { at: { $lt: new Date(`${cutoffDay}T00:00:00.000Z`) }, type: { $nin: KEPT_TYPES } }, { filters: false })
    }
    return { requests, events, clicks: forgottenClicks }
  })
}
