import { defineEntity, tenantFilter, type InferEntity } from 'kaiku/plugin-api'

export type PollKind = 'single' | 'multiple' | 'text'

/** A poll of one instance: one question, its options, who sees results, until when it is open. */
export const Poll = defineEntity({
  name: 'Poll',
  tableName: 'polls_poll',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'createdAt'] }, { properties: ['tenantId', 'postId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36),
    question: p.string().length(300),
    kind: p.string().length(16).$type<PollKind>(),
    /** JSON list of the option labels (empty for free text). */
    options: p.text(),
    /** Anonymous: answers keep no member id, only a keyed hash that makes "answer once" hold. */
    anonymous: p.boolean(),
    /** Members may see the results (admins and curators always do). */
    resultsPublic: p.boolean(),
    closesAt: p.datetime().nullable(),
    /** The feed post it is attached to, shown on that post's page. */
    postId: p.string().length(36).nullable(),
    createdBy: p.string().length(36),
    createdAt: p.datetime()
  })
})

/** One member's answer to a poll: one per member and poll (the unique voter key). */
export const PollAnswer = defineEntity({
  name: 'PollAnswer',
  tableName: 'polls_answer',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'pollId', 'voter'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36),
    pollId: p.string().length(36).index(),
    /** The member id (named polls) or a keyed hash of it (anonymous polls). */
    voter: p.string().length(64),
    /** Null in anonymous polls. */
    memberId: p.string().length(36).nullable(),
    /** JSON list of chosen option indexes. */
    choices: p.text(),
    text: p.text().nullable(),
    createdAt: p.datetime()
  })
})

export type PollEntity = InferEntity<typeof Poll>
export type PollAnswerEntity = InferEntity<typeof PollAnswer>
