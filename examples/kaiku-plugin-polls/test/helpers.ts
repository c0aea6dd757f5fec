import { mkdirSync, symlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { testEnv, type TestLike } from '../../../test/helper.js'

/** The example plugin's folder: what `npm install <folder>` links into node_modules. */
export const pluginFolder = resolve(import.meta.dirname, '..')

/**
 * Kaiku with the polls plugin installed as a package: a working directory whose node_modules holds
 * `kaiku-plugin-polls` (a link to this folder, as `npm install ./kaiku-plugin-polls` makes), loaded
 * by its package name from KAIKU_PLUGINS. Extra plugins (analytics) come before it.
 */
export async function buildWithPolls(t: TestLike, extra: string[] = [], env: Record<string, string> = {}) {
  const { env: base, dir } = await testEnv(t, { plugins: ['tenancy', 'auth', 'feeds', ...extra, 'kaiku-plugin-polls'], env })
  mkdirSync(join(dir, 'node_modules'), { recursive: true })
  symlinkSync(pluginFolder, join(dir, 'node_modules', 'kaiku-plugin-polls'), 'dir')
  const app = await buildApp(loadConfig(base, dir), { env: base, cwd: dir })
  t.teardown(() => app.close())
  await app.ready()
  return app
}
