import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core'
import { Connection, DirectPost, OAuthState, ProviderApp, type ConnectionEntity } from '../entities/connections.entity.js'
import type { Sealer } from '../lib/sealed.js'
import type { DirectNetwork, OAuthClient, Providers } from '../providers/index.js'

/** LinkedIn's apps are the instance admin's, one per instance; Mastodon's are Kaiku's, one per server. */
export const LINKEDIN_HOST = 'www.linkedin.com'
const STATE_MINUTES = 15

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** Why an authorisation could not be finished; each is a message `sharing.connections.refused.<reason>`. */
export class ConnectRefused extends Error {
  override name = 'ConnectRefused'
  constructor(readonly reason: 'state' | 'denied' | 'noApp') {
    super(`connection refused: ${reason}`)
  }
}

export interface Viewer {
  tenantId: string
  memberId: string
  /** The session the flow begins and ends in. */
  sessionId: string
}

/**
 * Members' connected accounts: OAuth clients per instance, the authorisation round trip (a state that
 * is random, bound to the member and their session, single use and short-lived), sealed tokens, and
 * what happens when a provider no longer accepts a token.
 */
export class ConnectionService {
  constructor(
    private readonly providers: Providers,
    private readonly sealer: Sealer,
    /** Kaiku's address, given to Mastodon servers as the app's website. */
    private readonly website: string
  ) {}

  async list(em: EntityManager, memberId: string): Promise<ConnectionEntity[]> {
    return em.find(Connection, { memberId }, { orderBy: { network: 'asc' } })
  }

  async of(em: EntityManager, memberId: string, network: string): Promise<ConnectionEntity | null> {
    return em.findOne(Connection, { memberId, network })
  }

  /**
   * Whether Kaiku can post with the connection (at `at`, now by default): not refused by the network,
   * and its token not past its expiry. One that cannot asks the member to reconnect.
   */
  static usable(connection: Pick<ConnectionEntity, 'status' | 'tokenExpiresAt'>, at = new Date()): boolean {
    return connection.status === 'active' && !(connection.tokenExpiresAt && connection.tokenExpiresAt <= at)
  }

  /** Whether the instance has what a member needs to connect to `network` (LinkedIn: an admin's app). */
  async available(em: EntityManager, network: DirectNetwork): Promise<boolean> {
    return network === 'mastodon' || Boolean(await em.findOne(ProviderApp, { network, host: LINKEDIN_HOST }))
  }

  /** The address the member's browser is sent to, to grant Kaiku access; registers Kaiku on a new Mastodon server. */
  async begin(em: EntityManager, viewer: Viewer, input: { network: DirectNetwork; host: string; redirectUri: string; returnTo: string | null }): Promise<string> {
    const client = await this.client(em, viewer.tenantId, input.network, input.host, input.redirectUri)
    if (!client) throw new ConnectRefused('noApp')
    const state = randomBytes(32).toString('base64url')
    const now = new Date()
    // Flows abandoned half-way leave a row each; they go as soon as anyone starts another.
    await em.nativeDelete(OAuthState, { expiresAt: { $lt: now } })
    em.create(OAuthState, {
      id: sha256(state),
      tenantId: viewer.tenantId,
      memberId: viewer.memberId,
      sessionHash: sha256(viewer.sessionId),
      network: input.network,
      host: input.host,
      redirectUri: input.redirectUri,
      returnTo: input.returnTo,
      expiresAt: new Date(now.getTime() + STATE_MINUTES * 60_000)
    })
    await em.flush()
    return this.providers[input.network].authorizeUrl(client, state)
  }

  /**
   * The provider sent the member back. The state is used up by the first callback that names it,
   * whoever sends it; it counts only for the member and session that began the flow, in time.
   */
  async finish(em: EntityManager, viewer: Viewer, network: DirectNetwork, answer: { state: string; code?: string; error?: string }): Promise<{ connection: ConnectionEntity; returnTo: string | null }> {
    const id = sha256(answer.state)
    const pending = await em.findOne(OAuthState, { id })
    const consumed = pending ? await em.nativeDelete(OAuthState, { id }) : 0
    if (!pending || consumed !== 1 || pending.memberId !== viewer.memberId || pending.sessionHash !== sha256(viewer.sessionId) || pending.network !== network || pending.expiresAt <= new Date()) {
      throw new ConnectRefused('state')
    }
    if (answer.error || !answer.code) throw new ConnectRefused('denied')
    const client = await this.client(em, viewer.tenantId, network, pending.host, pending.redirectUri)
    if (!client) throw new ConnectRefused('noApp')
    const grant = await this.providers[network].exchangeCode(client, answer.code)
    const now = new Date()
    const connection =
      (await this.of(em, viewer.memberId, network)) ??
      em.create(Connection, { id: randomUUID(), tenantId: viewer.tenantId, memberId: viewer.memberId, network, host: '', accountId: '', accountName: '', token: '', tokenExpiresAt: null, status: 'active', connectedAt: now, updatedAt: now })
    Object.assign(connection, {
      host: pending.host,
      accountId: grant.account.id,
      accountName: grant.account.name.slice(0, 300),
      token: this.sealer.seal(grant.accessToken, `connection:${connection.id}`),
      tokenExpiresAt: grant.expiresAt,
      status: 'active',
      connectedAt: now,
      updatedAt: now
    })
    await em.flush()
    return { connection, returnTo: pending.returnTo ?? null }
  }

  /** The access token, or null once it has expired (the connection then asks to be reconnected). */
  async token(em: EntityManager, connection: ConnectionEntity): Promise<string | null> {
    if (connection.tokenExpiresAt && connection.tokenExpiresAt <= new Date()) {
      await this.needsReconnect(em, connection)
      return null
    }
    return this.sealer.open(connection.token, `connection:${connection.id}`)
  }

  /** The provider refused the token: the member is asked to reconnect; nothing else is lost. */
  async needsReconnect(em: EntityManager, connection: ConnectionEntity): Promise<void> {
    connection.status = 'needs_reconnect'
    connection.updatedAt = new Date()
    await em.flush()
  }

  /** Forgets the account and its token; posts still scheduled for it are cancelled, history stays. */
  async disconnect(em: EntityManager, memberId: string, network: string): Promise<boolean> {
    const connection = await this.of(em, memberId, network)
    if (!connection) return false
    await em.transactional(async (tx) => {
      await tx.nativeUpdate(DirectPost, { connectionId: connection.id, status: 'scheduled' }, { status: 'cancelled', failure: 'disconnected', updatedAt: new Date() })
      await tx.nativeDelete(Connection, { id: connection.id })
    })
    return true
  }

  /** The instance's LinkedIn app as an admin sees it: the client id only (a secret is never shown again). */
  async linkedinApp(em: EntityManager): Promise<{ clientId: string } | null> {
    const app = await em.findOne(ProviderApp, { network: 'linkedin', host: LINKEDIN_HOST })
    return app ? { clientId: app.clientId } : null
  }

  /** Saves the instance's LinkedIn app; a null secret keeps the one stored. */
  async saveLinkedinApp(em: EntityManager, tenantId: string, clientId: string, clientSecret: string | null): Promise<void> {
    const now = new Date()
    const app =
      (await em.findOne(ProviderApp, { network: 'linkedin', host: LINKEDIN_HOST })) ??
      em.create(ProviderApp, { id: randomUUID(), tenantId, network: 'linkedin', host: LINKEDIN_HOST, clientId, clientSecret: '', redirectUri: null, createdAt: now, updatedAt: now })
    Object.assign(app, { clientId, updatedAt: now })
    if (clientSecret !== null) app.clientSecret = this.sealer.seal(clientSecret, `app:${app.id}`)
    await em.flush()
  }

  /** Members can no longer connect LinkedIn; accounts already connected keep their tokens. */
  async removeLinkedinApp(em: EntityManager): Promise<void> {
    await em.nativeDelete(ProviderApp, { network: 'linkedin', host: LINKEDIN_HOST })
  }

  /** The instance's OAuth client for a provider: on Mastodon, registered on first use (and again if the callback address changed). */
  private async client(em: EntityManager, tenantId: string, network: DirectNetwork, host: string, redirectUri: string): Promise<OAuthClient | null> {
    let app = await em.findOne(ProviderApp, { network, host })
    const register = this.providers[network].register
    if (register && (!app || app.redirectUri !== redirectUri)) {
      const registered = await register(host, redirectUri, this.website)
      const id = app?.id ?? randomUUID()
      const fields = { clientId: registered.clientId, clientSecret: this.sealer.seal(registered.clientSecret, `app:${id}`), redirectUri, updatedAt: new Date() }
      if (app) {
        Object.assign(app, fields)
        await em.flush()
      } else {
        try {
          await em.insert(ProviderApp, { id, tenantId, network, host, createdAt: fields.updatedAt, ...fields })
        } catch (error) {
          // Two members brought Kaiku to a new server at once: the registration stored first is the one used.
          if (!(error instanceof UniqueConstraintViolationException)) throw error
        }
        app = await em.findOneOrFail(ProviderApp, { network, host })
      }
    }
    if (!app) return null
    return { host, clientId: app.clientId, clientSecret: this.sealer.open(app.clientSecret, `app:${app.id}`), redirectUri }
  }
}
