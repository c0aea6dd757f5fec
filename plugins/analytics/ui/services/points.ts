import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { thisMonth, thisWeek, type DayRange } from '../lib/range.js'
import type { Board, BoardRow } from './rollups.js'

export const PERIODS = ['week', 'month', 'all'] as const
export type Period = (typeof PERIODS)[number]
export const isPeriod = (value: string): value is Period => (PERIODS as readonly string[]).includes(value)

/** How many places the leaderboard lists (the viewer's own place is added below when further down). */
export const LEADERBOARD_ROWS = 50

export const periodRange = (period: Period, today: string): DayRange | null => (period === 'week' ? thisWeek(today) : period === 'month' ? thisMonth(today) : null)

/** A member's place: points and rank (equal points share a place). */
export type Standing = Omit<BoardRow, 'hidden'>

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
 * The leaderboard as a member sees it, from a board of the first places and the viewer's (ranked in
 * the database): names unless the instance chose an anonymous board or the member opted out; the
 * viewer always recognises their own row.
 */
export async function leaderboard(
  app: FastifyInstance,
  em: EntityManager,
  input: { viewerId: string; board: Board; anonymous: boolean; labels: { anonymous: string; you: string } }
): Promise<{ rows: LeaderboardRow[]; mine: Standing | null; ranked: number }> {
  const { top, mine, ranked: count } = input.board
  const detached = mine && !top.some((row) => row.memberId === mine.memberId) ? [mine] : []
  const ids = [...top, ...detached].map((row) => row.memberId)
  const members = input.anonymous ? new Map<string, { name: string }>() : await app.auth.members(em, ids)
  const rowOf = (place: BoardRow, isDetached: boolean): LeaderboardRow => {
    const you = place.memberId === input.viewerId
    const name = members.get(place.memberId)?.name
    const anonymous = input.anonymous || place.hidden || !name
    return { rank: place.rank, points: place.points, name: you ? input.labels.you : anonymous ? input.labels.anonymous : name!, you, anonymous, detached: isDetached }
  }
  return {
    rows: [...top.map((row) => rowOf(row, false)), ...detached.map((row) => rowOf(row, true))],
    mine: mine ? { memberId: mine.memberId, points: mine.points, rank: mine.rank } : null,
    ranked: count
  }
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
