import type { EntityManager, MikroORM } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import { Link, SharingSettings, ShortDomain } from '../entities/sharing.entity.js'

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
 * How long a link read is served from memory. Links do not change, but an erased member's links are
 * re-owned and a deleted post's links go: this instance forgets them at once (`forgetLinks`), every
 * other instance within this time, since the links held are read again every half of it
 * (`revalidate`), a few hundred in one query, not each by the click that finds it expired.
 */
const LINK_MS = 60_000
const REVALIDATE_MS = LINK_MS / 2
/** Codes per query of a revalidation. */
const REVALIDATE_CHUNK = 500

/** The hosts an instance's links answer on: being read (`hosts`), then also known (`known`). */
interface HostsEntry {
  hosts: Promise<Set<string>>
  known?: Set<string>
  until: number
}

/**
 * What a redirect needs, kept in memory: a link read once is served from here and read again in
 * bulk every half minute, and the hosts an instance's links answer on are re-read every minute.
 * Requests that miss at the same moment (a link that goes viral before anyone opened it) share one
 * query.
 */
export class RedirectDirectory {
  private readonly links = new Map<string, { link: CachedLink; until: number }>()
  private revalidating: NodeJS.Timeout | null = null
  private closed = false
  private readonly loading = new Map<string, Promise<CachedLink | undefined>>()
  private readonly hosts = new Map<string, HostsEntry>()

  /** Plain SQL, not an entity query: under load `em.findOne` cost five times the CPU of the whole miss (bench/README.md). */
  private readonly linkByCode: string
  /** The same columns for many codes (`?` stands for the list). */
  private readonly linksByCodes: (codes: number) => string

  constructor(
    private readonly orm: MikroORM,
    private readonly app: FastifyInstance,
    private readonly baseHost: string
  ) {
    const meta = orm.getMetadata().get(Link.meta.className)
    const columns = LINK_FIELDS.map((field) => `${meta.properties[field].fieldNames[0]} as "${field}"`)
    const code = meta.properties.code.fieldNames[0]
    this.linkByCode = `select ${columns.join(', ')} from ${meta.tableName} where ${code} = ?`
    this.linksByCodes = (codes) => `select ${code} as "code", ${columns.join(', ')} from ${meta.tableName} where ${code} in (${Array(codes).fill('?').join(', ')})`
  }

  /**
   * Reads every link held again, in chunks: a link that is gone is forgotten, one that changed is
   * replaced, and each one found is fresh for another `LINK_MS`. A link forgotten or read anew while
   * this runs is left as it is. Called every `REVALIDATE_MS` while links are held; a failure leaves
   * the links to expire as they would (a click then reads its link itself).
   */
  async revalidate(): Promise<void> {
    const held = [...this.links]
    for (let start = 0; start < held.length && !this.closed; start += REVALIDATE_CHUNK) {
      const chunk = held.slice(start, start + REVALIDATE_CHUNK)
      const read = Date.now()
      type Found = CachedLink & { code: string }
      const found = (await this.orm.em.getConnection().execute(this.linksByCodes(chunk.length), chunk.map(([code]) => code))) as Found[]
      const byCode = new Map(found.map(({ code, ...link }: Found): [string, CachedLink] => [code, link]))
      for (const [code, entry] of chunk) {
        if (this.links.get(code) !== entry) continue
        const link = byCode.get(code)
        if (link) this.links.set(code, { link, until: read + LINK_MS })
        else this.links.delete(code)
      }
    }
  }

  /** Stops revalidating (the server is closing). */
  close(): void {
    this.closed = true
    if (this.revalidating) clearTimeout(this.revalidating)
    this.revalidating = null
  }

  private scheduleRevalidation(): void {
    if (this.revalidating || this.closed) return
    this.revalidating = setTimeout(() => {
      void this.revalidate()
        .catch((error: unknown) => {
          // A read cut short by the database closing is no news.
          if (!this.closed) this.app.log.warn({ err: error }, 'tracked links not revalidated; they expire as they are')
        })
        .finally(() => {
          this.revalidating = null
          if (this.links.size > 0) this.scheduleRevalidation()
        })
    }, REVALIDATE_MS)
    // The timer alone keeps no process alive.
    this.revalidating.unref()
  }

  /** The link if it is in memory and fresh, without a promise (the common case of a redirect). */
  cached(code: string, now = Date.now()): CachedLink | undefined {
    const hit = this.links.get(code)
    return hit && hit.until > now ? hit.link : undefined
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

  /** Every cached link of a post, after its links were given a new target (read again at their next click). */
  forgetPost(postId: string): void {
    for (const [code, { link }] of this.links) if (link.postId === postId) this.links.delete(code)
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
    this.scheduleRevalidation()
    return link
  }

  private async loadHosts(tenantId: string): Promise<Set<string>> {
    const em: EntityManager = this.orm.em.fork()
    const [tenant, settings, domains] = await Promise.all([
      this.app.tenancy.byId(em, tenantId),
      em.findOne(SharingSettings, { tenantId }, { filters: false }),
      // Former short domains too: links posted on them keep working until an admin lets one go.
      em.find(ShortDomain, { tenantId }, { filters: false, fields: ['host'] })
    ])
    const hosts = new Set([this.baseHost])
    if (tenant) hosts.add(`${tenant.slug}.${this.baseHost}`)
    // The current domain has a row of its own too, but an instance imported from an archive made
    // before former domains were kept has only its settings' one.
    if (settings?.shortDomain) hosts.add(settings.shortDomain)
    for (const { host } of domains) hosts.add(host)
    return hosts
  }
}
