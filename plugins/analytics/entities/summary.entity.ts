import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/*
 * Summaries of the daily counters (`analytics_daily`) for the pages that span months: the admin
 * dashboard over a year and the all-time leaderboard. A summary holds, per month (or per day for the
 * instance's totals), what the daily counters of that period add up to, pivoted into columns where
 * the events are fixed. They are derived data: rebuilt from the daily counters for every period a
 * rollup or an erasure touches (services/summaries.ts), never written anywhere else. Primary keys
 * start with (tenant, period), which is how every page reads them.
 */

/** What a row of `analytics_monthly` adds up: one member, one network, one post, or a member on one network. */
export const DIMENSIONS = ['member', 'network', 'post', 'member_network'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/**
 * Shares, clicks and unique clicks per month and one dimension: per member (top members, active
 * members), per network, per post (top posts, topics) and per member and network (reach). The
 * columns a dimension does not use hold ''.
 */
export const AnalyticsMonthly = defineEntity({
  name: 'AnalyticsMonthly',
  tableName: 'analytics_monthly',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().length(36).primary(),
    /** One of DIMENSIONS. */
    dimension: p.string().length(20).primary(),
    /** UTC month, `YYYY-MM`. */
    month: p.string().length(7).primary(),
    /** '' for activity no member owns any more, and in the network and post dimensions. */
    memberId: p.string().length(36).primary(),
    network: p.string().length(20).primary(),
    postId: p.string().length(36).primary(),
    shares: p.integer(),
    clicks: p.integer(),
    uniqueClicks: p.integer()
  })
})
export type AnalyticsMonthlyEntity = InferEntity<typeof AnalyticsMonthly>

/** Every event per month and member (points for the leaderboard and personal ranks), members only. */
export const AnalyticsMonthActivity = defineEntity({
  name: 'AnalyticsMonthActivity',
  tableName: 'analytics_month_activity',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().length(36).primary(),
    month: p.string().length(7).primary(),
    memberId: p.string().length(36).primary(),
    event: p.string().length(60).primary(),
    count: p.integer()
  })
})
export type AnalyticsMonthActivityEntity = InferEntity<typeof AnalyticsMonthActivity>

/**
 * Every event per member over all time: the sum of `analytics_month_activity`, kept by adding what
 * each refresh of months changes (the all-time leaderboard and ranks read it).
 */
export const AnalyticsTotalActivity = defineEntity({
  name: 'AnalyticsTotalActivity',
  tableName: 'analytics_total_activity',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().length(36).primary(),
    memberId: p.string().length(36).primary(),
    event: p.string().length(60).primary(),
    count: p.integer()
  })
})
export type AnalyticsTotalActivityEntity = InferEntity<typeof AnalyticsTotalActivity>

/** The instance's shares, clicks and unique clicks per day (the dashboard's chart). */
export const AnalyticsDayTotal = defineEntity({
  name: 'AnalyticsDayTotal',
  tableName: 'analytics_day_total',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().length(36).primary(),
    /** UTC day, `YYYY-MM-DD`. */
    day: p.string().length(10).primary(),
    shares: p.integer(),
    clicks: p.integer(),
    uniqueClicks: p.integer()
  })
})
export type AnalyticsDayTotalEntity = InferEntity<typeof AnalyticsDayTotal>

export const SUMMARY_ENTITIES = [AnalyticsMonthly, AnalyticsMonthActivity, AnalyticsTotalActivity, AnalyticsDayTotal]
