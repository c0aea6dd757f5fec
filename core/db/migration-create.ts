import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EntitySchema, MikroORM } from '@mikro-orm/core'
import type { Dialect } from './orm.js'

export interface MigrationDraft {
  owner: string
  /** Short words for the file name, e.g. 'add-topics'. */
  label: string
  folder: string
  entities: EntitySchema<any, any>[]
}

/** Only statements on the owner's own tables go into its migration: a plugin migrates only itself. */
function ownStatements(sql: string, tables: string[]): string[] {
  const quoted = tables.flatMap((table) => [`\`${table}\``, `"${table}"`])
  return sql
    .split(/;\s*\n/)
    .map((statement) => statement.trim().replace(/;$/, ''))
    .filter((statement) => statement && !/^(pragma|set|begin|commit)\b/i.test(statement))
    .filter((statement) => quoted.some((name) => statement.includes(name)))
}

const timestamp = () => new Date().toISOString().replace(/\D/g, '').slice(0, 14)

/**
 * Writes a migration for one owner and one dialect from the difference between its entities and a
 * database on which every existing migration has been applied. Run once per dialect.
 */
export async function createMigration(orm: MikroORM, dialect: Dialect, draft: MigrationDraft): Promise<string | undefined> {
  const tables = draft.entities.map((entity) => entity.meta.tableName ?? entity.meta.className)
  const sql = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: false })
  const statements = ownStatements(sql, tables)
  if (statements.length === 0) return undefined
  const stamp = timestamp()
  const className = `Migration${stamp}${draft.label.replace(/(^|[-_ ])(\w)/g, (_, __, c: string) => c.toUpperCase())}`
  const dir = join(draft.folder, dialect)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${stamp}-${draft.label}.ts`)
  const body = statements.map((statement) => `    this.addSql(${JSON.stringify(statement)})`).join('\n')
  writeFileSync(
    file,
    `import { Migration } from '@mikro-orm/migrations'\n\nexport class ${className} extends Migration {\n  override async up(): Promise<void> {\n${body}\n  }\n}\n`
  )
  return file
}
