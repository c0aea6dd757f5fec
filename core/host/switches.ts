import { defineEntity, type EntityManager, type InferEntity } from '@mikro-orm/core'
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex'
import { TENANT_FILTER, tenantFilter } from '../db/tenant.js'
import type { JobDefinition, JobTools } from '../jobs/queue.js'
import type { MailMessage } from '../mail/mailer.js'
import type { LoadedPlugin } from './prepare.js'

/**
 * An optional plugin that a tenant's admins switched off for their instance. Only "off" is stored:
 * no row means on. The plugin's own data stays untouched; switching it on again brings it back.
 */
export const PluginSwitch = defineEntity({
  name: 'PluginSwitch',
  tableName: 'kaiku_plugin_switch',
  filters: tenantFilter,
  properties: (p) => ({
    tenantId: p.string().primary().length(36),
    plugin: p.string().primary().length(40),
    /** Who switched it off (a member id, or whatever the admin page records); null for the CLI. */
    changedBy: p.string().length(64).nullable(),
    changedAt: p.datetime()
  })
})

export type PluginSwitchEntity = InferEntity<typeof PluginSwitch>

export interface PluginStatus {
  name: string
  version: string
  description: string
  /** Tenant admins may switch it off. */
  optional: boolean
  /** On for this tenant: not switched off and not disabled at boot. */
  enabled: boolean
  /** Set when the plugin failed to register at boot and was disabled for every tenant. */
  failure?: string
}

/** The per-tenant plugin switches, and the optional plugins disabled at boot. One per app. */
export interface PluginSwitches {
  /** Every loaded plugin with its state for `tenantId`. */
  list(em: EntityManager, tenantId: string): Promise<PluginStatus[]>
  /** Whether `plugin` works for `tenantId` (always true for a required plugin that booted). */
  isEnabled(em: EntityManager, tenantId: string | null | undefined, plugin: string): Promise<boolean>
  /** Switches an optional plugin on or off; idempotent. Returns whether anything changed. */
  setEnabled(em: EntityManager, tenantId: string, plugin: string, enabled: boolean, changedBy?: string): Promise<boolean>
  /** Names of the plugins that are off for `tenantId` (switched off or failed at boot). */
  offFor(em: EntityManager, tenantId: string | null | undefined): Promise<Set<string>>
  /** An optional plugin whose `register` threw: it stays loaded but inactive everywhere. */
  markFailed(plugin: string, reason: string): void
  failure(plugin: string): string | undefined
  isOptional(plugin: string): boolean
}

export class SwitchError extends Error {
  override name = 'SwitchError'
}

export function createPluginSwitches(plugins: LoadedPlugin[]): PluginSwitches {
  const manifests = new Map(plugins.map(({ manifest }) => [manifest.name, manifest]))
  const optional = new Set(plugins.filter(({ manifest }) => manifest.optional === true).map(({ manifest }) => manifest.name))
  const failures = new Map<string, string>()
  // The rows of one tenant, read with the caller's EntityManager (inside a transaction on SQLite, a
  // fork would wait for the connection the transaction holds).
  const switchedOff = async (em: EntityManager, tenantId: string) => {
    if (optional.size === 0) return new Set<string>()
    const rows = await em.find(PluginSwitch, { tenantId }, { filters: { [TENANT_FILTER]: { tenantId } } })
    return new Set(rows.map((row) => row.plugin).filter((name) => optional.has(name)))
  }
  const offFor: PluginSwitches['offFor'] = async (em, tenantId) => {
    const off = tenantId ? await switchedOff(em, tenantId) : new Set<string>()
    for (const name of failures.keys()) off.add(name)
    return off
  }
  return {
    offFor,
    async list(em, tenantId) {
      const off = await offFor(em, tenantId)
      return plugins.map(({ manifest }) => ({
        name: manifest.name,
        version: manifest.version,
        description: manifest.description ?? '',
        optional: optional.has(manifest.name),
        enabled: !off.has(manifest.name),
        ...(failures.has(manifest.name) ? { failure: failures.get(manifest.name) } : {})
      }))
    },
    async isEnabled(em, tenantId, plugin) {
      if (failures.has(plugin)) return false
      if (!optional.has(plugin) || !tenantId) return true
      return !(await switchedOff(em, tenantId)).has(plugin)
    },
    async setEnabled(em, tenantId, plugin, enabled, changedBy) {
      if (!manifests.has(plugin)) throw new SwitchError(`no plugin '${plugin}' is loaded`)
      if (!optional.has(plugin)) throw new SwitchError(`plugin '${plugin}' is not optional`)
      const filters = { [TENANT_FILTER]: { tenantId } }
      const existing = await em.findOne(PluginSwitch, { tenantId, plugin }, { filters })
      if (enabled) {
        if (!existing) return false
        await em.nativeDelete(PluginSwitch, { tenantId, plugin }, { filters })
        return true
      }
      if (existing) return false
      // Two admins switching off at once: the second insert finds the row and changes nothing.
      await (em as SqlEntityManager)
        .createQueryBuilder(PluginSwitch)
        .insert({ tenantId, plugin, changedBy: changedBy ?? null, changedAt: new Date() })
        .onConflict(['tenantId', 'plugin'])
        .ignore()
        .execute()
      return true
    },
    markFailed(plugin, reason) {
      failures.set(plugin, reason)
    },
    failure: (plugin) => failures.get(plugin),
    isOptional: (plugin) => optional.has(plugin)
  }
}

/** The tenant a job works for: a per-tenant schedule's `scope`, or a `tenantId` in its payload. */
function tenantOfPayload(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined
  const { scope, tenantId } = payload as { scope?: unknown; tenantId?: unknown }
  if (typeof tenantId === 'string') return tenantId
  if (typeof scope === 'string' && scope !== 'global') return scope
  return undefined
}

/**
 * The jobs of optional plugins, guarded: a job for a tenant that switched its plugin off (or of a
 * plugin disabled at boot) ends as done without running, so nothing piles up or retries.
 */
export function guardJobs(plugins: LoadedPlugin[], switches: PluginSwitches): LoadedPlugin[] {
  return plugins.map((plugin) => {
    const { manifest } = plugin
    if (!manifest.optional || !manifest.jobs) return plugin
    const jobs: Record<string, JobDefinition> = {}
    for (const [name, definition] of Object.entries(manifest.jobs)) {
      jobs[name] = {
        ...definition,
        handler: async (payload: unknown, tools: JobTools) => {
          if (!(await switches.isEnabled(tools.em, tenantOfPayload(payload), manifest.name))) {
            tools.log.info({ plugin: manifest.name, job: name }, 'job skipped: its plugin is off for this tenant')
            return
          }
          return definition.handler(payload, tools as never)
        }
      }
    }
    return { ...plugin, manifest: { ...manifest, jobs } }
  })
}

/** A plugin's `ctx.mail.send`: mail for an instance that switched the plugin off is not queued. */
export function guardMail(
  plugin: string,
  switches: PluginSwitches,
  send: (em: EntityManager, message: MailMessage) => Promise<{ id: string; created: boolean }>
) {
  return async (em: EntityManager, message: MailMessage) => {
    if (!(await switches.isEnabled(em, message.tenant, plugin))) return { id: '', created: false }
    return send(em, message)
  }
}
