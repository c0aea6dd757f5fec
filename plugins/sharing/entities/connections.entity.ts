import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/**
 * Kaiku's OAuth client at a provider, for one instance: registered by Kaiku itself on a Mastodon
 * server (one per server), or the instance's own LinkedIn app, entered by an admin.
 */
export const ProviderApp = defineEntity({
  name: 'SharingProviderApp',
  tableName: 'sharing_provider_app',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'network', 'host'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    network: p.string().length(20),
    host: p.string().length(253),
    clientId: p.string().length(500),
    /** Sealed (lib/sealed.ts), bound to this row. */
    clientSecret: p.text(),
    /** The callback address the client was registered with (Mastodon); null for an admin's app. */
    redirectUri: p.string().length(2000).nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime()
  })
})

export const CONNECTION_STATUSES = ['active', 'needs_reconnect'] as const
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number]

/** A member's account on a network that Kaiku may post to for them: one per member and network. */
export const Connection = defineEntity({
  name: 'SharingConnection',
  tableName: 'sharing_connection',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId', 'network'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    network: p.string().length(20),
    host: p.string().length(253),
    /** The provider's id of the account (LinkedIn: the person id of `urn:li:person:<id>`). */
    accountId: p.string().length(200),
    /** As the member knows it: `@mia@mastodon.social`, or their name on LinkedIn. */
    accountName: p.string().length(300),
    /** Sealed (lib/sealed.ts), bound to this row; never logged, never shown. */
    token: p.text(),
    tokenExpiresAt: p.datetime().nullable(),
    /** `needs_reconnect` once the provider refused the token (revoked or expired). */
    status: p.string().length(20).$type<ConnectionStatus>(),
    connectedAt: p.datetime(),
    updatedAt: p.datetime()
  })
})
export type ConnectionEntity = InferEntity<typeof Connection>

/**
 * An authorisation under way: the `state` handed to the provider, kept as a hash, bound to the member
 * and their session, good for one callback within minutes.
 */
export const OAuthState = defineEntity({
  name: 'SharingOAuthState',
  tableName: 'sharing_oauth_state',
  filters: tenantFilter,
  properties: (p) => ({
    /** SHA-256 of the state, hex. */
    id: p.string().primary().length(64),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    /** SHA-256 of the session id the flow began in. */
    sessionHash: p.string().length(64),
    network: p.string().length(20),
    host: p.string().length(253),
    redirectUri: p.string().length(2000),
    /** Where to go back to afterwards (the share page the member came from), or null. */
    returnTo: p.string().length(200).nullable(),
    expiresAt: p.datetime().index()
  })
})

export const DIRECT_POST_STATUSES = ['scheduled', 'posting', 'posted', 'failed', 'cancelled'] as const
export type DirectPostStatus = (typeof DIRECT_POST_STATUSES)[number]

/**
 * A post Kaiku makes for a member on a connected account, now or at a chosen time. Once posted it is
 * recorded as a share (`shareId`); the row stays as the member's history, whatever becomes of the
 * connection.
 */
export const DirectPost = defineEntity({
  name: 'SharingDirectPost',
  tableName: 'sharing_direct_post',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'memberId', 'createdAt'] }],
  properties: (p) => ({
    /** Also the Idempotency-Key sent to the provider. */
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    postId: p.string().length(36),
    network: p.string().length(20),
    connectionId: p.string().length(36),
    accountName: p.string().length(300),
    linkId: p.string().length(36),
    /** The member's text with the disclosure line (what the share records). */
    message: p.text(),
    /** The member's tracked link, posted after the message. */
    url: p.string().length(2400),
    status: p.string().length(16).$type<DirectPostStatus>(),
    runAt: p.datetime(),
    /** Why it failed, as a message key suffix (`sharing.direct.failure.<reason>`). */
    failure: p.string().length(40).nullable(),
    /** What the provider said, if anything. */
    detail: p.string().length(300).nullable(),
    remoteUrl: p.string().length(2000).nullable(),
    shareId: p.string().length(36).nullable().index(),
    createdAt: p.datetime(),
    updatedAt: p.datetime()
  })
})
export type DirectPostEntity = InferEntity<typeof DirectPost>
