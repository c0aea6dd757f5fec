import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
import type { PrivacyConfig } from '../config.js'
import { PolicyAcknowledgment, PolicyVersion, type PolicyVersionEntity } from '../entities/privacy.entity.js'
import { categories } from './declarations.js'

export const POLICY_MAX = 50_000

const who: Record<string, string> = {
  member: 'you',
  members: 'the members of your instance',
  curators: 'its curators',
  admins: 'its admins',
  operators: 'the operators of the server (to troubleshoot, and each look is logged)'
}

/**
 * The policy as the declarations and settings say it, for an instance that has not published its own:
 * plain text with `#` headings, `-` list items and blank-line paragraphs.
 */
export function generatedPolicy(ctx: PluginContext<PrivacyConfig>, tenantName: string, optionalCookies: string[]): string {
  const location = ctx.config.dataLocation || 'the servers of the company that runs this Kaiku'
  const mail = ctx.settings.mailHost ? `- Mail: sent through the mail server ${ctx.settings.mailHost}.` : '- Mail: kept in a local mailbox on the same server (no mail server is configured).'
  const lines = [
    `# Privacy policy of ${tenantName}`,
    '',
    `${tenantName} uses Kaiku to share company news with its employees, who may pass it on to their own networks. This policy says what Kaiku keeps about you, why, for how long and who can see it. It is generated from what each part of Kaiku declares it stores.`,
    '',
    '## Where your data lives',
    '',
    `Everything is stored in one database on ${location}. The ${ctx.settings.dialect === 'postgresql' ? 'PostgreSQL' : 'SQLite'} database is the only place your data is kept.`,
    '',
    '- Database: on the same infrastructure, run by the company.',
    mail,
    '- No other processors: pages load nothing from other sites, and your data is never sold, rented or shared.',
    '',
    '## What we keep',
    ''
  ]
  for (const category of categories(ctx)) {
    lines.push(`### ${category.title}`, '', `Why: ${category.purpose}`, '')
    lines.push(`- What: ${category.fields.join('; ')}.`, `- How long: ${category.retention}`, `- Who can see it: ${category.visibleTo.map((role) => who[role] ?? role).join(', ')}.`, '')
  }
  lines.push(
    '## Cookies',
    '',
    'Kaiku sets one cookie to keep your session; with "remember me" the same cookie lasts across visits. ' +
      (optionalCookies.length ? `Optional cookies (${optionalCookies.join(', ')}) are set only after you agree.` : 'No other cookies are set.') +
      ' The cookie page lists them.',
    '',
    '## Your rights',
    '',
    '- See what Kaiku holds about you at /me/data.',
    '- Download a copy of all of it at /me/export.',
    '- Have it erased at /me/delete, or ask an admin to anonymise your analytics history.',
    ''
  )
  return lines.join('\n')
}

export type PolicyBlock = { heading?: string; level?: number; paragraph?: string; items?: string[] }

/** Headings, lists and paragraphs as plain strings: the template escapes each, so no HTML gets through. */
export function policyBlocks(text: string): PolicyBlock[] {
  const blocks: PolicyBlock[] = []
  for (const chunk of text.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const lines = chunk.split('\n').map((line) => line.trim()).filter(Boolean)
    if (lines.length === 0) continue
    const heading = /^(#{1,3})\s+(.*)$/.exec(lines[0])
    if (heading) {
      blocks.push({ heading: heading[2], level: heading[1].length + 1 })
      if (lines.length > 1) blocks.push(...policyBlocks(lines.slice(1).join('\n')))
      continue
    }
    if (lines.every((line) => line.startsWith('- '))) blocks.push({ items: lines.map((line) => line.slice(2)) })
    else blocks.push({ paragraph: lines.join(' ') })
  }
  return blocks
}

export async function currentPolicy(em: EntityManager): Promise<PolicyVersionEntity | null> {
  return em.findOne(PolicyVersion, {}, { orderBy: { version: 'desc' } })
}

/** Publishes `body` as the next version; members acknowledge it at their next visit. */
export async function publishPolicy(em: EntityManager, tenantId: string, body: string, memberId: string): Promise<PolicyVersionEntity> {
  return em.transactional(async (tx) => {
    const latest = await currentPolicy(tx)
    const version = tx.create(PolicyVersion, { id: crypto.randomUUID(), tenantId, version: (latest?.version ?? 0) + 1, body, publishedAt: new Date(), publishedBy: memberId })
    // Whoever publishes it has read it.
    tx.create(PolicyAcknowledgment, { id: crypto.randomUUID(), tenantId, memberId, version: version.version, at: new Date() })
    await tx.flush()
    return version
  })
}

/**
 * The latest published version of each instance, kept a few seconds: every signed-in page asks for it
 * (has this member read the current policy?), and nearly always nothing changed. Publishing here
 * forgets it at once; other processes learn of a new version within `ttlMs`.
 */
export class LatestVersions {
  private readonly known = new Map<string, { version: number | null; until: number }>()

  constructor(private readonly ttlMs = 5_000) {}

  async of(em: EntityManager, tenantId: string): Promise<number | null> {
    const now = Date.now()
    const cached = this.known.get(tenantId)
    if (cached && cached.until > now) return cached.version
    const latest = await em.findOne(PolicyVersion, {}, { orderBy: { version: 'desc' }, fields: ['version'] })
    const version = latest?.version ?? null
    this.known.set(tenantId, { version, until: now + this.ttlMs })
    return version
  }

  forget(tenantId: string): void {
    this.known.delete(tenantId)
  }
}

/** The version a member still has to acknowledge, if any (one query only when a policy is published). */
export async function pendingVersion(em: EntityManager, versions: LatestVersions, tenantId: string, memberId: string): Promise<number | undefined> {
  const latest = await versions.of(em, tenantId)
  if (latest === null) return undefined
  const seen = await em.count(PolicyAcknowledgment, { memberId, version: latest })
  return seen ? undefined : latest
}

export async function acknowledge(em: EntityManager, tenantId: string, memberId: string, version: number): Promise<void> {
  if (await em.count(PolicyAcknowledgment, { memberId, version })) return
  try {
    await em.insert(PolicyAcknowledgment, { id: crypto.randomUUID(), tenantId, memberId, version, at: new Date() })
  } catch (error) {
    // Two tabs acknowledging at once: the other one recorded it.
    if (!(error instanceof UniqueConstraintViolationException)) throw error
  }
}
