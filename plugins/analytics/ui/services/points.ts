import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { thisMonth, thisWeek, type DayRange } from '../lib/range.js'
import { pointsByMember, pointsOf, type MemberActivity } from './rollups.js'

export const PERIODS = ['week', 'month', 'all'] as const
export type Period = (typeof PERIODS)[number]
export const isPeriod = (value: string): value is Period => (PERIODS as readonly string[]).includes(value)

/** How many places the leaderboard lists (the viewer's own place is added below when further down). */
export const LEADERBOARD_ROWS = 50

export const periodRange = (period: Period, today: string): DayRange | null => (period === 'week' ? thisWeek(today) : period === 'month' ? thisMonth(today) : null)

export interface Standing {
  memberId: string
  points: number
  /** Competition ranking: equal points share a place, the next place skips (1, 1, 3). */
  rank: number
}

export async function standings(em: EntityManager, tenantId: string, range: DayRange | null, points: Record<string, number>): Promise<Standing[]> {
  return ranked(await pointsByMember(em, tenantId, range, points))
}

/** Places from points, most first. */
export function ranked(rows: { memberId: string; points: number }[]): Standing[] {
  let rank = 0
  return rows.map((row, i) => {
    if (i === 0 || row.points !== rows[i - 1].points) rank = i + 1
    return { ...row, rank }
  })
}

export interface LeaderboardRow {
  rank: number
  points: number
  name: string
  /** The viewer's own row. */
  you: boolean
  anonymous: boolean
  /** Shown after a gap: the viewer's place when it is below the listed ones. */
  detached: boolean
}

/**
 * The leaderboard as a member sees it: names unless the instance chose an anonymous board or the
 * member opted out (the activity says who did); the viewer always recognises their own row.
 */
export async function leaderboard(
  app: FastifyInstance,
  em: EntityManager,
  input: { viewerId: string; activity: readonly MemberActivity[]; points: Record<string, number>; anonymous: boolean; labels: { anonymous: string; you: string } }
): Promise<{ rows: LeaderboardRow[]; mine: Standing | null; ranked: number }> {
  const all = ranked(pointsOf(input.activity, input.points))
  const mine = all.find((row) => row.memberId === input.viewerId) ?? null
  const shown = all.slice(0, LEADERBOARD_ROWS)
  const detached = mine && !shown.includes(mine) ? [mine] : []
  const ids = [...shown, ...detached].map((row) => row.memberId)
  const members = input.anonymous ? new Map<string, { name: string }>() : await app.auth.members(em, ids)
  const hidden = new Set(input.activity.filter((row) => row.hidden).map((row) => row.memberId))
  const rowOf = (standing: Standing, isDetached: boolean): LeaderboardRow => {
    const you = standing.memberId === input.viewerId
    const name = members.get(standing.memberId)?.name
    const anonymous = input.anonymous || hidden.has(standing.memberId) || !name
    return { rank: standing.rank, points: standing.points, name: you ? input.labels.you : anonymous ? input.labels.anonymous : name!, you, anonymous, detached: isDetached }
  }
  return { rows: [...shown.map((row) => rowOf(row, false)), ...detached.map((row) => rowOf(row, true))], mine, ranked: all.length }
}

/**
 * The points each activity earns in an instance: its saved choice, else each activity's default
 * (so a custom activity another plugin declares counts as soon as it exists).
 */
export function effectivePoints(app: FastifyInstance, saved: Record<string, number>): Record<string, number> {
  const defaults = Object.fromEntries(app.analytics.activities().map((activity) => [activity.type, activity.points]))
  return { ...defaults, ...saved }
}

/** Activity labels by type, for the pages. */
export const activityLabels = (app: FastifyInstance) => new Map(app.analytics.activities().map((activity) => [activity.type, activity.label]))
