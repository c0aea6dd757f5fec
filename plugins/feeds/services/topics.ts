import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { cleanText, type FieldErrors } from '../../../core/api.js'
import { FavouriteTopic, Reader, Topic, TOPIC_COLOURS, type ReaderEntity, type TopicColour, type TopicEntity } from '../entities/topic.entity.js'

export interface TopicValues {
  name: string
  description: string
  colour: string
}

/** Checks a topic form; the name must be unique in the instance (case-insensitive). */
export async function checkTopic(em: EntityManager, values: TopicValues, self?: TopicEntity): Promise<{ errors: FieldErrors; name: string; description: string | null; colour: TopicColour }> {
  const errors: FieldErrors = {}
  const name = cleanText(values.name, 60)
  const description = cleanText(values.description, 280, false)
  if (name.error) errors.name = name.error
  if (description.error) errors.description = description.error
  const colour = (TOPIC_COLOURS as readonly string[]).includes(values.colour) ? (values.colour as TopicColour) : TOPIC_COLOURS[0]
  if (!errors.name) {
    const all = await em.find(Topic, {}, { fields: ['id', 'name'] })
    if (all.some((topic) => topic.id !== self?.id && topic.name.toLocaleLowerCase() === name.value.toLocaleLowerCase())) errors.name = 'feeds.topics.nameTaken'
  }
  return { errors, name: name.value, description: description.value || null, colour }
}

/** The instance's topics in their order; archived ones only when asked. */
export function listTopics(em: EntityManager, withArchived = false): Promise<TopicEntity[]> {
  return em.find(Topic, withArchived ? {} : { archived: false }, { orderBy: { archived: 'asc', position: 'asc', name: 'asc' } })
}

export async function createTopic(em: EntityManager, tenantId: string, values: { name: string; description: string | null; colour: TopicColour }): Promise<TopicEntity> {
  const last = await em.findOne(Topic, {}, { orderBy: { position: 'desc' }, fields: ['position'] })
  const topic = em.create(Topic, { id: randomUUID(), tenantId, ...values, position: (last?.position ?? 0) + 1, archived: false, createdAt: new Date() })
  await em.flush()
  return topic
}

/** Swaps a topic with its neighbour above or below (among the active ones). */
export async function moveTopic(em: EntityManager, topic: TopicEntity, direction: 'up' | 'down'): Promise<void> {
  const topics = await listTopics(em)
  const index = topics.findIndex((other) => other.id === topic.id)
  const neighbour = topics[direction === 'up' ? index - 1 : index + 1]
  if (index < 0 || !neighbour) return
  // Renumber the whole list so equal positions (from concurrent creation) cannot stall a move.
  topics.forEach((other, position) => (other.position = position + 1))
  ;[topic.position, neighbour.position] = [neighbour.position, topic.position]
  await em.flush()
}

/** The member's favourite topic ids (active topics only). */
export async function favouritesOf(em: EntityManager, memberId: string): Promise<string[]> {
  const rows = await em.find(FavouriteTopic, { memberId }, { fields: ['topicId'] })
  if (rows.length === 0) return []
  const active = await em.find(Topic, { id: { $in: rows.map((row) => row.topicId) }, archived: false }, { fields: ['id'] })
  return active.map((topic) => topic.id)
}

/** Replaces the member's favourites with `topicIds` (ids of other instances or unknown ones are ignored), all or nothing. */
export async function setFavourites(em: EntityManager, tenantId: string, memberId: string, topicIds: readonly string[]): Promise<void> {
  const wanted = new Set(topicIds)
  const valid = wanted.size ? (await em.find(Topic, { id: { $in: [...wanted] }, archived: false }, { fields: ['id'] })).map((t) => t.id) : []
  // One transaction: a failed insert leaves the favourites as they were, not deleted.
  await em.transactional(async (tx) => {
    await tx.nativeDelete(FavouriteTopic, { memberId })
    for (const topicId of valid) tx.create(FavouriteTopic, { id: randomUUID(), tenantId, memberId, topicId })
  })
}

/** The member's reading state, created on first use. */
export async function readerOf(em: EntityManager, tenantId: string, memberId: string): Promise<ReaderEntity> {
  return (await em.findOne(Reader, { memberId })) ?? em.create(Reader, { id: randomUUID(), tenantId, memberId, onboardedAt: null, lastVisitAt: null, previousVisitAt: null })
}
