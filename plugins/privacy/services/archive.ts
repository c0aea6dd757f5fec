import { gzipSync } from 'node:zlib'
import tar from 'tar-stream'
import type { PrivacyExportPart } from '../../../core/api.js'
import type { Category } from './declarations.js'

/** A cell as text; dates as ISO strings, objects as JSON. */
const text = (value: unknown): string => {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** One CSV cell: formulas defused (a leading = + - @ tab or CR gets a quote), quoted when needed. */
export function csvCell(value: unknown): string {
  let cell = text(value)
  if (/^[=+\-@\t\r]/.test(cell)) cell = `'${cell}`
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell
}

export function toCsv(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  return [columns.map(csvCell).join(','), ...rows.map((row) => columns.map((column) => csvCell(row[column])).join(','))].join('\r\n') + '\r\n'
}

export interface ArchiveInput {
  member: { id: string; name: string; email: string }
  tenant: { id: string; name: string }
  generatedAt: Date
  parts: PrivacyExportPart[]
  declarations: Category[]
}

/** The export as a .tar.gz: `data.json` with everything, one CSV per category, and a README. */
export async function buildArchive(input: ArchiveInput): Promise<Buffer> {
  const described = (part: PrivacyExportPart) => input.declarations.find((d) => d.plugin === part.plugin && d.category === part.category)
  const data = {
    member: input.member,
    instance: input.tenant,
    generatedAt: input.generatedAt.toISOString(),
    categories: input.parts.map((part) => ({
      plugin: part.plugin,
      category: part.category,
      title: described(part)?.title ?? part.category,
      purpose: described(part)?.purpose ?? '',
      retention: described(part)?.retention ?? '',
      rows: part.rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value instanceof Date ? value.toISOString() : value])))
    }))
  }
  const pack = tar.pack()
  const chunks: Buffer[] = []
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer))
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve)
    pack.on('error', reject)
  })
  const add = (name: string, body: string) => pack.entry({ name: `kaiku-export/${name}`, mtime: input.generatedAt }, body)
  add(
    'README.txt',
    `Your data in ${input.tenant.name}, as Kaiku held it on ${data.generatedAt}.\n\ndata.json holds everything; the csv folder holds one file per category (open them with a spreadsheet).\n`
  )
  add('data.json', JSON.stringify(data, null, 2))
  for (const part of input.parts) add(`csv/${part.plugin}-${part.category}.csv`, toCsv(part.rows))
  pack.finalize()
  await done
  return gzipSync(Buffer.concat(chunks))
}
