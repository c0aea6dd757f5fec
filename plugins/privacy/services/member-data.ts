import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { ConflictError, NotFoundError, type PluginContext, type PrivacyErasePart, type PrivacyExportPart } from '../../../core/api.js'
import type { PrivacyConfig } from '../config.js'
import { DataExport, type DataExportEntity } from '../entities/privacy.entity.js'
import { buildArchive } from './archive.js'
import { eraseCoreAndPrivacy, exportCoreAndPrivacy } from './core-data.js'
import { categories } from './declarations.js'

export const EXPORT_JOB = 'privacy.export'
export const hashToken = (raw: string) => createHash('sha256').update(raw).digest('hex')

type Ctx = PluginContext<PrivacyConfig>

/** The member as other plugins know them, or a 404 (another instance's id included). */
export async function memberCard(app: FastifyInstance, em: EntityManager, memberId: string) {
  const card = (await app.auth.members(em, [memberId])).get(memberId)
  if (!card) throw new NotFoundError()
  return card
}

/** Every plugin's rows about the member, then core's and the privacy plugin's own. */
export async function collectParts(app: FastifyInstance, ctx: Ctx, em: EntityManager, tenantId: string, memberId: string): Promise<PrivacyExportPart[]> {
  const card = await memberCard(app, em, memberId)
  const subject = { em, tenantId, memberId, name: card.name, email: card.email }
  const parts = await ctx.events.filter('privacy.export', [], subject)
  return exportCoreAndPrivacy(parts, subject)
}

/** Row counts per category, for `/me/data`. */
export async function countsByCategory(app: FastifyInstance, ctx: Ctx, em: EntityManager, tenantId: string, memberId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const part of await collectParts(app, ctx, em, tenantId, memberId)) {
    const key = `${part.plugin}/${part.category}`
    counts.set(key, (counts.get(key) ?? 0) + part.rows.length)
  }
  return counts
}

/**
 * Asks for an export. While one is queued or ready (and not expired), asking again finds it: the
 * unique (tenant, openKey) makes a second request, even a simultaneous one, fail to insert.
 */
export async function requestExport(ctx: Ctx, em: EntityManager, tenantId: string, memberId: string): Promise<{ created: boolean }> {
  await closeExpired(em, memberId)
  try {
    await em.transactional(async (tx) => {
      const id = randomUUID()
      await tx.insert(DataExport, { id, tenantId, memberId, openKey: memberId, status: 'queued', tokenHash: null, archive: null, bytes: 0, requestedAt: new Date(), readyAt: null, expiresAt: null, downloadedAt: null })
      await ctx.jobs.enqueue(tx, EXPORT_JOB, { tenantId, exportId: id }, { key: `privacy-export:${id}` })
    })
    return { created: true }
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return { created: false }
    throw error
  }
}

/** An export whose link expired is closed (archive deleted), so a new one may be asked for. */
async function closeExpired(em: EntityManager, memberId: string): Promise<void> {
  await em.nativeUpdate(DataExport, { memberId, status: 'ready', expiresAt: { $lte: new Date() } }, { status: 'expired', openKey: null, archive: null, tokenHash: null })
}

/**
 * The job: builds the archive in the job's transaction and mails the member that it is ready (the
 * mail leads to `/me/export`, where the download link is made; it carries no link to the archive).
 */
export async function prepareExport(app: FastifyInstance, ctx: Ctx, em: EntityManager, payload: { tenantId: string; exportId: string }): Promise<void> {
  em.setFilterParams('tenant', { tenantId: payload.tenantId })
  const row = await em.findOne(DataExport, { id: payload.exportId, tenantId: payload.tenantId })
  if (!row || row.status !== 'queued') return
  const tenant = await app.tenancy.byId(em, payload.tenantId)
  const card = await memberCard(app, em, row.memberId)
  const parts = await collectParts(app, ctx, em, payload.tenantId, row.memberId)
  const archive = await buildArchive({
    member: { id: card.id, name: card.name, email: card.email },
    tenant: { id: payload.tenantId, name: tenant?.name ?? '' },
    generatedAt: new Date(),
    parts,
    declarations: categories(ctx)
  })
  row.archive = archive
  row.bytes = archive.length
  row.status = 'ready'
  row.readyAt = new Date()
  row.expiresAt = new Date(Date.now() + ctx.config.exportHours * 3_600_000)
  await em.flush()
  if (!tenant) return
  await ctx.mail.send(em, {
    to: card.email,
    template: 'privacy/export-ready',
    key: `export-ready:${row.id}`,
    data: { name: card.name, tenantName: tenant.name, link: `${app.tenancy.origin(tenant.slug)}/me/export`, hours: ctx.config.exportHours },
    tenant: tenant.id,
    locale: tenant.locale
  })
}

/**
 * The download link's secret, made anew each time the member looks at a ready export: only its hash
 * is stored, so the newest link is the one that works, and a reload or a lost tab costs nothing. The
 * secret keeps another site from making the member's browser fetch (and so use up) the archive.
 */
export async function issueLink(em: EntityManager, row: DataExportEntity): Promise<string | undefined> {
  if (row.status !== 'ready') return undefined
  const raw = randomBytes(24).toString('base64url')
  const claimed = await em.nativeUpdate(DataExport, { id: row.id, status: 'ready' }, { tokenHash: hashToken(raw) })
  return claimed ? raw : undefined
}

/** Hands over the archive once: the row is claimed and emptied in one statement. */
export async function takeArchive(em: EntityManager, memberId: string, id: string, raw: string): Promise<Buffer> {
  const row = await em.findOne(DataExport, { id })
  if (!row || row.memberId !== memberId || row.tokenHash !== hashToken(raw)) throw new NotFoundError()
  if (row.status !== 'ready' || !row.archive || (row.expiresAt && row.expiresAt <= new Date())) throw new ConflictError()
  const archive = Buffer.from(row.archive)
  const claimed = await em.nativeUpdate(DataExport, { id, status: 'ready' }, { status: 'downloaded', downloadedAt: new Date(), openKey: null, archive: null })
  if (!claimed) throw new ConflictError()
  return archive
}

export class LastOwnerError extends Error {}

/**
 * Erases or anonymises a member's data everywhere, in one transaction: every plugin's handler of
 * `privacy.erase`, then core's tables and the privacy plugin's own. The last active owner of an
 * instance cannot be erased (they must hand ownership over first). Sessions end after the commit,
 * and `privacy.erased` tells the plugins to clear what their background writers stored meanwhile.
 */
export async function eraseMember(app: FastifyInstance, ctx: Ctx, em: EntityManager, tenantId: string, memberId: string, mode: 'erase' | 'anonymise'): Promise<PrivacyErasePart[]> {
  const parts = await em.transactional(async (tx) => {
    const card = await memberCard(app, tx, memberId)
    if (mode === 'erase' && card.role === 'owner') {
      // Locked until the erasure commits: two owners erasing themselves at once cannot both pass.
      const owners = await app.auth.membersWithRole(tx, ['owner'], { lock: true })
      if (!owners.some((owner) => owner.id !== memberId)) throw new LastOwnerError()
    }
    const subject = { em: tx, tenantId, memberId, name: card.name, email: card.email, mode }
    const changed = await ctx.events.filter('privacy.erase', [], subject)
    ctx.events.emit('privacy.erased', { tenantId, memberId, mode }, { em: tx })
    return eraseCoreAndPrivacy(changed, subject)
  })
  if (mode === 'erase') await ctx.sessions.revoke(`member:${memberId}`)
  ctx.log.info({ memberId: mode === 'erase' ? undefined : memberId, mode, changed: parts.reduce((sum, part) => sum + part.affected, 0) }, 'member data erased or anonymised')
  return parts
}
