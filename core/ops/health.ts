import type { FastifyInstance } from 'fastify'
import type { MikroORM } from '@mikro-orm/core'
import { Type } from '@sinclair/typebox'
import { MIGRATIONS_TABLE } from '../db/orm.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Infrastructure endpoints: no first-run redirect, no session, not counted as page views. */
    operational?: boolean
  }
}

const Status = Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) })

/**
 * Liveness says the process answers and touches nothing; readiness says the database answers and
 * every known migration is applied (which, once true, stays true for this process).
 */
export function registerHealth(app: FastifyInstance, orm: MikroORM, migrationNames: string[]): void {
  let migrated = false
  const schema = { response: { 200: Status, 503: Status } }

  // No security headers on probes: nothing here is a page, and helmet's per-request nonces cost.
  app.get('/healthz', { schema, config: { operational: true }, helmet: false }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema, config: { operational: true }, helmet: false }, async (request, reply) => {
    const connection = orm.em.getConnection()
    try {
      await connection.execute('select 1')
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: database unreachable')
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' })
    }
    if (!migrated) {
      try {
        const rows = await connection.execute<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE}`)
        const applied = new Set(rows.map((row: { name: string }) => row.name))
        const missing = migrationNames.filter((name) => !applied.has(name))
        if (missing.length > 0) {
          return reply.code(503).send({ status: 'unavailable', reason: `${missing.length} migration(s) pending` })
        }
        migrated = true
      } catch {
        return reply.code(503).send({ status: 'unavailable', reason: 'migrations not applied' })
      }
    }
    return { status: 'ready' }
  })
}
