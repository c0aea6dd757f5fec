import type { EntityManager } from '@mikro-orm/core'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Filter events: handlers transform a value in order. Plugins add their names by augmenting this
 * interface (`declare module`), and declare them in their manifest so the host knows them at boot.
 */
export interface KaikuFilters {
  /** The navigation entries of a page, after role filtering; handlers may add, remove or reorder. */
  'nav.entries': {
    value: NavItem[]
    /** `em` is the request's (tenant-scoped); `viewerId` and `tenantId` are absent for guests and the bare host. */
    context: { path: string; roles: readonly string[]; viewerId?: string; tenantId?: string; em?: import('@mikro-orm/core').EntityManager }
  }
  /** The name and colour a mail is dressed in; a tenancy plugin gives each tenant its own. */
  'mail.brand': {
    value: { name: string; colour: string }
    /** `em` is the sender's: it may be inside a transaction, so read with it, never with a new fork. */
    context: { template: string; tenant?: string; em?: import('@mikro-orm/core').EntityManager }
  }
  /**
   * A member's data for their export: each plugin appends its rows per category. Read with `em` (the
   * export's transaction) and only rows of `memberId` in `tenantId`.
   */
  'privacy.export': { value: PrivacyExportPart[]; context: PrivacySubject }
  /**
   * Erase (delete or anonymise everywhere) or only anonymise (analytics history) a member's data,
   * inside one transaction: write with `em` only. Each plugin appends what it changed.
   */
  'privacy.erase': { value: PrivacyErasePart[]; context: PrivacySubject & { mode: 'erase' | 'anonymise' } }
  /** Cookies plugins set, for the cookie notice; an optional one may be set only after consent. */
  'privacy.cookies': { value: CookieDeclaration[]; context: Record<string, never> }
  /**
   * An operator is about to read something an instance owns outside its own pages (a mail sent for
   * it, in core's mailbox). Handlers record the look in the instance's audit log, committed before
   * it is shown, and say so (`true`); one that throws stops the read.
   */
  /** `subject` says what was read, in at most 200 characters; it may hold a member's address (a mail's recipient). */
  'operator.look': { value: boolean; context: { em: EntityManager; tenantId: string; operatorId: string; subject: string } }
}

/** Whose data a privacy filter handles; `name` and `email` as they were before any change. */
export interface PrivacySubject {
  em: EntityManager
  tenantId: string
  memberId: string
  name: string
  email: string
}

export interface PrivacyExportPart {
  plugin: string
  category: string
  rows: Record<string, unknown>[]
}

export interface PrivacyErasePart {
  plugin: string
  category: string
  /** Rows deleted or anonymised. */
  affected: number
}

export interface CookieDeclaration {
  name: string
  /** Who sets it: 'core' or a plugin name. */
  owner: string
  /** Plain-language purpose and lifetime. */
  purpose: string
  lifetime: string
  /** Optional cookies need the member's consent before they are set. */
  optional: boolean
}

/** Action events: handlers are told after the causing transaction commits; their errors are logged. */
export interface KaikuActions {
  /** The app has registered every plugin and is about to serve. */
  'app.ready': { plugins: string[] }
  /**
   * A member's erasure or anonymisation (`privacy.erase`) has committed. Plugins that write rows in the
   * background (batches that were forming during the erasure) or keep them in memory clear what still
   * names the member: what arrived after their `privacy.erase` handler ran.
   */
  'privacy.erased': { tenantId: string; memberId: string; mode: 'erase' | 'anonymise' }
}

export interface NavItem {
  label: string
  href: string
  active: boolean
  /** A count shown beside the entry (unread notifications, items to review); none when absent or 0. */
  badge?: number
}

export type FilterName = keyof KaikuFilters & string
export type ActionName = keyof KaikuActions & string
export type EventName = FilterName | ActionName

export interface EventDeclaration {
  kind: 'filter' | 'action'
  description: string
  /** Who declares it: 'core' or a plugin name. */
  owner: string
}

export type FilterHandler<N extends FilterName> = (
  value: KaikuFilters[N]['value'],
  context: KaikuFilters[N]['context']
) => KaikuFilters[N]['value'] | Promise<KaikuFilters[N]['value']>
export type ActionHandler<N extends ActionName> = (payload: KaikuActions[N]) => void | Promise<void>

export const coreEvents: Record<string, Omit<EventDeclaration, 'owner'>> = {
  'nav.entries': { kind: 'filter', description: 'Navigation entries shown to the current viewer.' },
  'mail.brand': { kind: 'filter', description: 'Name and colour of the mail layout for one message.' },
  'privacy.export': { kind: 'filter', description: "A member's rows, per plugin and category, for their data export." },
  'privacy.erase': { kind: 'filter', description: "Erase or anonymise a member's data inside one transaction; each plugin reports what it changed." },
  'privacy.cookies': { kind: 'filter', description: 'The cookies plugins set, for the cookie notice and consent.' },
  'operator.look': { kind: 'filter', description: "An operator is about to read something of an instance's outside its pages: record it in its audit log." },
  'app.ready': { kind: 'action', description: 'Every plugin is registered; the app is about to serve.' },
  'privacy.erased': { kind: 'action', description: "A member's erasure has committed: clear what background writers and caches still hold of them." }
}

export class EventError extends Error {}

/**
 * MikroORM tells commit and rollback only for the outermost transaction; a nested one (a savepoint)
 * links to its parent through a private symbol, which we follow so actions wait for the real commit.
 */
function rootTransaction(transaction: object): object {
  let current = transaction as Record<symbol, unknown>
  for (;;) {
    const link = Object.getOwnPropertySymbols(current).find((symbol) => symbol.description === 'parentTransaction')
    const parent = link ? current[link] : undefined
    // Knex transactions are callable objects, so a parent may be a function.
    if (!parent || (typeof parent !== 'object' && typeof parent !== 'function')) return current
    current = parent as Record<symbol, unknown>
  }
}

/**
 * A typed event bus with one catalogue of declared names. Unknown names are refused when a handler
 * is added or an event is raised, so a typo fails at boot rather than silently never firing.
 */
export class EventBus {
  readonly catalogue = new Map<string, EventDeclaration>()
  private readonly filters = new Map<string, { owner: string; handler: (value: unknown, context: unknown) => unknown }[]>()
  private readonly actions = new Map<string, { owner: string; handler: (payload: unknown) => unknown }[]>()
  private readonly pending = new Set<Promise<void>>()
  /** Actions raised inside a transaction wait here, keyed by the transaction, until it ends. */
  private readonly deferred = new WeakMap<object, { name: string; payload: unknown }[]>()

  constructor(private readonly log: FastifyBaseLogger) {
    for (const [name, declaration] of Object.entries(coreEvents)) this.declare(name, { ...declaration, owner: 'core' })
  }

  declare(name: string, declaration: EventDeclaration): void {
    if (!/^[a-z][a-z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/.test(name)) {
      throw new EventError(`${declaration.owner}: event name '${name}' must look like 'noun.verb'`)
    }
    const existing = this.catalogue.get(name)
    if (existing) {
      throw new EventError(`${declaration.owner}: event '${name}' is already declared by ${existing.owner}`)
    }
    this.catalogue.set(name, declaration)
  }

  private expect(name: string, kind: EventDeclaration['kind'], who: string): void {
    const declaration = this.catalogue.get(name)
    if (!declaration) throw new EventError(`${who}: event '${name}' is not declared by core or any loaded plugin`)
    if (declaration.kind !== kind) {
      throw new EventError(`${who}: event '${name}' is a ${declaration.kind}, not a ${kind}`)
    }
  }

  onFilter<N extends FilterName>(name: N, handler: FilterHandler<N>, owner = 'core'): void {
    this.expect(name, 'filter', owner)
    const list = this.filters.get(name) ?? []
    list.push({ owner, handler: handler as (value: unknown, context: unknown) => unknown })
    this.filters.set(name, list)
  }

  onAction<N extends ActionName>(name: N, handler: ActionHandler<N>, owner = 'core'): void {
    this.expect(name, 'action', owner)
    const list = this.actions.get(name) ?? []
    list.push({ owner, handler: handler as (payload: unknown) => unknown })
    this.actions.set(name, list)
  }

  /** Runs every filter handler in registration order (plugin order), each receiving the last one's value. */
  async filter<N extends FilterName>(
    name: N,
    value: KaikuFilters[N]['value'],
    context: KaikuFilters[N]['context']
  ): Promise<KaikuFilters[N]['value']> {
    this.expect(name, 'filter', 'filter()')
    let current = value
    for (const { handler } of this.filters.get(name) ?? []) {
      current = (await handler(current, context)) as KaikuFilters[N]['value']
    }
    return current
  }

  /**
   * Tells action handlers about something that happened. Given an EntityManager inside a
   * transaction, handlers run only after that transaction commits, and never if it rolls back.
   */
  emit<N extends ActionName>(name: N, payload: KaikuActions[N], options: { em?: EntityManager } = {}): void {
    this.expect(name, 'action', 'emit()')
    const transaction = options.em?.isInTransaction() ? rootTransaction(options.em.getTransactionContext() as object) : undefined
    if (transaction) {
      const queue = this.deferred.get(transaction) ?? []
      queue.push({ name, payload })
      this.deferred.set(transaction, queue)
      return
    }
    this.dispatch(name, payload)
  }

  /** Called by the ORM subscriber when a transaction ends. */
  transactionEnded(transaction: object, committed: boolean): void {
    const queue = this.deferred.get(transaction)
    this.deferred.delete(transaction)
    if (!committed || !queue) return
    for (const { name, payload } of queue) this.dispatch(name, payload)
  }

  private dispatch(name: string, payload: unknown): void {
    for (const { owner, handler } of this.actions.get(name) ?? []) {
      const run = (async () => {
        try {
          await handler(payload)
        } catch (error) {
          this.log.error({ err: error, event: name, plugin: owner }, 'action handler failed')
        }
      })()
      this.pending.add(run)
      void run.finally(() => this.pending.delete(run))
    }
  }

  /** Resolves when every action handler started so far has finished (shutdown and tests wait on it). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending])
  }
}
