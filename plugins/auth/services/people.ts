import { createHash } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { Member, type MemberEntity } from '../entities/member.entity.js'

/** How many colours the avatar palette has (classes `avatar--0` … `avatar--7` in kaiku.css). */
const AVATAR_COLOURS = 8

export interface Avatar {
  initials: string
  colour: number
}

/**
 * An avatar drawn from the name alone: no upload, no third-party image. The colour follows the
 * member's id, so it stays the same when they change their name and differs between namesakes.
 */
export function avatarOf(member: Pick<MemberEntity, 'id' | 'name'>): Avatar {
  // Words are what holds a letter or digit, and an initial is a word's first one: "Ada (Admin)" is AA,
  // not A(, and a name of only signs has none.
  const words = member.name.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word))
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words
  const initials = letters.map((word) => /[\p{L}\p{N}]/u.exec(word)?.[0] ?? '').join('').toLocaleUpperCase()
  const colour = createHash('sha256').update(member.id).digest()[0] % AVATAR_COLOURS
  return { initials: initials || '?', colour }
}

export interface PersonCard {
  id: string
  name: string
  title: string | null
  department: string | null
  avatar: Avatar
}

const card = (member: Pick<MemberEntity, 'id' | 'name' | 'title' | 'department'>): PersonCard => ({
  id: member.id,
  name: member.name,
  title: member.title ?? null,
  department: member.department ?? null,
  avatar: avatarOf(member)
})

/**
 * The active members of the request's instance (the tenant filter scopes `em`), sorted by name in
 * the viewer's language. Filtering and sorting happen here rather than in SQL so that "ä" and "Ä"
 * match and sort the same on SQLite and PostgreSQL, whose case rules and collations differ.
 */
export async function directory(em: EntityManager, locale: string, query: string): Promise<PersonCard[]> {
  const rows = await em.find(Member, { status: 'active' }, { fields: ['id', 'name', 'title', 'department'] })
  const needle = query.toLocaleLowerCase(locale)
  const collator = new Intl.Collator(locale, { sensitivity: 'base' })
  return rows
    .filter((member) => !needle || member.name.toLocaleLowerCase(locale).includes(needle))
    .sort((a, b) => collator.compare(a.name, b.name) || a.id.localeCompare(b.id))
    .map(card)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** One active member of the request's instance, or null: for another instance's id exactly as for a made-up one. */
export async function person(em: EntityManager, id: string): Promise<(PersonCard & { email: string }) | null> {
  if (!UUID.test(id)) return null
  const member = await em.findOne(Member, { id: id.toLowerCase(), status: 'active' })
  return member ? { ...card(member), email: member.email } : null
}
