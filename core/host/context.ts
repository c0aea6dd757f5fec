import type { EntityManager, MikroORM } from '@mikro-orm/core'
import type { FastifyBaseLogger } from 'fastify'
import type { ActionName, FilterName, KaikuActions, KaikuFilters } from '../events/bus.js'
import type { EventBus } from '../events/bus.js'
import type { Dialect } from '../db/orm.js'
import type { SessionDirectory } from '../db/sessions.js'
import { pooledReads, type LongReads } from '../db/long-reads.js'
import type { EnqueueOptions } from '../jobs/queue.js'
import type { ScheduleScope } from '../jobs/scheduler.js'
import type { MailMessage, MailProgress } from '../mail/mailer.js'
import type { RateResult } from '../web/rate-limit.js'
import type { DirectHandler } from '../web/direct.js'
import type { PluginCounter } from '../ops/metrics.js'
import type { PluginSwitches } from './switches.js'
import { PLUGIN_API_VERSION, type ManifestNavEntry, type PersonalDataDeclaration } from './manifest.js'

/** A plugin that offers the first-run setup (the tenancy plugin does) tells core when it is done. */
export interface SetupProvider {
  /** Where the setup form lives; every page redirects there until setup is complete. */
  path: string
  isComplete(em: EntityManager): Promise<boolean>
}

/** What a plugin may know of the loaded plugins: their names and declared personal data. */
export interface LoadedPluginInfo {
  name: string
  description?: string
  personalData: readonly PersonalDataDeclaration[]
}

/** Core settings a plugin may read (`ctx.settings`); secrets are not among them. */
export type CoreSettings = Readonly<{ publicUrl: string; locale: string; timeZone: string; dataDir: string; dialect: Dialect; sessionMaxDays: number; mailHost: string | null }>

/**
 * The versioned facade a plugin gets. It is all a plugin may use of core: plugins never import
 * core internals or each other's files. Version 1.0.0 of the plugin API.
 */
export interface PluginContext<C = Record<string, unknown>> {
  readonly apiVersion: string
  /** The plugin's own name. */
  readonly name: string
  /** The plugin's validated settings. */
  readonly config: Readonly<C>
  /** Core settings a plugin may read; secrets are not among them. */
  readonly settings: CoreSettings
  readonly log: FastifyBaseLogger
  /** The ORM; inside a request use `request.em`, elsewhere `orm.em.fork()`. */
  readonly orm: MikroORM
  /**
   * Long reads (since 1.6.0), outside any transaction: `db.readAll(sql, params)` for counts that scan
   * many rows, such as a rollup's. On SQLite they use a read-only connection of their own, so they
   * never hold the one connection every write waits for; each sees what was committed when it starts.
   */
  readonly db: { readAll<T>(sql: string, params?: unknown[]): Promise<T[]> }
  readonly events: {
    emit<N extends ActionName>(name: N, payload: KaikuActions[N], options?: { em?: EntityManager }): void
    filter<N extends FilterName>(
      name: N,
      value: KaikuFilters[N]['value'],
      context: KaikuFilters[N]['context']
    ): Promise<KaikuFilters[N]['value']>
  }
  readonly nav: { add(entry: ManifestNavEntry): void }
  readonly jobs: {
    /** Writes a job with `em` (so inside the caller's transaction); a key makes it idempotent. */
    enqueue(em: EntityManager, name: string, payload: unknown, options?: EnqueueOptions): Promise<{ id: string; created: boolean }>
    /** For the plugin that knows tenants: per-tenant schedules then run in each tenant's time zone. */
    provideScopes(provider: () => Promise<ScheduleScope[]>): void
  }
  readonly mail: {
    /** Renders and queues a message in the caller's transaction; invalid input fails here, nothing queued. */
    send(em: EntityManager, message: MailMessage): Promise<{ id: string; created: boolean }>
    /** How the messages whose keys start with `keyPrefix` are doing (a broadcast's progress, say). */
    progress(keyPrefix: string): Promise<MailProgress>
  }
  readonly setup: { provide(provider: SetupProvider): void }
  /**
   * Counters shared by every instance (in the database), for limits a route's own rate limit cannot
   * express, such as attempts per account: `consume('login:ada@acme.com', 5, 15 * 60_000)`.
   */
  /** Sessions by subject (`session.subject`, e.g. `member:<id>`): list them, end them. */
  readonly sessions: SessionDirectory
  readonly limits: { consume(key: string, max: number, windowMs: number): Promise<RateResult> }
  /**
   * Keys for the plugin's own signatures (e.g. HMAC of a token it hands out), derived from the server
   * secret, the plugin's name and `purpose`: a plugin never sees the secret, and no two plugins or
   * purposes share a key. Stable across restarts and instances that share the secret.
   */
  readonly keys: { derive(purpose: string): Buffer }
  /**
   * Direct routes (since 1.2.0): `direct('/s/', handler)` answers GET requests under the prefix
   * before the web pipeline (no session, cookie, tenant, nonce, ORM context or request log), for
   * endpoints hit far more often than pages, such as tracked links and beacons. The handler sets its
   * own headers; see core/web/direct.ts.
   */
  readonly http: { direct(prefix: string, handler: DirectHandler): void }
  /** Counters on `/metrics`, named `kaiku_<plugin>_<name>` (e.g. sharing's clicks). */
  readonly metrics: { counter(name: string, help: string, labelNames?: string[]): PluginCounter }
  /**
   * The loaded plugins and their per-tenant switches, for the page where an instance's admins turn
   * optional plugins on and off (`list`, `setEnabled`), and for a plugin that asks whether another
   * one is on for a tenant (`isEnabled`).
   */
  readonly switches: Pick<PluginSwitches, 'list' | 'isEnabled' | 'setEnabled'>
  /** Translate a message key for a locale (pages get the `t` helper instead). */
  t(locale: string, key: string, params?: Record<string, unknown>): string
  /** The loaded plugins, in load order, read-only (the privacy pages are built from their declarations). */
  plugins(): readonly LoadedPluginInfo[]
}

export interface ContextParts {
  settings: PluginContext['settings']
  log: FastifyBaseLogger
  orm: MikroORM
  /** Long reads beside the writer (core/db/long-reads.ts); the pool when not given. */
  longReads?: Pick<LongReads, 'all'>
  bus: EventBus
  addNav(owner: string, entry: ManifestNavEntry): void
  jobs: PluginContext['jobs']
  mail: PluginContext['mail']
  limits: PluginContext['limits']
  sessions: SessionDirectory
  deriveKey(owner: string, purpose: string): Buffer
  direct?(owner: string, prefix: string, handler: DirectHandler): void
  metrics(owner: string): PluginContext['metrics']
  provideSetup(owner: string, provider: SetupProvider): void
  switches: PluginSwitches
  t: PluginContext['t']
  plugins?: () => readonly LoadedPluginInfo[]
}

export function createContext(name: string, config: Record<string, unknown>, parts: ContextParts): PluginContext {
  return Object.freeze({
    apiVersion: PLUGIN_API_VERSION,
    name,
    config: Object.freeze({ ...config }),
    settings: parts.settings,
    log: parts.log.child({ plugin: name }),
    orm: parts.orm,
    db: { readAll: (sql, params) => (parts.longReads ?? pooledReads(parts.orm)).all(sql, params) },
    events: {
      emit: (event, payload, options) => parts.bus.emit(event, payload, options),
      filter: (event, value, context) => parts.bus.filter(event, value, context)
    },
    nav: { add: (entry) => parts.addNav(name, entry) },
    jobs: parts.jobs,
    mail: parts.mail,
    limits: parts.limits,
    sessions: parts.sessions,
    keys: { derive: (purpose) => parts.deriveKey(name, purpose) },
    http: {
      direct: (prefix, handler) => {
        if (!parts.direct) throw new Error(`${name}: direct routes are not available here`)
        parts.direct(name, prefix, handler)
      }
    },
    metrics: parts.metrics(name),
    setup: { provide: (provider) => parts.provideSetup(name, provider) },
    switches: { list: parts.switches.list, isEnabled: parts.switches.isEnabled, setEnabled: parts.switches.setEnabled },
    t: parts.t,
    plugins: () => parts.plugins?.() ?? []
  } satisfies PluginContext)
}
