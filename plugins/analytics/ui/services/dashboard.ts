import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { AnalyticsMember } from '../../entities/member.entity.js'
import { previousOf, type DayRange } from '../lib/range.js'
import { activeMembers, breakdown, sharesByMemberAndNetwork, totals, type BreakdownRow } from './rollups.js'

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
export async function totalsOf(em: EntityManager, tenantId: string, range: DayRange): Promise<Totals> {
  const [sums, active, byMemberNetwork] = await Promise.all([totals(em, tenantId, range, COUNTED), activeMembers(em, tenantId, range), sharesByMemberAndNetwork(em, tenantId, range)])
  const memberIds = [...new Set(byMemberNetwork.map((row) => row.memberId))]
  const audiences = new Map<string, Record<string, number>>()
  // In slices, to stay under SQLite's limit on bound values; one row per member who shared.
  for (let start = 0; start < memberIds.length; start += 500) {
    const rows = await em.find(AnalyticsMember, { tenantId, memberId: { $in: memberIds.slice(start, start + 500) } }, { fields: ['memberId', 'audience'] })
    for (const row of rows) audiences.set(row.memberId, row.audience ?? {})
  }
  let reach = 0
  let sharesWithAudience = 0
  for (const { memberId, network, shares } of byMemberNetwork) {
    const audience = audiences.get(memberId)?.[network]
    if (typeof audience === 'number' && audience >= 0) {
      reach += shares * audience
      sharesWithAudience += shares
    }
  }
  return { shares: sums.share, clicks: sums.click, uniqueClicks: sums.unique_click, activeMembers: active, reach, sharesWithAudience }
}

export async function totalsWithPrevious(em: EntityManager, tenantId: string, range: DayRange) {
  const current = await totalsOf(em, tenantId, range)
  const previous = await totalsOf(em, tenantId, previousOf(range))
  return { current, previous }
}

/** One dashboard table, as both the page and its CSV file show it. */
export async function tableOf(app: FastifyInstance, em: EntityManager, tenantId: string, range: DayRange, table: TableName, labels: { noTopic: string; formerMember: string; deletedPost: string }): Promise<TableRow[]> {
  if (table === 'posts') {
    const rows = await breakdown(em, tenantId, range, 'post_id', { limit: TOP_ROWS })
    const posts = await app.feeds.posts(em, rows.map((row) => row.key))
    return rows.map((row) => {
      const post = posts.get(row.key)
      return { ...row, name: post?.title ?? labels.deletedPost, href: post ? `/posts/${post.id}` : undefined }
    })
  }
  if (table === 'members') {
    const rows = await breakdown(em, tenantId, range, 'member_id', { limit: TOP_ROWS })
    const members = await app.auth.members(em, rows.map((row) => row.key))
    return rows.map((row) => ({ ...row, name: members.get(row.key)?.name ?? labels.formerMember }))
  }
  if (table === 'networks') {
    const rows = await breakdown(em, tenantId, range, 'network', { limit: null })
    return rows.map((row) => ({ ...row, name: networkLabel(row.key) }))
  }
  // By topic: every post of the range grouped in SQL, then added up per topic of the post (a post
  // with two topics counts in both); the work follows the posts shared, not the clicks.
  const perPost = await breakdown(em, tenantId, range, 'post_id', { limit: null })
  const topicsOf = await app.feeds.topicsOf(em, perPost.map((row) => row.key))
  const byTopic = new Map<string, TableRow>()
  for (const row of perPost) {
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
