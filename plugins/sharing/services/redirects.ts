import type { EntityManager, MikroORM } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { Link, SharingSettings } from '../entities/sharing.entity.js'

export interface CachedLink {
  id: string
  tenantId: string
  postId: string
  memberId: string
  network: string
  target: string
}

const LINK_FIELDS = ['id', 'tenantId', 'postId', 'memberId', 'network', 'target'] as const satisfies readonly (keyof CachedLink)[]
const LINKS_MAX = 50_000
const HOSTS_MS = 60_000
/**
 * How long a link read once is served from memory. Links do not change, but an erased member's
 * links are re-owned and a deleted post's links go: this instance forgets them at once
 * (`forgetLinks`), every other instance within this time.
 */
const LINK_MS = 60_000

/** The hosts an instance's links answer on: being read (`hosts`), then also known (`known`). */
interface HostsEntry {
  hosts: Promise<Set<string>>
  known?: Set<string>
  until: number
}

/**
 * What a redirect needs, kept in memory: a link read once is served from here for a minute, and the
 * hosts an instance's links answer on are re-read every minute too. Requests that miss at the same
 * moment (a link that goes viral before anyone opened it) share one query.
 */
export class RedirectDirectory {
  private readonly links = new Map<string, { link: CachedLink; until: number }>()
  private readonly loading = new Map<string, Promise<CachedLink | undefined>>()
  private readonly hosts = new Map<string, HostsEntry>()

  /** Plain SQL, not an entity query: under load `em.findOne` cost five times the CPU of the whole miss (bench/README.md). */
  private readonly linkByCode: string

  constructor(
    private readonly orm: MikroORM,
    private readonly app: FastifyInstance,
    private readonly baseHost: string
  ) {
    const meta = orm.getMetadata().get(Link.meta.className)
    const columns = LINK_FIELDS.map((field) => `${meta.properties[field].fieldNames[0]} as "${field}"`)
    this.linkByCode = `select ${columns.join(', ')} from ${meta.tableName} where ${meta.properties.code.fieldNames[0]} = ?`
  }

  /** The link if it is in memory and fresh, without a promise (the common case of a redirect). */
  cached(code: string): CachedLink | undefined {
    const hit = this.links.get(code)
    return hit && hit.until > Date.now() ? hit.link : undefined
  }

  async link(code: string): Promise<CachedLink | undefined> {
    const hit = this.cached(code)
    if (hit) return hit
    let loading = this.loading.get(code)
    if (!loading) {
      loading = this.load(code).finally(() => this.loading.delete(code))
      this.loading.set(code, loading)
    }
    return loading
  }

  /**
   * Whether an instance's links answer on this host: Kaiku's own, the instance's, its short domain.
   * A boolean at once when the hosts are in memory, a promise while they are read.
   */
  answersOn(tenantId: string, host: string): boolean | Promise<boolean> {
    let entry = this.hosts.get(tenantId)
    if (entry && entry.until > Date.now() && entry.known) return entry.known.has(host)
    if (!entry || entry.until <= Date.now()) {
      const fresh: HostsEntry = { hosts: this.loadHosts(tenantId), until: Date.now() + HOSTS_MS }
      fresh.hosts.then(
        (hosts) => (fresh.known = hosts),
        // A failed read is not remembered: the next request tries again.
        () => this.hosts.get(tenantId) === fresh && this.hosts.delete(tenantId)
      )
      this.hosts.set(tenantId, fresh)
      entry = fresh
    }
    return entry.hosts.then((hosts) => hosts.has(host))
  }

  /** Links whose owner changed (an erased or anonymised member): read again at their next click. */
  forgetLinks(codes: readonly string[]): void {
    for (const code of codes) this.links.delete(code)
  }

  /**
   * Every cached link of a member, after her erasure committed: a click between `forgetLinks` (inside
   * the erasure's transaction) and the commit may have read and cached her link as it was.
   */
  forgetMember(memberId: string): void {
    for (const [code, { link }] of this.links) if (link.memberId === memberId) this.links.delete(code)
  }

  forgetHosts(tenantId: string): void {
    this.hosts.delete(tenantId)
  }

  private async load(code: string): Promise<CachedLink | undefined> {
    const [link] = await this.orm.em.getConnection().execute<CachedLink[]>(this.linkByCode, [code])
    if (!link) {
      this.links.delete(code)
      return undefined
    }
    if (!this.links.has(code) && this.links.size >= LINKS_MAX) this.links.delete(this.links.keys().next().value!)
    this.links.set(code, { link, until: Date.now() + LINK_MS })
    return link
  }

  private async loadHosts(tenantId: string): Promise<Set<string>> {
    const em: EntityManager = this.orm.em.fork()
    const [tenant, settings] = await Promise.all([this.app.tenancy.byId(em, tenantId), em.findOne(SharingSettings, { tenantId }, { filters: false })])
    const hosts = new Set([this.baseHost])
    if (tenant) hosts.add(`${tenant.slug}.${this.baseHost}`)
    if (settings?.shortDomain) hosts.add(settings.shortDomain)
    return hosts
  }
}
