import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { Member } from '../plugins/auth/entities/member.entity.js'
import { memberService } from '../plugins/auth/services/members.js'
import { FavouriteTopic, Post, PostTopic, Reaction, Reader, Topic } from '../plugins/feeds/entities/index.js'
import type { PostEntity } from '../plugins/feeds/entities/post.entity.js'
import { TOPIC_COLOURS } from '../plugins/feeds/entities/topic.entity.js'
import { withApp } from './harness.js'

/**
 * A company instance with a feed of `posts` posts, written straight into the database (multi-row
 * inserts in a few transactions) so that 100,000 take seconds, not the hours the editor would. The
 * instance itself (tenant, owner) is made by the first-run setup form and the member by the members
 * service, as in production. Random but reproducible: the same seed gives the same feed.
 */

export const OWNER = { name: 'Olivia Owner', email: 'olivia@acme.com', password: 'correct horse battery', company: 'Acme', slug: 'acme', domains: 'acme.com' }
/** The member the bench signs in as; two of the eight topics are their favourites. */
export const READER = { name: 'Mia Member', email: 'mia@acme.com', password: 'a member password 1' }

const TOPICS = ['Company news', 'Products', 'Sustainability', 'People', 'Careers', 'Events', 'Research', 'Customers']
/** How often each topic is used: a few busy ones, a long tail. */
const TOPIC_WEIGHTS = [30, 20, 12, 12, 10, 8, 5, 3]
const FAVOURITES = ['Sustainability', 'Careers']
const YEARS = 3
const DAY = 86_400_000
const CHUNK = 500
const ROWS_PER_TRANSACTION = 10_000

/** mulberry32: a tiny seeded generator, so two runs seed the same feed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = 'wind solar plant team customer launch award partner record growth apprentice office factory product update quarter research design service recycling training community safety energy logistics digital'.split(' ')

function sentence(next: () => number, words: number): string {
  const picked = Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)])
  const text = picked.join(' ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function weightedTopic(next: () => number, topicIds: string[]): string {
  const total = TOPIC_WEIGHTS.reduce((sum, weight) => sum + weight, 0)
  let pick = next() * total
  for (let i = 0; i < topicIds.length; i++) {
    pick -= TOPIC_WEIGHTS[i]
    if (pick < 0) return topicIds[i]
  }
  return topicIds[0]
}

interface Seeded {
  tenantId: string
  ownerId: string
  readerId: string
  topicIds: string[]
}

/**
 * Posts as a busy instance has them after three years: published at random times over the period
 * (most of them), some archived or still drafts, a tenth with a future expiry and a few expired ones
 * the expiry job has not archived yet, three pinned; one or two topics each (a few topics much busier
 * than the rest); most with an image; likes, some by the reader; now and then a member's suggestion.
 */
async function insertPosts(em: EntityManager, seeded: Seeded, count: number, next: () => number): Promise<void> {
  const now = Date.now()
  let written = 0
  while (written < count) {
    const batch = Math.min(ROWS_PER_TRANSACTION, count - written)
    await em.transactional(async (tx) => {
      for (let start = 0; start < batch; start += CHUNK) {
        const posts: PostEntity[] = []
        const links: { id: string; tenantId: string; postId: string; topicId: string }[] = []
        const likes: { id: string; tenantId: string; postId: string; memberId: string; createdAt: Date }[] = []
        for (let i = 0; i < Math.min(CHUNK, batch - start); i++) {
          const index = written + start + i
          const kind = next()
          const status = kind < 0.95 ? 'published' : kind < 0.98 ? 'archived' : 'draft'
          const publishedAt = status === 'draft' ? null : new Date(now - Math.floor(next() * YEARS * 365 * DAY))
          const expiry = next()
          const expiresAt = status !== 'published' || expiry > 0.12 ? null : new Date(now + (expiry < 0.1 ? 1 : -1) * Math.floor(next() * 90 * DAY))
          const id = randomUUID()
          const created = publishedAt ?? new Date(now - Math.floor(next() * 30 * DAY))
          posts.push({
            id,
            tenantId: seeded.tenantId,
            url: `https://news.acme.com/${created.getUTCFullYear()}/${index}-${sentence(next, 3).toLowerCase().replace(/ /g, '-')}`,
            title: sentence(next, 5 + Math.floor(next() * 7)),
            summary: `${sentence(next, 20 + Math.floor(next() * 20))}.`,
            imageId: next() < 0.7 ? randomUUID() : null,
            disclosure: null,
            textsLocked: false,
            status,
            pinned: false,
            publishAt: null,
            publishedAt,
            expiresAt,
            authorId: seeded.ownerId,
            suggestedById: next() < 0.05 ? seeded.readerId : null,
            sourceId: null,
            likeCount: Math.floor(next() * next() * 40),
            commentCount: Math.floor(next() * next() * 8),
            createdAt: created,
            updatedAt: created
          } as PostEntity)
          const first = weightedTopic(next, seeded.topicIds)
          const second = next() < 0.3 ? weightedTopic(next, seeded.topicIds) : first
          for (const topicId of new Set([first, second])) links.push({ id: randomUUID(), tenantId: seeded.tenantId, postId: id, topicId })
          if (status === 'published' && next() < 0.03) likes.push({ id: randomUUID(), tenantId: seeded.tenantId, postId: id, memberId: seeded.readerId, createdAt: new Date(now) })
        }
        await tx.insertMany(Post, posts)
        await tx.insertMany(PostTopic, links)
        if (likes.length) await tx.insertMany(Reaction, likes)
      }
    })
    written += batch
  }
  // Pinned: three recent published posts, as curators pin this week's news.
  const recent = await em.find(Post, { tenantId: seeded.tenantId, status: 'published', expiresAt: null }, { orderBy: { publishedAt: 'desc' }, limit: 3, offset: 2, filters: false })
  for (const post of recent) post.pinned = true
  await em.flush()
}

/** Migrates the database `env` names and seeds it (see the top of this file); returns what it made. */
export async function seedFeed(env: Record<string, string>, dir: string, posts: number, seed = 20261129): Promise<Seeded> {
  return withApp(env, dir, async (app) => {
    const host = new URL(env.KAIKU_PUBLIC_URL).host
    const form = await app.inject({ url: '/setup', headers: { host, accept: 'text/html' } })
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1]
    const cookie = form.cookies.find((c) => c.name === 'kaiku')
    if (!token || !cookie) throw new Error(`seed: no setup form (${form.statusCode})`)
    const setup = await app.inject({ method: 'POST', url: '/setup', headers: { host, cookie: `kaiku=${cookie.value}` }, payload: { ...OWNER, _csrf: token } })
    if (setup.statusCode !== 303) throw new Error(`seed: the setup failed (${setup.statusCode}): ${setup.body.slice(0, 300)}`)

    const em = app.kaiku.orm.em.fork()
    const tenant = (await app.tenancy.bySlug(em, OWNER.slug))!
    em.setFilterParams('tenant', { tenantId: tenant.id })
    const owner = await em.findOneOrFail(Member, { email: OWNER.email })
    const reader = await memberService((text) => app.tenancy.parseEmail(text)).create(em, tenant, { ...READER, role: 'member', status: 'active' })

    const now = new Date()
    const topics = TOPICS.map((name, position) =>
      em.create(Topic, { id: randomUUID(), tenantId: tenant.id, name, description: `All about ${name.toLowerCase()}`, colour: TOPIC_COLOURS[position % TOPIC_COLOURS.length], position: position + 1, archived: false, createdAt: now })
    )
    for (const topic of topics.filter((t) => FAVOURITES.includes(t.name))) em.create(FavouriteTopic, { id: randomUUID(), tenantId: tenant.id, memberId: reader.id, topicId: topic.id })
    // Onboarded, and seen just now: the feed does not stop to write the visit during the run.
    em.create(Reader, { id: randomUUID(), tenantId: tenant.id, memberId: reader.id, onboardedAt: now, lastVisitAt: now, previousVisitAt: new Date(now.getTime() - 7 * DAY) })
    await em.flush()

    const seeded = { tenantId: tenant.id, ownerId: owner.id, readerId: reader.id, topicIds: topics.map((t) => t.id) }
    await insertPosts(em.fork(), seeded, posts, random(seed))
    // PostgreSQL's autovacuum would analyse the fresh tables within a minute; the bench does not wait.
    if (env.DATABASE_URL.startsWith('postgres')) await em.getConnection().execute('analyze')
    return seeded
  })
}
