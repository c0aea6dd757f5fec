import { randomUUID } from 'node:crypto'
import { buildApp } from '../core/app.js'
import { loadConfig } from '../core/config/load.js'
import { Post } from '../plugins/feeds/entities/index.js'
import { Click, Link } from '../plugins/sharing/entities/sharing.entity.js'
import { newCode } from '../plugins/sharing/lib/codes.js'
import { NETWORKS } from '../plugins/sharing/lib/networks.js'
import { trackedTarget } from '../plugins/sharing/services/links.js'
import { seedFeed } from './feed-seed.js'
import { withApp } from './harness.js'

/**
 * An instance whose member has shared a lot: `links` tracked links, one per (post, network), written
 * with multi-row inserts so 10,000 take a second. The instance, member and posts come from the feed
 * bench's seed (bench/feed-seed.ts), made as in production.
 */

const CHUNK = 500

export interface SeededLinks {
  /** Every link's code; the first is the one the viral scenario hits. */
  codes: string[]
}

export async function seedLinks(env: Record<string, string>, dir: string, links: number): Promise<SeededLinks> {
  const posts = Math.ceil(links / NETWORKS.length)
  const seeded = await seedFeed(env, dir, posts)
  return withApp(env, dir, async (app) => {
    const em = app.kaiku.orm.em.fork()
    const rows = await em.find(Post, { tenantId: seeded.tenantId }, { filters: false, fields: ['id', 'url'], orderBy: { id: 'asc' } })
    const now = new Date()
    const all = rows.flatMap((post) =>
      NETWORKS.map((network) => ({
        id: randomUUID(),
        tenantId: seeded.tenantId,
        code: newCode(),
        postId: post.id,
        memberId: seeded.readerId,
        network,
        target: trackedTarget(post.url, network, 'employee_advocacy'),
        createdAt: now
      }))
    ).slice(0, links)
    await em.transactional(async (tx) => {
      for (let start = 0; start < all.length; start += CHUNK) await tx.insertMany(Link, all.slice(start, start + CHUNK))
    })
    return { codes: all.map((link) => link.code) }
  })
}

/** Counts the clicks stored so far, with an app of its own on the same database (closed by `close`). */
export async function clickCounter(env: Record<string, string>, dir: string): Promise<{ count(): Promise<number>; close(): Promise<void> }> {
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir, migrate: false })
  return { count: () => app.kaiku.orm.em.fork().count(Click, {}, { filters: false }), close: () => app.close() }
}
