import type { MikroORM } from '@mikro-orm/core'
import type { FastifyBaseLogger } from 'fastify'
import { KaikuError } from '../errors.js'
import type { FastifySessionObject } from '@fastify/session'
import { SessionRecord } from './session.entity.js'

type Callback<T = void> = (error?: unknown, result?: T) => void

/** What a plugin may put in a session so that the store can index it. */
interface IndexedSession {
  subject?: string
  userAgent?: string
}

/**
 * A @fastify/session store on the database, so sessions survive restarts and are shared by every
 * instance. It works outside the request's EntityManager: each call forks its own.
 */
export class DatabaseSessionStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly log: FastifyBaseLogger,
    /** Sessions without an explicit expiry (no "remember me") end after this much idle time. */
    private readonly idleMs: number
  ) {
    const meta = orm.getMetadata().get(SessionRecord.meta.className)
    const column = (name: 'id' | 'data' | 'expiresAt') => meta.properties[name].fieldNames[0]
    this.read = `select ${column('data')} as "data", ${column('expiresAt')} as "expiresAt" from ${meta.tableName} where ${column('id')} = ?`
  }

  /** The one query of `get`, built from the entity's metadata. */
  private readonly read: string

  /** A store failure surfaces late (while the response is sent), so it must carry nothing internal. */
  private failed(callback: Callback<never>) {
    return (error: unknown) => {
      this.log.error({ err: error }, 'session store failed')
      callback(new KaikuError('UNAVAILABLE', 'session storage is unavailable'))
    }
  }

  private expiry(session: FastifySessionObject): Date {
    const expires = session.cookie?.expires
    return expires ? new Date(expires) : new Date(Date.now() + this.idleMs)
  }

  set(sessionId: string, session: FastifySessionObject, callback: Callback): void {
    const em = this.orm.em.fork()
    const data = JSON.stringify(session)
    const now = new Date()
    const { subject, userAgent } = session as unknown as IndexedSession
    em.upsert(
      SessionRecord,
      {
        id: sessionId,
        data,
        subject: typeof subject === 'string' ? subject.slice(0, 120) : null,
        userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 200) : null,
        expiresAt: this.expiry(session),
        createdAt: now,
        updatedAt: now
      },
      { onConflictExcludeFields: ['createdAt'] }
    )
      .then(() => callback())
      .catch(this.failed(callback))
  }

  /**
   * Read on every request that carries a session cookie, so with plain SQL rather than an entity
   * query (MikroORM's query building and hydration cost more than the query itself here).
   */
  get(sessionId: string, callback: Callback<FastifySessionObject | null>): void {
    this.orm.em
      .getConnection()
      .execute<{ data: string; expiresAt: Date | number | string }[]>(this.read, [sessionId])
      .then(async ([record]) => {
        if (!record) return callback(undefined, null)
        if (new Date(record.expiresAt).getTime() <= Date.now()) {
          await this.orm.em.fork().nativeDelete(SessionRecord, { id: sessionId })
          return callback(undefined, null)
        }
        callback(undefined, JSON.parse(record.data) as FastifySessionObject)
      })
      .catch(this.failed(callback))
  }



  destroy(sessionId: string, callback: Callback): void {
    this.orm.em
      .fork()
      .nativeDelete(SessionRecord, { id: sessionId })
      .then(() => callback())
      .catch(this.failed(callback))
  }
}
