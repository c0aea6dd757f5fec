import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot } from '../paths.js'
import type { PluginManifest } from './manifest.js'
import { provideApiToPlugins } from './provide-api.js'

export class PluginError extends Error {
  constructor(readonly plugin: string, message: string) {
    super(`plugin ${plugin}: ${message}`)
    this.name = 'PluginError'
  }
}

export interface DiscoveredPlugin {
  /** How it was asked for: a built-in name, a package name or a path. */
  spec: string
  manifest: PluginManifest
}

const builtInFolder = () => join(projectRoot, 'plugins')

function entryFile(folder: string): string | undefined {
  return ['index.ts', 'index.js'].map((file) => join(folder, file)).find((file) => existsSync(file))
}

/** The entry of a plugin folder: its package.json's `exports['.']` (or `main`), else index.ts/index.js. */
function packageEntry(folder: string): string | undefined {
  const manifestFile = join(folder, 'package.json')
  if (existsSync(manifestFile)) {
    const pkg = JSON.parse(readFileSync(manifestFile, 'utf8')) as { exports?: unknown; main?: string }
    const dot = typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports as Record<string, unknown> | undefined)?.['.']
    const target = typeof dot === 'string' ? dot : ((dot as { import?: string; default?: string } | undefined)?.import ?? (dot as { default?: string } | undefined)?.default ?? pkg.main)
    if (target && existsSync(join(folder, target))) return join(folder, target)
  }
  return entryFile(folder)
}

/** An installed package, looked up in the node_modules folders from `cwd` upwards (where the operator installed it). */
function installedPackage(spec: string, cwd: string): string | undefined {
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    const candidate = join(folder, 'node_modules', spec)
    if (existsSync(join(candidate, 'package.json'))) return packageEntry(candidate)
    if (dirname(folder) === folder) return undefined
  }
}

/** The names of the plugins shipped in plugins/, every folder with an index file. */
export function builtInPlugins(): string[] {
  const folder = builtInFolder()
  if (!existsSync(folder)) return []
  return readdirSync(folder)
    .filter((name) => statSync(join(folder, name)).isDirectory() && entryFile(join(folder, name)))
    .sort()
}

async function importManifest(spec: string, target: string): Promise<PluginManifest> {
  let loaded: { default?: unknown }
  try {
    loaded = (await import(target)) as { default?: unknown }
  } catch (error) {
    throw new PluginError(spec, `cannot be loaded (${(error as Error).message})`)
  }
  if (!loaded.default || typeof loaded.default !== 'object') {
    throw new PluginError(spec, 'its entry must default-export a manifest (definePlugin({ … }))')
  }
  return loaded.default as PluginManifest
}

/** Turns one KAIKU_PLUGINS entry into a manifest: a built-in name, a path, or an npm package. */
async function load(spec: string, cwd: string): Promise<DiscoveredPlugin> {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    provideApiToPlugins()
    const path = resolve(cwd, spec)
    const file = existsSync(path) && statSync(path).isDirectory() ? packageEntry(path) : existsSync(path) ? path : undefined
    if (!file) throw new PluginError(spec, `no plugin found at ${path}`)
    return { spec, manifest: await importManifest(spec, pathToFileURL(file).href) }
  }
  const builtIn = entryFile(join(builtInFolder(), spec))
  if (builtIn) return { spec, manifest: await importManifest(spec, pathToFileURL(builtIn).href) }
  provideApiToPlugins()
  const installed = installedPackage(spec, cwd)
  // Not installed where Kaiku runs: perhaps beside Kaiku itself (a global or a workspace install).
  return { spec, manifest: await importManifest(spec, installed ? pathToFileURL(installed).href : spec) }
}

/** Reads the plugin list from configuration; empty means every built-in plugin, `none` none. */
export async function discoverPlugins(list: string, cwd = process.cwd()): Promise<DiscoveredPlugin[]> {
  const specs = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  // `none` runs core alone (an empty list means every built-in plugin).
  if (specs.length === 1 && specs[0] === 'none') return []
  // A plugin anywhere (a built-in folder included) may import 'kaiku/plugin-api'.
  provideApiToPlugins()
  const wanted = specs.length > 0 ? specs : builtInPlugins()
  const seen = new Set<string>()
  const found: DiscoveredPlugin[] = []
  for (const spec of wanted) {
    if (seen.has(spec)) continue
    seen.add(spec)
    found.push(await load(spec, cwd))
  }
  return found
}
