import type { TObject, TSchema } from '@sinclair/typebox'
import { expectation, pluginEnvName } from './load.js'
import { settings } from './schema.js'

export interface SettingRow {
  env: string
  key: string
  default: string
  expected: string
  description: string
  secret: boolean
}

const shownDefault = (schema: TSchema) => (schema.default === undefined ? '' : String(schema.default))

export function coreSettingRows(): SettingRow[] {
  return settings().map(({ key, env, secret, schema }) => ({
    env,
    key,
    default: shownDefault(schema),
    expected: expectation(schema),
    description: String(schema.description ?? ''),
    secret
  }))
}

export function pluginSettingRows(plugin: string, schema: TObject | undefined): SettingRow[] {
  if (!schema) return []
  return Object.entries(schema.properties as Record<string, TSchema>).map(([key, property]) => ({
    env: pluginEnvName(plugin, key, property),
    key: `pluginConfig.${plugin}.${key}`,
    default: shownDefault(property),
    expected: expectation(property),
    description: String(property.description ?? ''),
    secret: Boolean(property.secret)
  }))
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** docs/configuration.md, generated from the schemas; a test fails when the checked-in file is stale. */
export function configurationMarkdown(core: SettingRow[], plugins: { name: string; rows: SettingRow[] }[]): string {
  const table = (rows: SettingRow[]) =>
    [
      '| variable | config file key | default | expects | description |',
      '|---|---|---|---|---|',
      ...rows.map(
        (row) =>
          `| \`${row.env}\` | \`${row.key}\` | ${row.default ? `\`${cell(row.default)}\`` : '—'} | ${cell(row.expected)} | ${cell(row.description)} |`
      )
    ].join('\n')
  const sections = plugins
    .filter((plugin) => plugin.rows.length > 0)
    .map((plugin) => `\n## Plugin \`${plugin.name}\`\n\n${table(plugin.rows)}\n`)
  return `# Configuration

<!-- Generated from the config schemas by \`npm run docs:config\`; do not edit by hand. -->

Kaiku reads its settings from environment variables and, optionally, a JSON file: \`KAIKU_CONFIG=path\`,
or \`config/kaiku.json\` in the working directory when it exists (see \`config/kaiku.example.json\`).
An environment variable wins over the file. Plugin settings go under \`pluginConfig.<plugin>\` in the
file, or in \`KAIKU_<PLUGIN>_<SETTING>\` variables. A wrong value stops Kaiku at start with one line
naming the setting and what it expects. \`npx kaiku config\` prints the values in effect.

## Core

${table(core)}
${sections.join('')}`
}
