import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { newCode } from '../lib/codes.js'
import { NETWORKS } from '../lib/networks.js'
import { Link, type LinkEntity } from '../entities/sharing.entity.js'

/** The parameters a tracked link sets; the post's own values for them give way. */
const UTM = new Set(['utm_source', 'utm_medium', 'utm_campaign'])

/** A query part's name as a server reads it (`utm%5Fsource=` is `utm_source`). */
function nameOf(part: string): string {
  const name = part.split('=', 1)[0].replace(/\+/g, ' ')
  try {
    return decodeURIComponent(name)
  } catch {
    return name
  }
}

/**
 * The post's URL with the campaign's UTM parameters. The post's own query stays exactly as it is
 * written (re-encoding it would change what some servers read, and could triple its length); only
 * UTM parameters it already has give way to the link's. Only http(s) targets are ever stored;
 * anything else (which feeds never stores either) is refused here as well.
 */
export function trackedTarget(postUrl: string, network: string, campaign: string): string {
  const url = new URL(postUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('only http(s) targets')
  const query = url.search.slice(1).split('&').filter((part) => part !== '' && !UTM.has(nameOf(part)))
  query.push(new URLSearchParams({ utm_source: network, utm_medium: 'employee_advocacy', utm_campaign: campaign }).toString())
  return `${url.origin}${url.pathname}?${query.join('&')}${url.hash}`
}

/**
 * The member's link for a post and network: made once, then the same link every time. A link made
 * before the instance's campaign changed takes the new one when the member shares again (`retargeted`
 * is told its code, for the links held in memory).
 */
export async function linkFor(
  em: EntityManager,
  input: { tenantId: string; postId: string; memberId: string; network: string; target: string },
  retargeted: (code: string) => void
): Promise<LinkEntity> {
  const existing = await em.findOne(Link, { postId: input.postId, memberId: input.memberId, network: input.network })
  if (existing) {
    if (existing.target !== input.target) {
      existing.target = input.target
      await em.flush()
      retargeted(existing.code)
    }
    return existing
  }
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

/**
 * A post's URL changed: every link made for it leads to the new URL from now on, with the campaign the
 * instance has now. Nothing of a click's takes part; the post's curators chose the URL.
 */
export async function retargetPost(em: EntityManager, input: { tenantId: string; postId: string; url: string; campaign: string }): Promise<number> {
  let changed = 0
  await em.transactional(async (tx) => {
    for (const network of NETWORKS) {
      changed += await tx.nativeUpdate(Link, { tenantId: input.tenantId, postId: input.postId, network }, { target: trackedTarget(input.url, network, input.campaign) }, { filters: false })
    }
  })
  return changed
}
