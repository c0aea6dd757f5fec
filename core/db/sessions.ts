import type { MikroORM } from '@mikro-orm/core'
import { SessionRecord } from './session.entity.js'

export interface SessionSummary {
  id: string
  userAgent: string | null
  createdAt: Date
  lastActiveAt: Date
  expiresAt: Date
}

/** Someone's sessions, across every instance and browser: listed for them, ended on their behalf. */
export function sessionDirectory(orm: MikroORM) {
  return {
    async list(subject: string): Promise<SessionSummary[]> {
      const rows = await orm.em
        .fork()
        .find(SessionRecord, { subject, expiresAt: { $gt: new Date() } }, { orderBy: { updatedAt: 'desc' }, fields: ['id', 'userAgent', 'createdAt', 'updatedAt', 'expiresAt'] })
      return rows.map((row) => ({ id: row.id, userAgent: row.userAgent ?? null, createdAt: row.createdAt, lastActiveAt: row.updatedAt, expiresAt: row.expiresAt }))
    },

    /** Ends every session of `subject`, but the one named in `except` (the caller's own). */
    async revoke(subject: string, except?: string): Promise<number> {
      return orm.em.fork().nativeDelete(SessionRecord, except ? { subject, id: { $ne: except } } : { subject })
    }
  }
}

export type SessionDirectory = ReturnType<typeof sessionDirectory>
