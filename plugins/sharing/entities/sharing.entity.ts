import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { tenantFilter } from '../../../core/api.js'

/** An instance's sharing settings: which networks its members may share to, UTM campaign, short domain. */
export const SharingSettings = defineEntity({
  name: 'SharingSettings',
  tableName: 'sharing_settings',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().primary().length(36),
    networks: p.json<string[]>(),
    utmCampaign: p.string().length(100),
    /** A host of the company's own that serves its short links (e.g. go.acme.com), or null. */
    shortDomain: p.string().length(253).nullable().unique(),
    updatedAt: p.datetime()
  })
})
export type SharingSettingsEntity = InferEntity<typeof SharingSettings>

/**
 * Every short domain an instance has used, its current one and those it used before: a link already
 * posted on a former domain keeps answering there (the host is still routed here) until an admin lets
 * that domain go. A host belongs to one instance at a time, current or former.
 */
export const ShortDomain = defineEntity({
  name: 'SharingShortDomain',
  tableName: 'sharing_short_domain',
  filters: tenantFilter,
  properties: (p) => ({
    host: p.string().primary().length(253),
    tenantId: p.string().length(36).index(),
    /** When another domain (or none) replaced it; null while it is the instance's short domain. */
    retiredAt: p.datetime().nullable(),
    createdAt: p.datetime()
  })
})
export type ShortDomainEntity = InferEntity<typeof ShortDomain>

/** A post's own narrower choice of networks (absent: every network the instance allows). */
export const PostNetworks = defineEntity({
  name: 'PostNetworks',
  tableName: 'sharing_post_networks',
  filters: tenantFilter,
  properties: (p) => ({
    postId: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    networks: p.json<string[]>()
  })
})
export type PostNetworksEntity = InferEntity<typeof PostNetworks>

/** What sharing remembers for a member: their Mastodon instance. */
export const SharingProfile = defineEntity({
  name: 'SharingProfile',
  tableName: 'sharing_profile',
  filters: tenantFilter,
  uniques: [{ properties: ['tenantId', 'memberId'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    memberId: p.string().length(36),
    mastodonInstance: p.string().length(253).nullable()
  })
})
export type SharingProfileEntity = InferEntity<typeof SharingProfile>

/**
 * A tracked short link, one per (post, member, network). Its target is the post's URL with UTM
 * parameters, written again when a curator changes that URL: nothing in a click can change where it
 * leads.
 */
export const Link = defineEntity({
  name: 'Link',
  tableName: 'sharing_link',
  filters: tenantFilter,
  uniques: [{ properties: ['postId', 'memberId', 'network'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    code: p.string().length(16).unique(),
    postId: p.string().length(36),
    memberId: p.string().length(36).index(),
    network: p.string().length(20),
    target: p.string().length(2400),
    createdAt: p.datetime()
  })
})
export type LinkEntity = InferEntity<typeof Link>

/** A member shared a post to a network (through its share page, or posted directly). */
export const Share = defineEntity({
  name: 'Share',
  tableName: 'sharing_share',
  filters: tenantFilter,
  indexes: [{ properties: ['tenantId', 'createdAt'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36).index(),
    postId: p.string().length(36).index(),
    memberId: p.string().length(36).index(),
    network: p.string().length(20),
    linkId: p.string().length(36),
    text: p.text(),
    createdAt: p.datetime()
  })
})
export type ShareEntity = InferEntity<typeof Share>

/**
 * One click on a tracked link, append-only. Who clicked is not stored: the address cut to its
 * network (/24, /48), the kind of browser, the referring host, and a visitor key that changes daily.
 */
export const Click = defineEntity({
  name: 'Click',
  tableName: 'sharing_click',
  filters: tenantFilter,
  // (tenant, at) serves every query by instance. Nothing reads clicks by link, so no index on it: with
  // clicks spread over many links it grew at random places, the dearest part of storing a click.
  indexes: [{ properties: ['tenantId', 'at'] }],
  properties: (p) => ({
    id: p.string().primary().length(36),
    tenantId: p.string().length(36),
    linkId: p.string().length(36),
    postId: p.string().length(36),
    memberId: p.string().length(36),
    network: p.string().length(20),
    at: p.datetime(),
    ipNet: p.string().length(64),
    agent: p.string().length(16),
    referrerHost: p.string().length(253).nullable(),
    visitorKey: p.string().length(64),
    bot: p.boolean()
  })
})
export type ClickEntity = InferEntity<typeof Click>

/** The day's salt for visitor keys: random, shared by every instance, deleted after two days. */
export const VisitorSalt = defineEntity({
  name: 'VisitorSalt',
  tableName: 'sharing_salt',
  properties: (p) => ({
    day: p.string().primary().length(10),
    salt: p.string().length(64)
  })
})
