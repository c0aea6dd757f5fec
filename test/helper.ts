import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../core/app.js'
import { loadConfig } from '../core/config/load.js'

/** The subset of a tap test the helpers need (keeps them usable from any test file). */
export interface TestLike {
  teardown(fn: () => unknown): void
}

export const repoRoot = resolve(import.meta.dirname, '..')
export const fixturePlugin = (name = 'fixture') => join(repoRoot, 'test', 'fixtures', 'plugins', name)

/** PostgreSQL when the suite runs with DATABASE_URL=postgres://…, otherwise SQLite. */
export const onPostgres = () => (process.env.DATABASE_URL ?? '').startsWith('postgres')

export function tempDir(t: TestLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'kaiku-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A database of the test's own: a temp SQLite file, or a fresh PostgreSQL database created next to
 * the one DATABASE_URL names and dropped when the test ends.
 */
export async function freshDatabase(t: TestLike, dir: string): Promise<string> {
  if (!onPostgres()) return `sqlite:${join(dir, 'kaiku.db')}`
  const base = new URL(process.env.DATABASE_URL!)
  const name = `${base.pathname.slice(1) || 'kaiku'}_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: base.toString() })
  await admin.connect()
  await admin.query(`create database "${name}"`)
  await admin.end()
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: base.toString() })
    await client.connect()
    await client.query(`drop database if exists "${name}" with (force)`)
    await client.end()
  })
  const url = new URL(base)
  url.pathname = `/${name}`
  return url.toString()
}

export interface BuildOptions {
  plugins?: string[]
  env?: Record<string, string>
  migrate?: boolean
}

export interface TestEnv {
  env: Record<string, string>
  dir: string
}

/** Environment for an app or a child process: its own database, data folder and secret. */
export async function testEnv(t: TestLike, options: BuildOptions = {}): Promise<TestEnv> {
  const dir = tempDir(t)
  const env: Record<string, string> = {
    DATABASE_URL: await freshDatabase(t, dir),
    KAIKU_DATA_DIR: join(dir, 'data'),
    KAIKU_SECRET: randomBytes(32).toString('hex'),
    // Core alone unless a test names its plugins ('' would mean every built-in plugin).
    KAIKU_PLUGINS: options.plugins ? options.plugins.join(',') : 'none',
    LOG_LEVEL: 'silent',
    ...options.env
  }
  return { env, dir }
}

/** A fresh, migrated, ready app with its own database; closed when the test ends. */
export async function build(t: TestLike, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { env, dir } = await testEnv(t, options)
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir, migrate: options.migrate })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** The `_csrf` value of the first form in a page, and the session cookie that goes with it. */
export function formToken(response: LightMyRequestResponse): { token: string; cookie: string } {
  const match = /name="_csrf" value="([^"]+)"/.exec(response.body)
  if (!match) throw new Error('no CSRF field in the page')
  return { token: match[1], cookie: sessionCookie(response) }
}

export function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'kaiku' || c.name === '__Host-kaiku')
  if (!cookie) throw new Error('no session cookie set')
  return `${cookie.name}=${cookie.value}`
}

export const html = { accept: 'text/html,application/xhtml+xml' }

/** `node --import <this>` runs TypeScript sources in a child process, whatever its working directory. */
export const tsxLoader = import.meta.resolve('tsx')

/**
 * The environment of a child process a test starts: PATH, what the test gives, and never coverage.
 * tap's process tracking adds its own variables to every child, so children record coverage unless
 * told not to. Theirs would be wrong: a child runs the TypeScript sources through tsx (esbuild), the
 * tests through tap's ts-node, and tap merges coverage per file URL, keeping one of the two source
 * maps at random. CI lost up to a tenth of the statements that way, and failed on the thresholds.
 */
export function childEnv(env: Record<string, string | undefined> = {}): Record<string, string> {
  const own: Record<string, string> = { PATH: process.env.PATH ?? '' }
  for (const [name, value] of Object.entries(env)) if (value !== undefined) own[name] = value
  return { ...own, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
}

/** Core's migrations, in the order they apply. */
export const coreMigrations = ['core/20261129000000-init', 'core/20261129010000-jobs-and-mail', 'core/20261129020000-rate-limits', 'core/20261129030000-session-subjects', 'core/20261129112446-mail-attachments', 'core/20261129144550-plugin-switches', 'core/20261202150000-mail-tenant']
