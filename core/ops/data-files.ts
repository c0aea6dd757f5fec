import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { ArchiveError, sha256File, type ArchiveFile } from './archive.js'

/** Folders and files of the data folder that are never archived (see `dataFiles`). */
const SKIPPED_TOP = new Set(['secret', 'backups'])
const STAGING_PREFIX = '.restore-'

const toArchivePath = (root: string, file: string) => relative(root, file).split(sep).join('/')

/**
 * The uploaded files of the data folder, for a backup: every regular file but the signing secret
 * (keep KAIKU_SECRET yourself), the `backups/` folder (copies taken before upgrades, and the place for
 * archives), unfinished restores, and the files given in `exclude` (the SQLite database, the archive
 * being written).
 */
export async function dataFiles(root: string, exclude: string[]): Promise<(ArchiveFile & { absolute: string })[]> {
  if (!existsSync(root)) return []
  const excluded = new Set(exclude.map((file) => resolve(file)))
  const found: (ArchiveFile & { absolute: string })[] = []
  const walk = async (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const absolute = join(folder, name)
      if (folder === root && (SKIPPED_TOP.has(name) || name.startsWith(STAGING_PREFIX))) continue
      if (excluded.has(absolute)) continue
      const stat = lstatSync(absolute)
      if (stat.isDirectory()) await walk(absolute)
      else if (stat.isFile()) found.push({ path: toArchivePath(root, absolute), bytes: stat.size, sha256: await sha256File(absolute), absolute })
    }
  }
  await walk(root)
  return found
}

const PATH_LIKE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/

/**
 * Files of the data folder that rows point at: a string column holding a relative path such as
 * `logos/<id>.png`. How a tenant export finds its instance's uploads without knowing any plugin.
 */
export function referencedFile(root: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 255 || !PATH_LIKE.test(value) || value.split('/').includes('..')) return undefined
  const absolute = resolve(root, value)
  if (!absolute.startsWith(root + sep) || !existsSync(absolute) || !statSync(absolute).isFile()) return undefined
  return value
}

/** The SQLite database file (as the ORM opened it) and its companions, which a backup holds as rows, not as files. */
export const sqliteFiles = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]

/**
 * Restored files wait in a staging folder inside the data folder until the database part has
 * committed; then they are moved into place (a rename on one file system), or thrown away.
 */
export function fileStage(root: string) {
  const folder = join(root, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`)
  const staged: string[] = []
  return {
    async add(path: string, stream: Readable): Promise<void> {
      const target = join(folder, ...path.split('/'))
      if (!target.startsWith(folder + sep)) throw new ArchiveError(`the archive names a file outside the data folder (${path})`)
      mkdirSync(dirname(target), { recursive: true })
      await pipeline(stream, createWriteStream(target, { mode: 0o600 }))
      staged.push(path)
    },
    stagedPath: (path: string) => join(folder, ...path.split('/')),
    commit(): number {
      for (const path of staged) {
        const target = join(root, ...path.split('/'))
        mkdirSync(dirname(target), { recursive: true })
        renameSync(join(folder, ...path.split('/')), target)
      }
      this.discard()
      return staged.length
    },
    discard(): void {
      rmSync(folder, { recursive: true, force: true })
    }
  }
}

/** Which of `paths` already exist in the data folder (a restore must not overwrite them unless forced). */
export const existingFiles = (root: string, paths: string[]): string[] => paths.filter((path) => existsSync(join(root, ...path.split('/'))))
