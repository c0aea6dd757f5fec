import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import type { TSchema, TObject } from '@sinclair/typebox'
import { isTimeZone } from '../jobs/schedule.js'
import { addressMatcher } from '../ops/net.js'
import { configSchema, settings, type KaikuConfig } from './schema.js'

/** Raised when configuration is wrong; each line names the setting, the problem and what is expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
  }
}

export interface LoadedConfig {
  config: KaikuConfig
  /** Per-plugin sections of the config file, validated later against each plugin's own schema. */
  pluginConfig: Record<string, Record<string, unknown>>
  /** Where the config file was read from, if one was. */
  file?: string
}

type Env = Record<string, string | undefined>

/** Describes what a schema accepts, for error messages and generated docs. */
export function expectation(schema: TSchema): string {
  if (typeof schema.expected === 'string') return schema.expected
  if (Array.isArray(schema.anyOf)) return `one of ${schema.anyOf.map((s: TSchema) => s.const).join(', ')}`
  switch (schema.type) {
    case 'integer':
      return `a whole number from ${schema.minimum ?? '-∞'} to ${schema.maximum ?? '∞'}`
    case 'number':
      return `a number from ${schema.minimum ?? '-∞'} to ${schema.maximum ?? '∞'}`
    case 'boolean':
      return 'true or false'
    case 'string':
      return schema.minLength ? `text of at least ${schema.minLength} characters` : 'text'
    default:
      return 'a valid value'
  }
}

/** Environment variables are text; turn them into the type the schema asks for, or leave them to fail. */
function coerce(raw: unknown, schema: TSchema): unknown {
  if (typeof raw !== 'string') return raw
  const text = raw.trim()
  if (schema.type === 'integer' || schema.type === 'number') return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : raw
  if (schema.type === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(text)) return true
    if (/^(false|0|no|off)$/i.test(text)) return false
  }
  return raw
}

export interface SettingSource {
  key: string
  /** How the person sets it: the environment variable or the config file path. */
  label: string
  raw: unknown
}

/**
 * Validates named raw values against an object schema, filling defaults. Never transforms beyond
 * turning text into numbers or booleans; every problem becomes one line naming the setting.
 */
export function validateSettings<T>(schema: TObject, sources: SettingSource[]): { value: T; problems: string[] } {
  const value: Record<string, unknown> = {}
  const problems: string[] = []
  const properties = schema.properties as Record<string, TSchema>
  for (const { key, label, raw } of sources) {
    const property = properties[key]
    if (!property) {
      problems.push(`${label}: unknown setting '${key}'`)
      continue
    }
    if (raw === undefined || raw === '') {
      if (property.default !== undefined) value[key] = property.default
      continue
    }
    const candidate = coerce(raw, property)
    if (Value.Check(property, candidate)) {
      value[key] = candidate
    } else {
      const shown = property.secret ? 'the given value' : `'${String(raw)}'`
      problems.push(`${label}: ${shown} is not valid; expected ${expectation(property)}`)
    }
  }
  for (const [key, property] of Object.entries(properties)) {
    if (!(key in value) && property.default !== undefined) value[key] = property.default
  }
  return { value: value as T, problems }
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ConfigError([`KAIKU_CONFIG: cannot read ${path} as JSON (${(error as Error).message})`])
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`KAIKU_CONFIG: ${path} must hold a JSON object of settings`])
  }
  return parsed as Record<string, unknown>
}

/**
 * Reads settings from the environment and, when present, a JSON config file (KAIKU_CONFIG, or
 * config/kaiku.json in the working directory). The environment wins over the file.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): LoadedConfig {
  const explicit = env.KAIKU_CONFIG
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, 'config/kaiku.json')
  if (explicit && !existsSync(file)) throw new ConfigError([`KAIKU_CONFIG: no file at ${file}`])
  const fromFile = existsSync(file) ? readConfigFile(file) : {}
  const { pluginConfig = {}, ...fileSettings } = fromFile as { pluginConfig?: unknown } & Record<string, unknown>
  if (typeof pluginConfig !== 'object' || pluginConfig === null || Array.isArray(pluginConfig)) {
    throw new ConfigError([`${file}: pluginConfig must be an object keyed by plugin name`])
  }

  const known = settings()
  const sources: SettingSource[] = known.map(({ key, env: name }) =>
    env[name] !== undefined && env[name] !== ''
      ? { key, label: name, raw: env[name] }
      : { key, label: `${name} (${file}: ${key})`, raw: fileSettings[key] }
  )
  for (const key of Object.keys(fileSettings)) {
    if (!known.some((setting) => setting.key === key)) sources.push({ key, label: file, raw: fileSettings[key] })
  }
  const { value, problems } = validateSettings<KaikuConfig>(configSchema, sources)
  if (value.timeZone && !isTimeZone(value.timeZone)) {
    problems.push(`KAIKU_TIMEZONE: '${value.timeZone}' is not valid; expected an IANA time zone such as Europe/Helsinki`)
  }
  for (const [key, variable] of [['trustProxy', 'KAIKU_TRUST_PROXY'], ['metricsAllow', 'KAIKU_METRICS_ALLOW']] as const) {
    try {
      addressMatcher(value[key] ?? '')
    } catch (error) {
      problems.push(`${variable}: ${(error as Error).message}; expected a comma-separated list of IP addresses or CIDR ranges`)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return {
    config: value,
    pluginConfig: pluginConfig as Record<string, Record<string, unknown>>,
    file: existsSync(file) ? file : undefined
  }
}

/**
 * `KAIKU_<PLUGIN>_<KEY>`: the environment variable that sets one plugin setting, unless the setting's
 * schema names its own (`env`, e.g. KAIKU_DEFAULT_TENANT), which must then start with KAIKU_.
 */
export function pluginEnvName(plugin: string, key: string, schema?: TSchema): string {
  if (typeof schema?.env === 'string' && /^KAIKU_[A-Z0-9_]+$/.test(schema.env)) return schema.env
  const snake = (text: string) =>
    text
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .toUpperCase()
  return `KAIKU_${snake(plugin)}_${snake(key)}`
}
