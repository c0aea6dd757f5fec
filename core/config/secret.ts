import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from './load.js'
import type { KaikuConfig } from './schema.js'

export const isHttps = (config: KaikuConfig): boolean => config.publicUrl.startsWith('https:')

/**
 * The signing secret. Over https it must be configured, so several instances share it and it
 * survives a lost volume; on a developer's http setup it is generated once into the data folder.
 */
export function resolveSecret(config: KaikuConfig, cwd = process.cwd()): string {
  if (config.secret) return config.secret
  if (isHttps(config)) {
    throw new ConfigError([
      'KAIKU_SECRET: missing; required when KAIKU_PUBLIC_URL is https; expected text of at least 32 characters (e.g. `openssl rand -base64 48`)'
    ])
  }
  const dataDir = resolve(cwd, config.dataDir)
  const file = join(dataDir, 'secret')
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim()
    if (stored.length >= 32) return stored
  }
  mkdirSync(dataDir, { recursive: true })
  const generated = randomBytes(48).toString('base64url')
  writeFileSync(file, generated + '\n', { mode: 0o600 })
  return generated
}
