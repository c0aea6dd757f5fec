import { randomUUID } from 'node:crypto'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import type { FastifyRequest } from 'fastify'
import { formatTime, KaikuError, toLocalInput, type PluginContext } from '../../../core/api.js'
import { DirectPost, type ConnectionEntity, type DirectPostEntity } from '../entities/connections.entity.js'
import type { LinkEntity } from '../entities/sharing.entity.js'
import { isDirectNetwork } from '../providers/index.js'
import { ConnectionService } from '../services/connections.js'
import type { DirectPoster } from '../services/direct-posts.js'

/** What the compose page offers for direct posting on a network, or null when it offers nothing. */
export interface DirectOffer {
  /** The connected account, when it can post, and its server. */
  accountName?: string
  host?: string
  /** The account is connected, but the provider no longer takes its token. */
  reconnect?: boolean
  /** Not connected, but the member could connect. */
  connect?: boolean
  /** A fresh id for this form: sending it twice posts once. */
  submission?: string
  /** The earliest time to schedule for, as a datetime-local value. */
  earliest?: string
}

/** Where to go after a direct post was asked for, or why it could not go out. */
export type DirectOutcome = { redirect: string } | { error: string; detail: string | null; status: number }

/** A member's connection Kaiku can post with, or why it cannot. */
export type DirectCheck = { connection: ConnectionEntity; refused?: undefined } | { refused: Extract<DirectOutcome, { error: string }> }

export interface DirectShareInput {
  /** The member's connection to the network, as `check` found it. */
  connection: ConnectionEntity
  postId: string
  network: string
  link: LinkEntity
  message: string
  url: string
  at?: Date
  submission?: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The compose page's optional upgrade: with a connected account, "Post now" and "Schedule" instead of
 * opening the network's share page. Without one nothing changes (but a hint to connect).
 */
export function directShare(ctx: PluginContext, connections: ConnectionService, poster: DirectPoster) {
  const me = (request: FastifyRequest) => {
    if (!request.viewer || !request.tenant) throw new KaikuError('UNAUTHORIZED')
    return { id: request.viewer.id, tenantId: request.tenant.id, timeZone: request.tenant.timeZone }
  }

  const outcomeOf = (row: DirectPostEntity): DirectOutcome => {
    if (row.status === 'posted') return { redirect: `/shares/${row.shareId}` }
    if (row.status === 'failed') return { error: `sharing.direct.failure.${row.failure}`, detail: row.detail ?? null, status: row.failure === 'reconnect' ? 409 : 502 }
    return { redirect: '/me/connections#direct-posts' }
  }

  /**
   * The member's connection to `network` when Kaiku can post with it (now, or at `at`), or why it
   * cannot: asked before anything is made for the share (its link included).
   */
  const check = async (request: FastifyRequest, network: string, at?: Date): Promise<DirectCheck> => {
    const viewer = me(request)
    const connection = isDirectNetwork(network) ? await connections.of(request.em, viewer.id, network) : null
    if (!connection) return { refused: { error: 'sharing.direct.failure.notConnected', detail: null, status: 409 } }
    if (!ConnectionService.usable(connection)) {
      // Its token expired: the connection says so from now on, as when the network refuses one.
      if (connection.status === 'active') await connections.needsReconnect(request.em, connection)
      return { refused: { error: 'sharing.direct.failure.reconnect', detail: null, status: 409 } }
    }
    if (at && !ConnectionService.usable(connection, at)) {
      const when = formatTime(connection.tokenExpiresAt!, viewer.timeZone, request.locale)
      return { refused: { error: 'sharing.direct.failure.expiresFirst', detail: ctx.t(request.locale, 'sharing.direct.accessEnds', { when }), status: 409 } }
    }
    return { connection }
  }

  return {
    async offer(request: FastifyRequest, network: string): Promise<DirectOffer | null> {
      if (!isDirectNetwork(network)) return null
      const viewer = me(request)
      const connection = await connections.of(request.em, viewer.id, network)
      if (connection && ConnectionService.usable(connection)) return { accountName: connection.accountName, host: connection.host, submission: randomUUID(), earliest: toLocalInput(new Date(), viewer.timeZone) }
      if (connection) return { reconnect: true }
      return (await connections.available(request.em, network)) ? { connect: true } : null
    },

    check,

    /** Posts or schedules with the connection `check` found usable a moment ago. */
    async send(request: FastifyRequest, input: DirectShareInput): Promise<DirectOutcome> {
      const viewer = me(request)
      const em = request.em
      let id = input.submission && UUID.test(input.submission) ? input.submission : randomUUID()
      const earlier = await em.findOne(DirectPost, { id })
      if (earlier?.memberId === viewer.id) return outcomeOf(earlier)
      if (earlier) id = randomUUID()
      const { connection } = input
      const row = {
        id,
        tenantId: viewer.tenantId,
        memberId: viewer.id,
        postId: input.postId,
        network: connection.network as 'mastodon' | 'linkedin',
        connectionId: connection.id,
        accountName: connection.accountName,
        linkId: input.link.id,
        message: input.message,
        url: input.url
      }
      try {
        if (!input.at) return outcomeOf(await poster.postNow(em, row))
        await poster.schedule(em, row, input.at)
      } catch (error) {
        // The same form sent twice at once: the first one's row answers for both.
        if (!(error instanceof UniqueConstraintViolationException)) throw error
        em.clear()
        return outcomeOf(await em.findOneOrFail(DirectPost, { id, memberId: viewer.id }))
      }
      request.flash('success', ctx.t(request.locale, 'sharing.direct.scheduled', { when: toLocalInput(input.at, viewer.timeZone).replace('T', ' '), account: connection.accountName }))
      return { redirect: '/me/connections#direct-posts' }
    }
  }
}

export type DirectShare = ReturnType<typeof directShare>
