import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import fastifyPlugin from 'fastify-plugin'
import type { MikroORM } from '@mikro-orm/core'
import { NotFoundError } from '../errors.js'
import type { EventBus } from '../events/bus.js'
import type { PluginContext } from './context.js'
import { PluginError } from './discover.js'
import type { ManifestNavEntry } from './manifest.js'
import type { LoadedPlugin } from './prepare.js'
import type { PluginSwitches } from './switches.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The plugin that registered the route (set by the host; absent for core's routes). */
    plugin?: string
  }
}

export interface RegisterOptions {
  plugins: LoadedPlugin[]
  contexts: Map<string, PluginContext>
  switches: PluginSwitches
  orm: MikroORM
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Runs each plugin's `register` in `requires` order, inside `fastify-plugin` (its decorators are
 * visible to the plugins after it). Every route a plugin adds, in whatever child scope, is tagged
 * with the plugin's name; an optional plugin's routes get a guard that answers 404 on an instance
 * that switched the plugin off. A `register` that throws stops the boot with the plugin's name, or,
 * for an optional plugin, disables it everywhere and leaves the reason for the admin page.
 */
export async function registerPlugins(app: FastifyInstance, options: RegisterOptions): Promise<void> {
  const { switches, orm } = options
  let registering: string | undefined
  const guardOf = (plugin: string): onRequestHookHandler =>
    async function pluginSwitch(request: FastifyRequest, _reply: FastifyReply) {
      // Operational routes (probes, short links) run without a request context: read with a fork.
      const em = request.routeOptions.config.operational ? orm.em.fork() : request.em
      if (!(await switches.isEnabled(em, request.tenant?.id, plugin))) throw new NotFoundError()
    }
  app.addHook('onRoute', (route) => {
    if (!registering) return
    route.config = { ...(route.config ?? {}), plugin: registering }
    if (!switches.isOptional(registering)) return
    const own = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : []
    route.onRequest = [guardOf(registering), ...own]
  })
  for (const { manifest } of options.plugins) {
    if (!manifest.register) continue
    const ctx = options.contexts.get(manifest.name)!
    const register = manifest.register
    registering = manifest.name
    try {
      await app.register(
        fastifyPlugin(
          async (instance) => {
            try {
              await register(instance, ctx as never)
            } catch (error) {
              if (!manifest.optional) throw new PluginError(manifest.name, `register failed: ${reasonOf(error)}`)
              switches.markFailed(manifest.name, reasonOf(error))
              app.log.error({ plugin: manifest.name, err: error }, 'optional plugin disabled: its register failed')
            }
          },
          { name: manifest.name, dependencies: manifest.requires }
        )
      )
    } catch (error) {
      if (error instanceof PluginError) throw error
      // An error of a nested registration that the plugin did not await surfaces here.
      if (!manifest.optional) throw new PluginError(manifest.name, `register failed: ${reasonOf(error)}`)
      switches.markFailed(manifest.name, reasonOf(error))
    } finally {
      registering = undefined
    }
  }
}

/**
 * The `nav.entries` filter of the host: entries of plugins that are off for the viewer's instance
 * (switched off, or disabled at boot) are left out.
 */
export function guardNav(bus: EventBus, nav: readonly (ManifestNavEntry & { owner: string })[], switches: PluginSwitches, orm: MikroORM): void {
  bus.onFilter('nav.entries', async (entries, { tenantId, em }) => {
    const off = await switches.offFor(em ?? orm.em.fork(), tenantId)
    if (off.size === 0) return entries
    const hidden = new Set(nav.filter((entry) => off.has(entry.owner)).map((entry) => entry.href))
    return entries.filter((entry) => !hidden.has(entry.href))
  })
}
