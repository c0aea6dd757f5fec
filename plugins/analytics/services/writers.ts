import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import type { MikroORM } from '@mikro-orm/core'
import type { PluginContext } from '../../../core/api.js'
import { AnalyticsEvent } from '../entities/event.entity.js'
import { AnalyticsRequest } from '../entities/request.entity.js'
import { BatchWriter, loggablePath, timeOrderedId } from '../../../core/api.js'

type Dialect = PluginContext['settings']['dialect']

export interface BeaconRow extends Record<string, unknown> {
  tenantId: string
  at: Date
  type: string
  postId: string | null
  memberId: string | null
  network: string | null
  subject: string | null
}

export interface RequestRow extends Record<string, unknown> {
  tenantId: string
  at: Date
  path: string
  referrerHost: string | null
  agentClass: string
  ipNet: string
  memberId: string | null
}

/** Beacon hits of instances that switched beacons off are dropped by the INSERT itself. */
const beaconsOn = (dialect: Dialect) =>
  `not exists (select 1 from analytics_settings s where s.tenant_id = r.tenant_id and s.beacons = ${dialect === 'postgresql' ? 'false' : '0'})`

/**
 * How long a beacon hit may wait for others before its batch is written, on SQLite. Nobody waits for
 * a hit (the GIF goes at once), so batches are as full as this allows: under load a statement stores
 * up to a thousand hits instead of the few that came in while the last one was written. SQLite runs
 * each statement inside the server's own process, so fewer statements leave it more time to answer
 * (beacons 1.06–1.37 × as many a second, bench/README.md); on PostgreSQL the statements run in the
 * database's processes and fuller batches measured slightly slower (0.86–1.07 ×), so hits go at once.
 */
export const BEACON_LINGER_MS = 1_000

export function beaconWriter(orm: MikroORM, dialect: Dialect, log: FastifyBaseLogger): BatchWriter<BeaconRow> {
  return new BatchWriter<BeaconRow>(orm, dialect, AnalyticsEvent, ['tenantId', 'at', 'type', 'postId', 'memberId', 'network', 'subject'], {
    keep: beaconsOn(dialect),
    lingerMs: dialect === 'sqlite' ? BEACON_LINGER_MS : 0,
    id: (row) => timeOrderedId(row.at),
    failed: (error, rows) => log.error({ err: error, rows }, 'beacon hits not stored')
  })
}

/** How long a request-log row may wait for others before its batch is written. */
export const REQUEST_LOG_LINGER_MS = 1_000

export function requestLogWriter(orm: MikroORM, dialect: Dialect, log: FastifyBaseLogger): BatchWriter<RequestRow> {
  return new BatchWriter<RequestRow>(orm, dialect, AnalyticsRequest, ['tenantId', 'at', 'path', 'referrerHost', 'agentClass', 'ipNet', 'memberId'], {
    id: (row) => timeOrderedId(row.at),
    // Nobody waits for a log row: a quiet server stores them once a second, not once per page.
    lingerMs: REQUEST_LOG_LINGER_MS,
    failed: (error, rows) => log.error({ err: error, rows }, 'request log rows not stored')
  })
}

/** Paths never written to the request log: probes, metrics, static files, beacons, short links. */
const UNLOGGED = /^\/(healthz|readyz|metrics)(\/|$)|^\/(static|b|s)\//

export const loggedPath = (request: FastifyRequest): string | null => {
  if (request.routeOptions.config.operational || !request.tenant) return null
  const path = loggablePath(request)
  return UNLOGGED.test(path) ? null : path.slice(0, 500)
}

/**
 * The anonymised request log: every answered request of an instance (not operational ones), with the
 * address cut to its network through sharing's visitor rules. Written in batches after the answer has
 * gone, so a page never waits for its log row.
 */
export function logRequests(app: FastifyInstance, writer: BatchWriter<RequestRow>): void {
  app.addHook('onResponse', (request, _reply, done) => {
    const path = loggedPath(request)
    if (path !== null && request.tenant) {
      const visitor = app.sharing.visitor({ ip: request.ip, userAgent: request.headers['user-agent'], referer: request.headers.referer })
      writer.add({ tenantId: request.tenant.id, at: new Date(), path, referrerHost: visitor.referrerHost?.slice(0, 253) ?? null, agentClass: visitor.agent, ipNet: visitor.ipNet, memberId: request.member?.id ?? null })
    }
    done()
  })
}
