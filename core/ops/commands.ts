import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { ArchiveError } from './archive.js'
import { createBackup, restoreBackup, type ArchiveSummary } from './backup.js'
import { opsHost } from './dump.js'
import { exportTenant, importTenant } from './tenant-transfer.js'

export const opsCommands = [
  { name: 'backup', usage: 'kaiku backup --out FILE [--force]', description: 'Write a consistent archive of the database and uploaded files (the server may keep running).' },
  { name: 'restore', usage: 'kaiku restore --in FILE [--force]', description: 'Restore a backup into an empty installation (--force replaces everything in this one).' },
  { name: 'export-tenant', usage: 'kaiku export-tenant --tenant SLUG|ID --out FILE', description: "Write one company instance's data and files, to move it to another installation." },
  { name: 'import-tenant', usage: 'kaiku import-tenant --in FILE', description: 'Bring in a company instance exported elsewhere (SQLite and PostgreSQL alike).' }
]

export const isOpsCommand = (name: string) => opsCommands.some((command) => command.name === name)

const size = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`)
const describe = (summary: ArchiveSummary) => `${summary.tables} tables, ${summary.rows} rows, ${summary.files} files; ${size(summary.bytes)}`

/**
 * Runs backup, restore, export-tenant or import-tenant on an app built without migrating (each
 * decides itself what the database's version must be). A refused archive is one line and exit 1.
 */
export async function runOpsCommand(app: FastifyInstance, name: string, args: string[], io: { out(line: string): void; err(line: string): void }): Promise<number> {
  const usage = opsCommands.find((command) => command.name === name)!.usage
  let values: { out?: string; in?: string; tenant?: string; force?: boolean }
  try {
    values = parseArgs({ args, options: { out: { type: 'string' }, in: { type: 'string' }, tenant: { type: 'string' }, force: { type: 'boolean' } } }).values
  } catch (error) {
    io.err(`kaiku: ${(error as Error).message}; usage: ${usage}`)
    return 2
  }
  const host = opsHost(app)
  try {
    if (name === 'backup' && values.out) {
      io.out(`backup written to ${values.out}: ${describe(await createBackup(host, values.out, { replace: values.force }))}`)
      return 0
    }
    if (name === 'restore' && values.in) {
      io.out(`restored ${values.in}: ${describe(await restoreBackup(host, values.in, { force: values.force }))}`)
      return 0
    }
    if (name === 'export-tenant' && values.tenant && values.out) {
      io.out(`instance ${values.tenant} exported to ${values.out}: ${describe(await exportTenant(host, values.tenant, values.out, { replace: values.force }))}`)
      return 0
    }
    if (name === 'import-tenant' && values.in) {
      const summary = await importTenant(host, values.in)
      io.out(`instance ${summary.tenant} imported from ${values.in}: ${describe(summary)}`)
      return 0
    }
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error
    io.err(`kaiku: ${name} refused: ${error.message}`)
    return 1
  }
  io.err(`kaiku: usage: ${usage}`)
  return 2
}
