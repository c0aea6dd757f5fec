import type { EntityManager } from '@mikro-orm/core'
import type { SqlEntityManager } from '@mikro-orm/knex'
import { Post, type PostEntity } from '../entities/post.entity.js'

export const PAGE_SIZE = 20
const PINNED_MAX = 5

/** Where the reader is in the feed: the last post shown, and for "For you" which part of it. */
interface Cursor {
  /** 1: posts in the reader's favourite topics; 2: the rest. Other tabs have one part. */
  part: 1 | 2
  publishedAt: string
  id: string
}

export const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify([cursor.part, cursor.publishedAt, cursor.id])).toString('base64url')

export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text) return undefined
  try {
    const [part, publishedAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[]
    if ((part !== 1 && part !== 2) || typeof publishedAt !== 'string' || Number.isNaN(Date.parse(publishedAt)) || typeof id !== 'string' || id.length > 36) return undefined
    return { part, publishedAt, id }
  } catch {
    return undefined
  }
}

export interface FeedRequest {
  tenantId: string
  /** Topics the page is limited to: one for a topic tab. */
  topicId?: string
  /** "For you": these topics first, then everything else. */
  favourites?: readonly string[]
  search?: string
  cursor?: Cursor
  now: Date
}

export interface FeedPage {
  pinned: PostEntity[]
  posts: PostEntity[]
  next?: string
}

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ')

/** LIKE with the user's text taken literally. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** GLOB with the user's text taken literally, each letter as a class of its cases: `Är` → `*[Ää][Rr]*`. */
const globPattern = (text: string) =>
  `*${Array.from(text)
    .map((character) => {
      const cases = new Set([character, character.toLowerCase(), character.toUpperCase()].filter((variant) => Array.from(variant).length === 1))
      if (cases.size > 1) return `[${[...cases].join('')}]`
      return '*?['.includes(character) ? `[${character}]` : character
    })
    .join('')}*`

/**
 * Whether the text of `column` contains `text`, in any case, as SQL and its parameter. PostgreSQL's
 * lower() folds every letter; SQLite's lower() and LIKE fold only A to Z, so `Ärger` would not find
 * "ärger": there each letter is matched as a GLOB class of its cases instead.
 */
export function containsText(em: EntityManager, column: string, text: string): { sql: string; value: string } {
  if (em.config.get('driver')?.name === 'SqliteDriver') return { sql: `${column} glob ?`, value: globPattern(text) }
  return { sql: `lower(${column}) like ? escape '\\'`, value: likePattern(text) }
}

/**
 * One page of the feed by keyset: published, unexpired posts older than the cursor, newest first, read
 * along the (tenant, status, publishedAt, id) index, so page N costs what page 1 costs however many
 * posts exist. Pinned posts come separately, on the first page only.
 */
export async function feedPage(em: EntityManager, request: FeedRequest): Promise<FeedPage> {
  const searching = Boolean(request.search)
  const favourites = request.favourites?.length ? request.favourites : undefined
  const parts: (1 | 2)[] = favourites ? [1, 2] : [2]
  const startPart = request.cursor?.part ?? parts[0]
  const posts: (PostEntity & { part: 1 | 2 })[] = []
  for (const part of parts.filter((p) => p >= startPart)) {
    const want = PAGE_SIZE + 1 - posts.length
    if (want <= 0) break
    const after = request.cursor && request.cursor.part === part ? request.cursor : undefined
    const rows = await query(em, request, { part, favourites, after, limit: want, pinned: searching ? undefined : false })
    posts.push(...rows.map((row) => Object.assign(row, { part })))
  }
  const more = posts.length > PAGE_SIZE
  const shown = posts.slice(0, PAGE_SIZE)
  const last = shown[shown.length - 1]
  const pinned = request.cursor || searching ? [] : await query(em, request, { part: 2, limit: PINNED_MAX, pinned: true })
  return {
    pinned,
    posts: shown,
    next: more && last ? encodeCursor({ part: last.part, publishedAt: last.publishedAt!.toISOString(), id: last.id }) : undefined
  }
}

interface PartQuery {
  part: 1 | 2
  favourites?: readonly string[]
  after?: Cursor
  limit: number
  pinned?: boolean
}

async function query(em: EntityManager, request: FeedRequest, part: PartQuery): Promise<PostEntity[]> {
  const qb = (em as SqlEntityManager)
    .createQueryBuilder(Post, 'p')
    .select('*')
    .where({ tenantId: request.tenantId, status: 'published' })
    .andWhere({ $or: [{ expiresAt: null }, { expiresAt: { $gt: request.now } }] })
  if (part.pinned !== undefined) qb.andWhere({ pinned: part.pinned })
  if (request.topicId) qb.andWhere('exists (select 1 from feeds_post_topic pt where pt.post_id = p.id and pt.topic_id = ?)', [request.topicId])
  if (part.favourites) {
    const test = `exists (select 1 from feeds_post_topic pt where pt.post_id = p.id and pt.topic_id in (${placeholders(part.favourites)}))`
    qb.andWhere(part.part === 1 ? test : `not ${test}`, [...part.favourites])
  }
  if (request.search) {
    const title = containsText(em, 'p.title', request.search)
    const summary = containsText(em, "coalesce(p.summary, '')", request.search)
    qb.andWhere(`(${title.sql} or ${summary.sql})`, [title.value, summary.value])
  }
  if (part.after) {
    const at = new Date(part.after.publishedAt)
    qb.andWhere({ $or: [{ publishedAt: { $lt: at } }, { publishedAt: at, id: { $lt: part.after.id } }] })
  }
  return qb.orderBy({ publishedAt: 'desc', id: 'desc' }).limit(part.limit).getResultList()
}
