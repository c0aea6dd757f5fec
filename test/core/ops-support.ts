import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createGunzip, gzipSync } from 'node:zlib'
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { Test } from 'tap'
import tar from 'tar-stream'
import { runCli } from '../../core/cli.js'
import { opsHost } from '../../core/ops/dump.js'
import { readRows } from '../../core/ops/tables.js'
import { OpsPicture } from '../fixtures/plugins/ops-blob/index.js'
import { build, fixturePlugin, testEnv } from '../helper.js'
import { addMember, client, setUp, type App } from '../plugins/auth/helpers.js'

/** Tenancy, auth and a plugin with a blob column: what backups of a real installation hold. */
export const opsPlugins = ['tenancy', 'auth', fixturePlugin('ops-blob')]

export async function kaiku(env: Record<string, string>, cwd: string, ...args: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env, cwd })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** Every byte value, so that base64 has to carry all of them. */
export const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

/**
 * Populates an installation the way people do: first-run setup, a member, a magic link mailed (mail
 * and job rows), a picture with bytes and JSON, and an uploaded file its row points at.
 */
export async function populate(app: App, slug = 'acme'): Promise<{ tenantId: string; pictureId: string }> {
  if (slug === 'acme') await setUp(app)
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, slug))!
  await addMember(app, { email: `ben@${slug}.com`, name: 'Ben Member', role: 'member', password: 'correct horse battery' }, slug)
  const link = await client(app, `${slug}.localhost`).submit('/login/link', { email: `ben@${slug}.com` })
  if (link.statusCode >= 400) throw new Error(`magic link request failed: ${link.statusCode}`)
  const file = `pictures/${tenant.id}.bin`
  mkdirSync(join(app.kaiku.dataDir, 'pictures'), { recursive: true })
  writeFileSync(join(app.kaiku.dataDir, file), everyByte)
  em.setFilterParams('tenant', { tenantId: tenant.id })
  const picture = em.create(OpsPicture, {
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    name: `Ünïcödé ${slug} 📷`,
    bytes: everyByte,
    details: { tags: ['a', 'b'], ratio: 1.5 },
    file,
    shown: true,
    takenAt: new Date('2026-03-04T05:06:07.089Z')
  })
  await em.flush()
  return { tenantId: tenant.id, pictureId: picture.id }
}

/** Every table's rows as a backup sees them, keyed by table: for comparing two installations. */
export async function tablesOf(app: App, only?: (table: string) => boolean): Promise<Record<string, unknown[]>> {
  const host = opsHost(app)
  const em = app.kaiku.orm.em.fork()
  const result: Record<string, unknown[]> = {}
  for (const spec of host.specs) {
    if (only && !only(spec.meta.tableName)) continue
    const rows: unknown[] = []
    for await (const row of readRows(em, spec)) rows.push(row)
    result[spec.meta.tableName] = rows
  }
  return result
}

/** The files of a data folder (but the generated secret and upgrade copies) with their contents. */
export function filesOf(dir: string): Record<string, string> {
  const found: Record<string, string> = {}
  const walk = (folder: string) => {
    if (!existsSync(folder)) return
    for (const name of readdirSync(folder)) {
      const path = join(folder, name)
      if (statSync(path).isDirectory()) walk(path)
      else found[relative(dir, path)] = readFileSync(path).toString('base64')
    }
  }
  walk(dir)
  return Object.fromEntries(Object.entries(found).filter(([path]) => /^(logos|pictures)\//.test(path)))
}

export interface ArchiveContent {
  name: string
  data: Buffer
}

/** The entries of a .tar.gz, in order, in memory (test archives are small). */
export async function readTarGz(file: string): Promise<ArchiveContent[]> {
  const extract = tar.extract()
  const entries: ArchiveContent[] = []
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer))
    stream.on('end', () => {
      entries.push({ name: header.name, data: Buffer.concat(chunks) })
      next()
    })
  })
  await pipeline(createReadStream(file), createGunzip(), extract)
  return entries
}

export async function writeTarGz(file: string, entries: ArchiveContent[]): Promise<void> {
  const pack = tar.pack()
  for (const entry of entries) pack.entry({ name: entry.name }, entry.data)
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  writeFileSync(file, gzipSync(Buffer.concat(chunks)))
}

/** Rewrites an archive's manifest (the first entry) with `change`, into a new file. */
export async function withManifest(source: string, target: string, change: (manifest: Record<string, unknown>) => void): Promise<void> {
  const entries = await readTarGz(source)
  const manifest = JSON.parse(entries[0].data.toString('utf8')) as Record<string, unknown>
  change(manifest)
  entries[0] = { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }
  await writeTarGz(target, entries)
}

/** A populated installation and a backup of it, made with `kaiku backup` while the app is open. */
export async function backedUp(t: Test) {
  const source = await testEnv(t, { plugins: opsPlugins })
  const app = await build(t, { plugins: opsPlugins, env: source.env })
  const { tenantId, pictureId } = await populate(app)
  const file = join(source.dir, 'kaiku-backup.tar.gz')
  const made = await kaiku(source.env, source.dir, 'backup', '--out', file)
  t.equal(made.code, 0, made.err)
  t.match(made.out, /backup written to .*: \d+ tables, \d+ rows, 1 files/)
  return { app, source, file, tenantId, pictureId }
}
