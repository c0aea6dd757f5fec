import { defineEntity, type InferEntity } from '@mikro-orm/core'

/** Server-side sessions live in the database so that any instance can serve any request. */
export const SessionRecord = defineEntity({
  name: 'SessionRecord',
  tableName: 'kaiku_session',
  properties: (p) => ({
    id: p.string().primary().length(64),
    data: p.text(),
    /** Who the session belongs to (`member:<id>`, `operator:<id>`), so all of someone's sessions can be listed or ended. */
    subject: p.string().length(120).nullable().index(),
    /** A short description of the browser, shown to its owner in the list of their sessions. */
    userAgent: p.string().length(200).nullable(),
    expiresAt: p.datetime().index(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date())
  })
})

export type SessionRecordEntity = InferEntity<typeof SessionRecord>
