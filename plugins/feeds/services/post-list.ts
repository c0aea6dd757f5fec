import type { EntityManager } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'
import { Post, POST_STATUSES, type PostEntity, type PostStatus } from '../entities/post.entity.js'
import { containsText } from './feed.js'

export const LIST_PAGE_SIZE = 50

export interface PostListRequest {
  tenantId: string
  /** One status, or every post. */
  status?: PostStatus
  /** Words the title contains (any case). */
  search?: string
  /** From 1. */
  page: number
}

export interface PostList {
  posts: PostEntity[]
  /** Posts per status with the same search, for the tabs. */
  counts: Record<PostStatus, number>
  more: boolean
}

/**
 * The curators' list of an instance's posts, whatever their status: the next scheduled first, the
 * latest published first, drafts and archived posts by their last change. A page is read by offset:
 * an instance's posts number in the thousands at most, and curators page through few of them.
 */
export async function postList(em: EntityManager, request: PostListRequest): Promise<PostList> {
  const sql = em as SqlEntityManager
  const titled = request.search ? containsText(em, 'p.title', request.search) : undefined
  const pattern = titled ? [titled.value] : []

  const counted = await sql
    .getConnection()
    .execute<{ status: PostStatus; n: number | string }[]>(
      `select p.status as status, count(*) as n from feeds_post p where p.tenant_id = ?${titled ? ` and ${titled.sql}` : ''} group by p.status`,
      [request.tenantId, ...pattern]
    )
  const counts = Object.fromEntries(POST_STATUSES.map((status) => [status, 0])) as Record<PostStatus, number>
  for (const row of counted) counts[row.status] = Number(row.n)

  const qb = sql.createQueryBuilder(Post, 'p').select('*').where({ tenantId: request.tenantId, ...(request.status ? { status: request.status } : {}) })
  if (titled) qb.andWhere(titled.sql, pattern)
  const order: Record<string, 'asc' | 'desc'> =
    request.status === 'scheduled' ? { publishAt: 'asc', id: 'asc' } : request.status === 'published' ? { publishedAt: 'desc', id: 'desc' } : { updatedAt: 'desc', id: 'desc' }
  const rows = await qb
    .orderBy(order)
    .limit(LIST_PAGE_SIZE + 1)
    .offset((request.page - 1) * LIST_PAGE_SIZE)
    .getResultList()
  return { posts: rows.slice(0, LIST_PAGE_SIZE), counts, more: rows.length > LIST_PAGE_SIZE }
}
