import { Value } from '@sinclair/typebox/value'
import semver from 'semver'
import { pluginEnvName, validateSettings, type SettingSource } from '../config/load.js'
import type { EntityManager } from '@mikro-orm/core'
import type { EventBus } from '../events/bus.js'
import type { PluginSwitches } from './switches.js'
import { checkEntities } from './checks.js'
import { PluginError, type DiscoveredPlugin } from './discover.js'
import type { CoreSettings } from './context.js'
import { manifestShape, personalDataShape, PLUGIN_API_VERSION, type PersonalDataDeclaration, type PluginManifest } from './manifest.js'

export interface LoadedPlugin {
  manifest: PluginManifest
  config: Record<string, unknown>
}

type Env = Record<string, string | undefined>

function checkShape({ spec, manifest }: DiscoveredPlugin): void {
  const name = typeof manifest.name === 'string' ? manifest.name : spec
  const first = [...Value.Errors(manifestShape, manifest)][0]
  if (first) throw new PluginError(name, `invalid manifest at ${first.path || '/'}: ${first.message}`)
  if (!semver.validRange(manifest.api)) throw new PluginError(name, `api '${manifest.api}' is not a semver range`)
  if (!semver.satisfies(PLUGIN_API_VERSION, manifest.api)) {
    throw new PluginError(
      name,
      `targets plugin API ${manifest.api}, but this Kaiku provides ${PLUGIN_API_VERSION}; use a version of the plugin made for it`
    )
  }
  if (typeof manifest.personalData !== 'function') checkPersonalData(name, manifest.personalData ?? [], (path) => `invalid manifest at /personalData${path}`)
  if (manifest.register !== undefined && typeof manifest.register !== 'function') {
    throw new PluginError(name, 'register must be a function')
  }
  for (const command of manifest.commands ?? []) {
    if (typeof command.run !== 'function') throw new PluginError(name, `command ${command.name} has no run function`)
  }
}

function checkPersonalData(name: string, declarations: unknown, where: (path: string) => string): asserts declarations is PersonalDataDeclaration[] {
  const first = [...Value.Errors(personalDataShape, declarations)][0]
  if (first) throw new PluginError(name, `${where(first.path)}: ${first.message}`)
}

/**
 * A plugin's personal-data declarations as the privacy pages show them: the manifest's list, or what
 * its function makes of the plugin's settings and core's (so a retention reads "45 days", whatever
 * the operator set), checked like a list.
 */
export function personalDataOf({ manifest, config }: LoadedPlugin, settings: CoreSettings): readonly PersonalDataDeclaration[] {
  const declared = manifest.personalData
  if (typeof declared !== 'function') return Object.freeze([...(declared ?? [])])
  let declarations: unknown
  try {
    declarations = declared(config, settings)
  } catch (error) {
    throw new PluginError(manifest.name, `personalData failed: ${(error as Error).message}`)
  }
  checkPersonalData(manifest.name, declarations, (path) => `personalData returned an invalid list at ${path || '/'}`)
  return Object.freeze([...declarations])
}

/** Orders plugins so that each comes after what it requires; refuses missing and cyclic requirements. */
export function orderPlugins(manifests: PluginManifest[]): PluginManifest[] {
  const byName = new Map(manifests.map((manifest) => [manifest.name, manifest]))
  for (const manifest of manifests) {
    for (const required of manifest.requires ?? []) {
      if (!byName.has(required)) {
        throw new PluginError(manifest.name, `requires '${required}', which is not loaded (add it to KAIKU_PLUGINS)`)
      }
    }
  }
  const ordered: PluginManifest[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (manifest: PluginManifest, path: string[]): void => {
    const seen = state.get(manifest.name)
    if (seen === 'done') return
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(manifest.name)), manifest.name].join(' → ')
      throw new PluginError(manifest.name, `requirement cycle: ${cycle}`)
    }
    state.set(manifest.name, 'visiting')
    for (const required of manifest.requires ?? []) visit(byName.get(required)!, [...path, manifest.name])
    state.set(manifest.name, 'done')
    ordered.push(manifest)
  }
  for (const manifest of manifests) visit(manifest, [])
  return ordered
}

/** A plugin's settings: defaults, then its section of the config file, then KAIKU_<PLUGIN>_<KEY>. */
function pluginSettings(manifest: PluginManifest, fileSection: Record<string, unknown> = {}, env: Env) {
  if (!manifest.config) return {}
  const keys = new Set([...Object.keys(manifest.config.properties), ...Object.keys(fileSection)])
  const sources: SettingSource[] = [...keys].map((key) => {
    const variable = pluginEnvName(manifest.name, key, manifest.config!.properties[key])
    return env[variable] !== undefined && env[variable] !== ''
      ? { key, label: variable, raw: env[variable] }
      : { key, label: `pluginConfig.${manifest.name}.${key}`, raw: fileSection[key] }
  })
  const { value, problems } = validateSettings<Record<string, unknown>>(manifest.config, sources)
  if (problems.length > 0) throw new PluginError(manifest.name, `invalid config: ${problems.join('; ')}`)
  return value
}

/**
 * Validates every discovered plugin, orders them by `requires` and resolves their settings. Nothing
 * of a plugin's own code runs here: only its manifest data is read.
 */
export function preparePlugins(
  discovered: DiscoveredPlugin[],
  pluginConfig: Record<string, Record<string, unknown>>,
  env: Env
): LoadedPlugin[] {
  discovered.forEach(checkShape)
  for (const { manifest } of discovered) checkEntities(manifest)
  const names = new Set<string>()
  for (const { manifest } of discovered) {
    if (names.has(manifest.name)) throw new PluginError(manifest.name, 'is loaded twice')
    names.add(manifest.name)
  }
  for (const section of Object.keys(pluginConfig)) {
    if (!names.has(section)) throw new PluginError(section, 'has settings in the config file but is not loaded')
  }
  return orderPlugins(discovered.map((entry) => entry.manifest)).map((manifest) => ({
    manifest,
    config: pluginSettings(manifest, pluginConfig[manifest.name], env)
  }))
}

/** Declares each plugin's events and wires its manifest handlers, in plugin order. */
export function wireEvents(plugins: LoadedPlugin[], bus: EventBus, contextOf: (name: string) => unknown, switches?: PluginSwitches): void {
  for (const { manifest } of plugins) {
    for (const [name, declaration] of Object.entries(manifest.events ?? {})) {
      try {
        bus.declare(name, { ...declaration, owner: manifest.name })
      } catch (error) {
        throw new PluginError(manifest.name, (error as Error).message)
      }
    }
  }
  for (const { manifest } of plugins) {
    const ctx = contextOf(manifest.name)
    const wire = (kind: 'filters' | 'actions') => {
      for (const [name, handler] of Object.entries(manifest.on?.[kind] ?? {})) {
        if (typeof handler !== 'function') throw new PluginError(manifest.name, `handler for ${name} is not a function`)
        try {
          if (kind === 'filters') {
            bus.onFilter(name as never, (value: never, context: never) => handler(value, context, ctx), manifest.name)
          } else {
            bus.onAction(name as never, async (payload: never) => {
              // An optional plugin is not told about what happens in an instance that switched it off.
              if (switches && manifest.optional) {
                const tenantId = (payload as { tenantId?: unknown } | undefined)?.tenantId
                const em = (ctx as { orm: { em: { fork(): EntityManager } } }).orm.em.fork()
                if (!(await switches.isEnabled(em, typeof tenantId === 'string' ? tenantId : undefined, manifest.name))) return
              }
              return handler(payload, ctx)
            }, manifest.name)
          }
        } catch (error) {
          throw new PluginError(manifest.name, (error as Error).message.replace(`${manifest.name}: `, ''))
        }
      }
    }
    wire('filters')
    wire('actions')
  }
}
