import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { previousOf, type DayRange } from '../lib/range.js'
import { activeMembers, breakdown, sharesByMemberAndNetwork, sharesOfMembers, summary, totals, type BreakdownRow, type PeriodRow } from './rollups.js'

/** The tables of the admin dashboard, each with a CSV twin built from the very same rows. */
export const TABLES = ['posts', 'members', 'networks', 'topics'] as const
export type TableName = (typeof TABLES)[number]
export const isTable = (value: string): value is TableName => (TABLES as readonly string[]).includes(value)

/** How many rows the top-posts and top-members tables (and their CSV files) hold. */
export const TOP_ROWS = 25

export interface TableRow extends BreakdownRow {
  /** What the first column shows: a post title, a member's name, a network or a topic. */
  name: string
  href?: string
}

export interface Totals {
  shares: number
  clicks: number
  uniqueClicks: number
  activeMembers: number
  /** Σ shares × the sharer's declared audience on that network, over the shares whose audience is known. */
  reach: number
  /** How many shares had a declared audience (reach counts only those). */
  sharesWithAudience: number
}

const COUNTED = ['share', 'click', 'unique_click'] as const

export const NETWORK_LABELS: Record<string, string> = {
  linkedin: 'LinkedIn',
  x: 'X',
  facebook: 'Facebook',
  xing: 'XING',
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
  email: 'Email',
  copy: 'Copied link'
}
export const networkLabel = (id: string) => NETWORK_LABELS[id] ?? id

/** The figures of one range: the totals cards. */
/** Each member's declared audience per network, for the members given. */
async function audiencesOf(em: EntityManager, tenantId: string, memberIds: string[]): Promise<Map<string, Record<string, number>>> {
  const audiences = new Map<string, Record<string, number>>()
  // Plain rows, in slices to stay under SQLite's limit on bound values; one row per member who shared.
  for (let start = 0; start < memberIds.length; start += 500) {
    const slice = memberIds.slice(start, start + 500)
    const rows = await em
      .getConnection()
      .execute<{ member_id: string; audience: unknown }[]>(`select member_id, audience from analytics_member where tenant_id = ? and member_id in (${slice.map(() => '?').join(', ')})`, [tenantId, ...slice], 'all', em.getTransactionContext())
    for (const row of rows) audiences.set(row.member_id, audienceOf(row.audience))
  }
  return audiences
}

/** A stored audience: JSON text on SQLite, already parsed on PostgreSQL; anything else counts as none. */
function audienceOf(value: unknown): Record<string, number> {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, number>) : {}
}

function reachOf(byMemberNetwork: { memberId: string; network: string; shares: number }[], audiences: Map<string, Record<string, number>>) {
  let reach = 0
  let sharesWithAudience = 0
  for (const { memberId, network, shares } of byMemberNetwork) {
    const audience = audiences.get(memberId)?.[network]
    if (typeof audience === 'number' && audience >= 0) {
      reach += shares * audience
      sharesWithAudience += shares
    }
  }
  return { reach, sharesWithAudience }
}

export async function totalsOf(em: EntityManager, tenantId: string, range: DayRange): Promise<Totals> {
  const [sums, active, byMemberNetwork] = await Promise.all([totals(em, tenantId, range, COUNTED), activeMembers(em, tenantId, range), sharesByMemberAndNetwork(em, tenantId, range)])
  const audiences = await audiencesOf(em, tenantId, [...new Set(byMemberNetwork.map((row) => row.memberId))])
  const { reach, sharesWithAudience } = reachOf(byMemberNetwork, audiences)
  return { shares: sums.share, clicks: sums.click, uniqueClicks: sums.unique_click, activeMembers: active, reach, sharesWithAudience }
}

export async function totalsWithPrevious(em: EntityManager, tenantId: string, range: DayRange) {
  const current = await totalsOf(em, tenantId, range)
  const previous = await totalsOf(em, tenantId, previousOf(range))
  return { current, previous }
}

type Labels = { noTopic: string; formerMember: string; deletedPost: string }

/** Most clicked first, then most shared, then by key: the order of `breakdown`'s SQL. */
const byClicks = (a: BreakdownRow, b: BreakdownRow) => b.clicks - a.clicks || b.shares - a.shares || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

/** The rows of one table, named, from the grouped rows of its key. */
async function named(app: FastifyInstance, em: EntityManager, table: TableName, rows: BreakdownRow[], labels: Labels): Promise<TableRow[]> {
  if (table === 'posts') {
    const posts = await app.feeds.posts(em, rows.map((row) => row.key))
    return rows.map((row) => {
      const post = posts.get(row.key)
      return { ...row, name: post?.title ?? labels.deletedPost, href: post ? `/posts/${post.id}` : undefined }
    })
  }
  if (table === 'members') {
    const members = await app.auth.members(em, rows.map((row) => row.key))
    return rows.map((row) => ({ ...row, name: members.get(row.key)?.name ?? labels.formerMember }))
  }
  if (table === 'networks') return rows.map((row) => ({ ...row, name: networkLabel(row.key) }))
  // By topic: every post of the range grouped in SQL, then added up per topic of the post (a post
  // with two topics counts in both); the work follows the posts shared, not the clicks.
  const topicsOf = await app.feeds.topicsOf(em, rows.map((row) => row.key))
  const byTopic = new Map<string, TableRow>()
  for (const row of rows) {
    const topics = topicsOf.get(row.key) ?? [{ id: '', name: labels.noTopic }]
    for (const topic of topics) {
      const entry = byTopic.get(topic.id) ?? { key: topic.id, name: topic.name, shares: 0, clicks: 0, uniqueClicks: 0 }
      entry.shares += row.shares
      entry.clicks += row.clicks
      entry.uniqueClicks += row.uniqueClicks
      byTopic.set(topic.id, entry)
    }
  }
  return [...byTopic.values()].sort((a, b) => b.clicks - a.clicks || b.shares - a.shares || a.name.localeCompare(b.name))
}

/** One dashboard table, as its CSV file shows it (the page builds the same rows with `dashboardOf`). */
export async function tableOf(app: FastifyInstance, em: EntityManager, tenantId: string, range: DayRange, table: TableName, labels: Labels): Promise<TableRow[]> {
  const rows =
    table === 'posts'
      ? await breakdown(em, tenantId, range, 'post_id', { limit: TOP_ROWS })
      : table === 'members'
        ? await breakdown(em, tenantId, range, 'member_id', { limit: TOP_ROWS })
        : table === 'networks'
          ? await breakdown(em, tenantId, range, 'network', { limit: null })
          : await breakdown(em, tenantId, range, 'post_id', { limit: null })
  return named(app, em, table, rows, labels)
}

/** The rows of the range itself (those with a key), as a table shows them, most clicked first. */
const inRange = (rows: PeriodRow[]): BreakdownRow[] =>
  rows
    .filter((row) => row.key !== '' && row.inRange)
    .map((row) => ({ key: row.key, ...row.current }))
    .sort(byClicks)

/**
 * Everything the dashboard page shows but the chart: the totals of the range and of the one before
 * it, and the four tables, from the grouped queries of `summary` (plus reach of the members who
 * declared an audience, and the names). The figures are those of `totalsOf` and `tableOf`, which the
 * tests hold them to.
 */
export async function dashboardOf(app: FastifyInstance, em: EntityManager, tenantId: string, range: DayRange, labels: Labels): Promise<{ current: Totals; previous: Totals; tables: Record<TableName, TableRow[]> }> {
  const previousRange = previousOf(range)
  const { byMember, byNetwork, byPost } = await summary(em, tenantId, range, previousRange)
  const sharers = byMember.filter((row) => row.key !== '' && (row.current.shares > 0 || row.previous.shares > 0))
  // Reach (audiences, then the shares of those who declared one) and the tables' names at once: only
  // the posts are entities, every other query reads plain rows, so nothing shares the identity map.
  const reachParts = async () => {
    const audiences = await audiencesOf(em, tenantId, sharers.map((row) => row.key))
    const declared = [...audiences].filter(([, audience]) => Object.keys(audience).length > 0).map(([memberId]) => memberId)
    return { audiences, pairs: await sharesOfMembers(em, tenantId, range, previousRange, declared) }
  }
  const [{ audiences, pairs }, posts, members, topics] = await Promise.all([
    reachParts(),
    named(app, em, 'posts', byPost.slice(0, TOP_ROWS), labels),
    named(app, em, 'members', inRange(byMember).slice(0, TOP_ROWS), labels),
    named(app, em, 'topics', byPost, labels)
  ])
  const networks = await named(app, em, 'networks', inRange(byNetwork), labels)
  const totalsFor = (period: 'current' | 'previous'): Totals => {
    const sums = { shares: 0, clicks: 0, uniqueClicks: 0 }
    for (const row of byNetwork) {
      sums.shares += row[period].shares
      sums.clicks += row[period].clicks
      sums.uniqueClicks += row[period].uniqueClicks
    }
    const { reach, sharesWithAudience } = reachOf(pairs.map((pair) => ({ memberId: pair.memberId, network: pair.network, shares: pair[period] })), audiences)
    return { ...sums, activeMembers: sharers.filter((row) => row[period].shares > 0).length, reach, sharesWithAudience }
  }
  return { current: totalsFor('current'), previous: totalsFor('previous'), tables: { posts, members, networks, topics } }
}
