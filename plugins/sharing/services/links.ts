import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { newCode } from '../lib/codes.js'
import { Link, type LinkEntity } from '../entities/sharing.entity.js'

/**
 * The post's URL with the campaign's UTM parameters. Only http(s) targets are ever stored; anything
 * else (which feeds never stores either) is refused here as well.
 */
export function trackedTarget(postUrl: string, network: string, campaign: string): string {
  const url = new URL(postUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('only http(s) targets')
  url.searchParams.set('utm_source', network)
  url.searchParams.set('utm_medium', 'employee_advocacy')
  url.searchParams.set('utm_campaign', campaign)
  return url.href
}

/** The member's link for a post and network: made once, then the same link every time. */
export async function linkFor(em: EntityManager, input: { tenantId: string; postId: string; memberId: string; network: string; target: string }): Promise<LinkEntity> {
  const existing = await em.findOne(Link, { postId: input.postId, memberId: input.memberId, network: input.network })
  if (existing) return existing
  for (let attempt = 0; ; attempt++) {
    const fork = em.fork()
    const link = fork.create(Link, { id: randomUUID(), code: newCode(), createdAt: new Date(), ...input })
    try {
      await fork.flush()
      return (await em.findOne(Link, { id: link.id }))!
    } catch (error) {
      // A double click made the same link meanwhile, or (once in a blue moon) the code was taken.
      if (!(error instanceof UniqueConstraintViolationException) || attempt >= 3) throw error
      const raced = await em.findOne(Link, { postId: input.postId, memberId: input.memberId, network: input.network }, { refresh: true })
      if (raced) return raced
    }
  }
}
