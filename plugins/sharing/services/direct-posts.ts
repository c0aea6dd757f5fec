import type { EntityManager } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import type { PluginContext } from '../../../core/api.js'
import { Connection, DirectPost, type DirectPostEntity } from '../entities/connections.entity.js'
import { ProviderUnreachable } from '../lib/outbound.js'
import { ProviderRefused, type DirectNetwork, type Providers } from '../providers/index.js'
import type { ConnectionService } from './connections.js'
import { networksFor } from './settings.js'
import { recordShare } from './shares.js'

export const POST_SCHEDULED_JOB = 'sharing.post-scheduled'
export type PostScheduledPayload = { tenantId: string; directPostId: string }

/** Why a direct post failed (or, for `disconnected`, was cancelled); each is a message `sharing.direct.failure.<reason>`. */
export type Failure = 'reconnect' | 'notConnected' | 'notShareable' | 'rejected' | 'unreachable' | 'address' | 'interrupted' | 'disconnected'

export interface NewDirectPost {
  id: string
  tenantId: string
  memberId: string
  postId: string
  network: DirectNetwork
  connectionId: string
  accountName: string
  linkId: string
  message: string
  url: string
}

/**
 * Posting for members on their connected accounts, now or at a chosen time. A post that goes out is
 * recorded as a share, in the same transaction that marks it posted; one that does not says why.
 */
export class DirectPoster {
  constructor(
    private readonly app: FastifyInstance,
    private readonly ctx: PluginContext,
    private readonly providers: Providers,
    private readonly connections: ConnectionService
  ) {}

  /** Posts now, in the caller's request; the row says how it went. */
  async postNow(em: EntityManager, input: NewDirectPost): Promise<DirectPostEntity> {
    const now = new Date()
    const row = em.create(DirectPost, { ...input, status: 'posting', runAt: now, failure: null, detail: null, remoteUrl: null, shareId: null, createdAt: now, updatedAt: now })
    await em.flush()
    return this.deliver(em, row, false)
  }

  /** Keeps the post for `at`, with the job that will post it (both or neither). */
  async schedule(em: EntityManager, input: NewDirectPost, at: Date): Promise<void> {
    const now = new Date()
    await em.transactional(async (tx) => {
      tx.create(DirectPost, { ...input, status: 'scheduled', runAt: at, failure: null, detail: null, remoteUrl: null, shareId: null, createdAt: now, updatedAt: now })
      await tx.flush()
      await this.ctx.jobs.enqueue(tx, POST_SCHEDULED_JOB, { tenantId: input.tenantId, directPostId: input.id } satisfies PostScheduledPayload, { key: `${POST_SCHEDULED_JOB}:${input.id}`, runAt: at })
    })
  }

  async cancel(em: EntityManager, memberId: string, id: string): Promise<boolean> {
    return (await em.nativeUpdate(DirectPost, { id, memberId, status: 'scheduled' }, { status: 'cancelled', updatedAt: new Date() })) === 1
  }

  /**
   * The job: posts a scheduled post once. It takes the row from `scheduled` to `posting` first, so a
   * second run finds nothing to do; a run that finds it `posting` (its worker stopped mid-way) tries
   * again only where the provider recognises the repeat by its Idempotency-Key.
   */
  async runScheduled(em: EntityManager, payload: PostScheduledPayload, job: { attempt: number; maxAttempts: number }): Promise<void> {
    em.setFilterParams('tenant', { tenantId: payload.tenantId })
    const claimed = await em.nativeUpdate(DirectPost, { id: payload.directPostId, status: 'scheduled' }, { status: 'posting', updatedAt: new Date() })
    const row = await em.findOne(DirectPost, { id: payload.directPostId })
    if (!row || (claimed === 0 && row.status !== 'posting')) return
    if (claimed === 0 && !this.providers[row.network as DirectNetwork].deduplicates) {
      await this.fail(em, row, 'interrupted')
      return
    }
    await this.deliver(em, row, job.attempt < job.maxAttempts)
  }

  /** Posts the row's message and link; a temporary failure with `mayRetry` puts it back and throws (the job retries). */
  private async deliver(em: EntityManager, row: DirectPostEntity, mayRetry: boolean): Promise<DirectPostEntity> {
    const connection = await em.findOne(Connection, { id: row.connectionId, memberId: row.memberId })
    if (!connection) return this.fail(em, row, 'notConnected')
    if (connection.status !== 'active') return this.fail(em, row, 'reconnect')
    // The post may have expired, or the network been disallowed, since the member scheduled it.
    const post = await this.app.feeds.post(em, row.postId)
    if (!post?.live || !(await networksFor(em, row.tenantId, post.id)).includes(row.network as DirectNetwork)) return this.fail(em, row, 'notShareable')
    const token = await this.connections.token(em, connection)
    if (!token) return this.fail(em, row, 'reconnect')
    const text = row.message ? `${row.message}\n\n${row.url}` : row.url
    try {
      const posted = await this.providers[row.network as DirectNetwork].post({ host: connection.host, accountId: connection.accountId }, token, text, row.id)
      await em.transactional(async (tx) => {
        const share = await recordShare(tx, this.ctx, { tenantId: row.tenantId, postId: row.postId, memberId: row.memberId, network: row.network, linkId: row.linkId, text: row.message })
        await tx.nativeUpdate(DirectPost, { id: row.id }, { status: 'posted', remoteUrl: posted.url, shareId: share.id, failure: null, detail: null, updatedAt: new Date() })
      })
      return em.findOneOrFail(DirectPost, { id: row.id }, { refresh: true })
    } catch (error) {
      if (error instanceof ProviderRefused && error.tokenRejected) {
        await this.connections.needsReconnect(em, connection)
        return this.fail(em, row, 'reconnect', error.detail)
      }
      const temporary = (error instanceof ProviderUnreachable && error.reason === 'unreachable') || (error instanceof ProviderRefused && error.temporary)
      if (temporary && mayRetry) {
        Object.assign(row, { status: 'scheduled', updatedAt: new Date() })
        await em.flush()
        throw error
      }
      if (error instanceof ProviderRefused) return this.fail(em, row, temporary ? 'unreachable' : 'rejected', error.detail)
      if (error instanceof ProviderUnreachable) return this.fail(em, row, error.reason)
      throw error
    }
  }

  private async fail(em: EntityManager, row: DirectPostEntity, failure: Failure, detail?: string): Promise<DirectPostEntity> {
    Object.assign(row, { status: 'failed', failure, detail: detail || null, updatedAt: new Date() })
    await em.flush()
    return row
  }
}
