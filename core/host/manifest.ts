import { Type, type Static, type TObject } from '@sinclair/typebox'
import type { EntitySchema } from '@mikro-orm/core'
import type { FastifyInstance } from 'fastify'
import type { ActionName, FilterName, KaikuActions, KaikuFilters } from '../events/bus.js'
import type { CoreSettings, PluginContext } from './context.js'
import type { JobDefinition, ScheduleDefinition } from '../jobs/queue.js'

/** The version of the plugin API that this core provides; manifests name a semver range of it. */
export const PLUGIN_API_VERSION = '1.11.0'

export interface ManifestNavEntry {
  /** Message key of the label, in the plugin's catalogue (`<plugin>.<key>`) or core's. */
  label: string
  href: string
  /** Shown only to viewers holding one of these roles; absent means everyone. */
  roles?: string[]
  /** Shown only to visitors who are not signed in (e.g. "Sign in"). */
  guest?: boolean
  /** Lower comes first; core's entries use multiples of 100. */
  order?: number
}

export interface CliCommand {
  /** `kaiku <name>`; plugins prefix their commands with their name, e.g. `feeds:import`. */
  name: string
  description: string
  usage?: string
  /**
   * Returns the process exit code. `app` is the built, ready app, for the decorators that the plugins
   * this one requires declare (e.g. `app.tenancy`); it does not listen.
   */
  run(args: string[], ctx: PluginContext, io: { out: (line: string) => void }, app: FastifyInstance): Promise<number> | number
}

export interface EventHandlers {
  filters?: { [N in FilterName]?: (value: KaikuFilters[N]['value'], context: KaikuFilters[N]['context'], ctx: PluginContext) => KaikuFilters[N]['value'] | Promise<KaikuFilters[N]['value']> }
  actions?: { [N in ActionName]?: (payload: KaikuActions[N], ctx: PluginContext) => void | Promise<void> }
}

/** One category of personal data a plugin keeps, as the privacy policy and `/me/data` describe it. */
export interface PersonalDataDeclaration {
  /** Short id, unique within the plugin, e.g. `profile` or `clicks`. */
  category: string
  /** Plain-language title, e.g. "Your shares". */
  title: string
  /** Why it is kept. */
  purpose: string
  /** Which fields are stored, in plain words (e.g. ['name', 'email address']). */
  fields: string[]
  /** How long it is kept, in plain words; or the number of days when a setting decides. */
  retention: string
  /** Who can see it: 'member' (the person themselves), 'members', 'curators', 'admins', 'operators'. */
  visibleTo: string[]
}

/**
 * What a plugin is. Everything but `register` is data, so the host can validate, order and migrate
 * plugins before any of their code runs.
 */
export interface PluginManifest<C extends TObject = TObject> {
  name: string
  version: string
  /** Semver range of the plugin API this plugin targets, e.g. '^1.0.0'. */
  api: string
  description?: string
  /** Plugins that must be loaded, and registered, before this one. */
  requires?: string[]
  /**
   * Tenant admins may switch the plugin off for their instance (at `/admin/plugins`): its routes answer
   * 404 there, its nav entries, jobs and mail for that instance stop; its data stays. An optional plugin
   * whose `register` throws is disabled (and the admin page says why) instead of stopping the boot.
   */
  optional?: boolean
  /**
   * Entities that have a `tenantId` but are read across tenants on purpose, without the tenant filter,
   * by entity name with the reason (e.g. resolving a request's host before its tenant is known). Every
   * other entity with a `tenantId` must carry the tenant filter, or the host refuses the plugin.
   */
  unscopedEntities?: Record<string, string>
  /** TypeBox schema of the plugin's settings, with defaults. */
  config?: C
  entities?: EntitySchema<any, any>[]
  /** Folder holding `sqlite/` and `postgresql/` migration files that touch only this plugin's tables. */
  migrations?: string
  /** Folder of Handlebars templates: pages at its top, partials under `partials/` (as `<plugin>/<name>`). */
  views?: string
  /**
   * Folder of static files served at `/static/<plugin>/`. A `style.css` in it is linked from every
   * page; scripts are added by the pages that want them (`reply.page(…, { scripts: [...] })`).
   */
  assets?: string
  /** Message catalogue per language; keys are namespaced by the plugin name automatically. */
  messages?: Record<string, Record<string, string>>
  nav?: ManifestNavEntry[]
  /** Events this plugin raises, with their kind and meaning. */
  events?: Record<string, { kind: 'filter' | 'action'; description: string }>
  /** Handlers for events declared by core or by plugins this one requires. */
  on?: EventHandlers
  commands?: CliCommand[]
  /** Durable jobs by name (`<plugin>.<job>`); handlers get the plugin's ctx as `tools.ctx`. */
  jobs?: Record<string, JobDefinition<any, PluginContext<Static<C>>>>
  /** Recurring jobs: every N minutes, daily at a time or weekly, in the tenant's (or server's) time zone. */
  schedules?: ScheduleDefinition[]
  /** Folder of mail templates: `<name>.subject.hbs`, `<name>.html.hbs`, `<name>.text.hbs`, used as `<plugin>/<name>`. */
  mail?: string
  /**
   * The personal data this plugin stores: what the privacy pages, export and erasure are built from.
   * A function (since 1.10.0) is called once at boot with the plugin's validated settings and core's,
   * so a retention a setting decides reads as the number in effect ("30 days"), never a setting's name.
   */
  personalData?: PersonalDataDeclaration[] | ((config: Readonly<Static<C>>, settings: CoreSettings) => PersonalDataDeclaration[])
  register?(app: FastifyInstance, ctx: PluginContext<Static<C>>): Promise<void> | void
}

/** Identity for typing: `export default definePlugin({ … })`. */
export function definePlugin<C extends TObject>(manifest: PluginManifest<C>): PluginManifest<C> {
  return manifest
}

/** The data part of a manifest, checked before any plugin code runs. */
export const manifestShape = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$' }),
  version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$' }),
  api: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  requires: Type.Optional(Type.Array(Type.String())),
  optional: Type.Optional(Type.Boolean()),
  unscopedEntities: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 10 }))),
  config: Type.Optional(Type.Object({ type: Type.Literal('object') })),
  entities: Type.Optional(Type.Array(Type.Object({}))),
  migrations: Type.Optional(Type.String()),
  views: Type.Optional(Type.String()),
  assets: Type.Optional(Type.String()),
  messages: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.String()))),
  nav: Type.Optional(
    Type.Array(
      Type.Object({
        label: Type.String(),
        href: Type.String({ pattern: '^/' }),
        roles: Type.Optional(Type.Array(Type.String())),
        guest: Type.Optional(Type.Boolean()),
        order: Type.Optional(Type.Number())
      })
    )
  ),
  events: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object({ kind: Type.Union([Type.Literal('filter'), Type.Literal('action')]), description: Type.String() })
    )
  ),
  on: Type.Optional(Type.Object({ filters: Type.Optional(Type.Object({})), actions: Type.Optional(Type.Object({})) })),
  commands: Type.Optional(
    Type.Array(Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9:-]*$' }), description: Type.String() }))
  ),
  jobs: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-zA-Z0-9.-]+$' }), Type.Object({}))),
  schedules: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-zA-Z0-9.-]+$' }),
        job: Type.String(),
        spec: Type.Object({}),
        payload: Type.Optional(Type.Object({}))
      })
    )
  ),
  mail: Type.Optional(Type.String()),
  // A list is checked here with the rest; a function's list once it has been called (personalDataShape).
  personalData: Type.Optional(Type.Unknown())
})

/** What a plugin's personal-data declarations must look like, whether listed or returned by its function. */
export const personalDataShape = Type.Array(
  Type.Object({
    category: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
    title: Type.String({ minLength: 1 }),
    purpose: Type.String({ minLength: 1 }),
    fields: Type.Array(Type.String()),
    retention: Type.String({ minLength: 1 }),
    visibleTo: Type.Array(Type.String())
  })
)
