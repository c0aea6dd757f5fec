import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip, createGzip } from 'node:zlib'
import semver from 'semver'
import tar from 'tar-stream'
import type { Dialect } from '../db/orm.js'
import { projectRoot } from '../paths.js'

/** Raised for an archive that must not be used here; the message says why and what to do. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ArchiveError'
  }
}

export const ARCHIVE_PRODUCT = 'kaiku'
/** Bumped when the layout of archives changes in a way older versions cannot read. */
export const ARCHIVE_FORMAT = 1

export interface ArchiveTable {
  /** Entity name, as the ORM knows it. */
  entity: string
  table: string
  /** 'core' or the plugin that owns the entity. */
  owner: string
  rows: number
  sha256: string
}

export interface ArchiveFile {
  /** Relative to the data folder, with forward slashes. */
  path: string
  bytes: number
  sha256: string
}

/** manifest.json, the first entry of every archive: enough to refuse an archive before reading on. */
export interface ArchiveManifest {
  product: typeof ARCHIVE_PRODUCT
  format: number
  /** A whole installation (`kaiku backup`) or one company instance (`kaiku export-tenant`). */
  kind: 'backup' | 'tenant'
  appVersion: string
  createdAt: string
  dialect: Dialect
  /** Migrations applied to the database the archive was made from, in order. */
  migrations: string[]
  plugins: string[]
  tenant?: { id: string; slug?: string }
  /** In the order they are stored and must be inserted (a row's references come before it). */
  tables: ArchiveTable[]
  files: ArchiveFile[]
}

export const tableEntry = (table: string) => `tables/${table}.jsonl`
export const fileEntry = (path: string) => `files/${path}`

/** The version in Kaiku's package.json: beside the sources, or one folder above dist/. */
export function appVersion(): string {
  for (const folder of [projectRoot, dirname(projectRoot)]) {
    const file = join(folder, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
    if (pkg.name === ARCHIVE_PRODUCT && pkg.version) return pkg.version
  }
  throw new Error('cannot find the version of Kaiku (package.json)')
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Writes manifest.json and then the given files, in order, as a gzip-compressed tar. The entries'
 * contents come from files on disk whose sizes are known, so nothing is held in memory.
 */
export async function writeArchive(out: string, manifest: ArchiveManifest, entries: { name: string; path: string; bytes: number }[]): Promise<void> {
  const pack = tar.pack()
  const written = pipeline(pack, createGzip(), createWriteStream(out, { flags: 'wx', mode: 0o600 }))
  const add = async (name: string, source: Readable | Buffer, size: number) => {
    if (Buffer.isBuffer(source)) {
      await new Promise<void>((resolve, reject) => pack.entry({ name, size, mode: 0o600 }, source, (error) => (error ? reject(error) : resolve())))
      return
    }
    await pipeline(source, pack.entry({ name, size, mode: 0o600 }))
  }
  try {
    const head = Buffer.from(JSON.stringify(manifest, null, 2) + '\n')
    await add('manifest.json', head, head.length)
    for (const entry of entries) await add(entry.name, createReadStream(entry.path), entry.bytes)
    pack.finalize()
  } catch (error) {
    pack.destroy(error as Error)
    await written.catch(() => undefined)
    throw error
  }
  await written
}

function checkManifest(value: unknown, ownVersion: string): ArchiveManifest {
  const manifest = value as Partial<ArchiveManifest> | null
  if (!manifest || typeof manifest !== 'object' || manifest.product !== ARCHIVE_PRODUCT) {
    const product = manifest && typeof manifest === 'object' && typeof manifest.product === 'string' ? ` (it says '${manifest.product.slice(0, 40)}')` : ''
    throw new ArchiveError(`this is not a Kaiku archive${product}`)
  }
  if (typeof manifest.format !== 'number' || manifest.format > ARCHIVE_FORMAT) {
    throw new ArchiveError(`this archive has format ${String(manifest.format)}, which this version of Kaiku (${ownVersion}) cannot read; use the version that made it (${String(manifest.appVersion)}) or a newer one`)
  }
  if (typeof manifest.appVersion !== 'string' || !semver.valid(manifest.appVersion)) throw new ArchiveError('the archive does not say which version of Kaiku made it')
  if (semver.gt(manifest.appVersion, ownVersion)) {
    throw new ArchiveError(`this archive was made by Kaiku ${manifest.appVersion}, which is newer than this one (${ownVersion}); upgrade Kaiku first`)
  }
  if (!Array.isArray(manifest.migrations) || !Array.isArray(manifest.tables) || !Array.isArray(manifest.files) || !['backup', 'tenant'].includes(manifest.kind as string)) {
    throw new ArchiveError('the archive\'s manifest is incomplete')
  }
  for (const file of manifest.files) {
    if (typeof file?.path !== 'string' || file.path.startsWith('/') || file.path.split('/').some((part) => part === '..' || part === '')) {
      throw new ArchiveError(`the archive names a file outside the data folder (${String(file?.path).slice(0, 80)})`)
    }
  }
  return manifest as ArchiveManifest
}

export interface ArchiveEntry {
  name: string
  stream: Readable
}

/**
 * Opens an archive and reads its manifest; refuses anything that is not a Kaiku archive this version
 * can read before any other entry is looked at. `entries()` then yields the rest, each to be read to
 * its end before the next.
 */
export async function openArchive(file: string): Promise<{ manifest: ArchiveManifest; entries: AsyncGenerator<ArchiveEntry>; close: () => void }> {
  if (!existsSync(file)) throw new ArchiveError(`no file at ${file}`)
  const extract = tar.extract()
  const source = createReadStream(file)
  const gunzip = createGunzip()
  let failure: Error | undefined
  const fail = (error: Error) => {
    failure ??= new ArchiveError(/header|gzip|unexpected end|invalid tar|unknown format/i.test(error.message) ? `this is not a Kaiku archive (${error.message})` : error.message)
    extract.destroy(failure)
  }
  source.on('error', fail)
  gunzip.on('error', fail)
  source.pipe(gunzip).pipe(extract)
  const iterator = extract[Symbol.asyncIterator]()
  const next = async () => {
    try {
      return await iterator.next()
    } catch (error) {
      throw failure ?? error
    }
  }
  const first = await next()
  if (first.done || first.value.header.name !== 'manifest.json') throw new ArchiveError('this is not a Kaiku archive (it does not start with manifest.json)')
  const chunks: Buffer[] = []
  for await (const chunk of first.value) chunks.push(chunk as Buffer)
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ArchiveError('this is not a Kaiku archive (its manifest.json is not JSON)')
  }
  const manifest = checkManifest(parsed, appVersion())
  async function* entries(): AsyncGenerator<ArchiveEntry> {
    for (;;) {
      const step = await next()
      if (step.done) return
      yield { name: step.value.header.name, stream: step.value as unknown as Readable }
    }
  }
  return { manifest, entries: entries(), close: () => source.destroy() }
}

/** Reads one entry to its end while hashing it; throws if it is not what the manifest promised. */
export function verifiedLines(entry: ArchiveEntry, expectedSha256: string): AsyncGenerator<string> {
  return (async function* () {
    const hash = createHash('sha256')
    // A character may be split between two chunks: the decoder holds its first bytes back.
    const decoder = new StringDecoder('utf8')
    let rest = ''
    for await (const chunk of entry.stream) {
      hash.update(chunk as Buffer)
      const lines = (rest + decoder.write(chunk as Buffer)).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) if (line) yield line
    }
    rest += decoder.end()
    if (rest) yield rest
    if (hash.digest('hex') !== expectedSha256) throw new ArchiveError(`${entry.name} is damaged (its checksum does not match the manifest)`)
  })()
}
