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

const LINKS_MAX = 50_000
const HOSTS_MS = 60_000

/**
 * What a redirect needs, kept in memory: links never change once made, so a link read once is served
 * from here; the hosts an instance's links answer on are re-read every minute.
 */
export class RedirectDirectory {
  private readonly links = new Map<string, CachedLink>()
  private readonly hosts = new Map<string, { hosts: Set<string>; until: number }>()

  constructor(
    private readonly orm: MikroORM,
    private readonly app: FastifyInstance,
    private readonly baseHost: string
  ) {}

  async link(code: string): Promise<CachedLink | undefined> {
    const hit = this.links.get(code)
    if (hit) return hit
    const row = await this.orm.em.fork().findOne(Link, { code }, { filters: false })
    if (!row) return undefined
    const link = { id: row.id, tenantId: row.tenantId, postId: row.postId, memberId: row.memberId, network: row.network, target: row.target }
    if (this.links.size >= LINKS_MAX) this.links.delete(this.links.keys().next().value!)
    this.links.set(code, link)
    return link
  }

  /** The hosts an instance's short links answer on: Kaiku's own host, the instance's, its short domain. */
  async hostsOf(tenantId: string): Promise<Set<string>> {
    const hit = this.hosts.get(tenantId)
    if (hit && hit.until > Date.now()) return hit.hosts
    const em: EntityManager = this.orm.em.fork()
    const [tenant, settings] = await Promise.all([this.app.tenancy.byId(em, tenantId), em.findOne(SharingSettings, { tenantId }, { filters: false })])
    const hosts = new Set([this.baseHost])
    if (tenant) hosts.add(`${tenant.slug}.${this.baseHost}`)
    if (settings?.shortDomain) hosts.add(settings.shortDomain)
    this.hosts.set(tenantId, { hosts, until: Date.now() + HOSTS_MS })
    return hosts
  }

  forgetHosts(tenantId: string): void {
    this.hosts.delete(tenantId)
  }
}
