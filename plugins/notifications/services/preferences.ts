import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { Preferences, type Category, type PreferencesEntity } from '../entities/notifications.entity.js'

/**
 * Until a member chooses: a weekly digest on Monday at 08:00 (their instance's time), every category
 * on, and opens counted (disclosed on the preferences page, one tick to switch off).
 */
export const DEFAULTS = { digest: 'weekly' as const, digestHour: 8, digestDay: 'mon', off: [] as Category[], countOpens: true }

/** The member's preferences row, made with the defaults when they have none yet (not flushed). */
export async function preferencesOf(em: EntityManager, tenantId: string, memberId: string): Promise<PreferencesEntity> {
  return (
    (await em.findOne(Preferences, { memberId })) ??
    em.create(Preferences, { id: randomUUID(), tenantId, memberId, ...DEFAULTS, off: [], lastDigestAt: null, updatedAt: new Date() })
  )
}

export const wants = (preferences: Pick<PreferencesEntity, 'off'> | undefined, category: Category) => !preferences?.off.includes(category)

/** Preferences of many members at once; members without a row get the defaults. */
export async function preferencesOfMany(em: EntityManager, memberIds: readonly string[]): Promise<Map<string, Pick<PreferencesEntity, 'digest' | 'digestHour' | 'digestDay' | 'off' | 'countOpens' | 'lastDigestAt'>>> {
  const rows = memberIds.length ? await em.find(Preferences, { memberId: { $in: [...memberIds] } }) : []
  const found = new Map(rows.map((row) => [row.memberId, row]))
  return new Map(memberIds.map((id) => [id, found.get(id) ?? { ...DEFAULTS, off: [], lastDigestAt: null }]))
}
