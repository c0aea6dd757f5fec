import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import t from 'tap'
import { buildApp } from '../../core/app.js'
import { loadConfig } from '../../core/config/load.js'
import { MIGRATIONS_TABLE } from '../../core/db/orm.js'
import { FixtureNote } from '../fixtures/plugins/fixture/note.entity.js'
import { build, fixturePlugin, onPostgres, testEnv } from '../helper.js'
import { spawnKaiku } from '../processes.js'
import { kaiku } from './ops-support.js'

const fixture = fixturePlugin()
const broken = fixturePlugin('ops-broken')

async function appliedNames(app: Awaited<ReturnType<typeof build>>): Promise<string[]> {
  const rows = await app.kaiku.orm.em.fork().getConnection().execute<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE} order by id`)
  return rows.map((row: { name: string }) => row.name)
}

async function tableExists(app: Awaited<ReturnType<typeof build>>, table: string): Promise<boolean> {
  const connection = app.kaiku.orm.em.fork().getConnection()
  const rows = onPostgres()
    ? await connection.execute('select 1 from information_schema.tables where table_name = ?', [table])
    : await connection.execute("select 1 from sqlite_master where type = 'table' and name = ?", [table])
  return rows.length > 0
}

t.test('a database newer than the code is refused at start, with what to do', async (t) => {
  const { env, dir } = await testEnv(t, { plugins: [fixture] })
  const first = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  await first.kaiku.orm.em.fork().getConnection().execute(`insert into ${MIGRATIONS_TABLE} (name) values ('core/29990101000000-from-the-future')`)
  await first.close()

  await t.rejects(buildApp(loadConfig(env, dir), { env, cwd: dir }), /the database is newer than this version of Kaiku: it has 1 migration\(s\) this version does not know \(core\/29990101000000-from-the-future\).*docs\/upgrading\.md/)

  writeFileSync(join(dir, 'kaiku.json'), '{}\n')
  const { child, output } = spawnKaiku(t, ['core/server.ts'], { ...env, PORT: '0', KAIKU_CONFIG: join(dir, 'kaiku.json') })
  const [code] = await once(child, 'exit')
  t.equal(code, 1, 'the server does not start')
  t.match(output(), /kaiku: cannot start: the database is newer than this version of Kaiku/)
})

t.test("migrations of a plugin that is no longer loaded do not stop the start", async (t) => {
  const { env, dir } = await testEnv(t, { plugins: [fixture] })
  const first = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  await first.kaiku.orm.em.fork().getConnection().execute(`insert into ${MIGRATIONS_TABLE} (name) values ('retired/20260101000000-init')`)
  await first.close()
  const again = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.ok(again.kaiku.migrations.length > 0)
  await again.close()
})

t.test('a failed migration leaves the database as it was; on SQLite a copy was taken first', async (t) => {
  const { env, dir } = await testEnv(t, { plugins: [fixture] })
  const app = await build(t, { plugins: [fixture], env })
  const em = app.kaiku.orm.em.fork()
  em.create(FixtureNote, { text: 'written before the upgrade' })
  await em.flush()
  const before = await appliedNames(app)

  const upgraded = { ...env, KAIKU_PLUGINS: `${fixture},${broken}` }
  await t.rejects(buildApp(loadConfig(upgraded, dir), { env: upgraded, cwd: dir }), /opsbroken_no_such_table/)
  const cli = await kaiku(upgraded, dir, 'migrate')
  t.equal(cli.code, 1)
  t.match(cli.err, /kaiku: migrate failed: .*opsbroken_no_such_table/)

  t.same(await appliedNames(app), before, 'no migration recorded')
  t.notOk(await tableExists(app, 'opsbroken_half'), "the failed migration's first statement was rolled back")
  t.same((await app.kaiku.orm.em.fork().find(FixtureNote, {})).map((note) => note.text), ['written before the upgrade'])

  const copies = existsSync(join(env.KAIKU_DATA_DIR, 'backups')) ? readdirSync(join(env.KAIKU_DATA_DIR, 'backups')) : []
  if (onPostgres()) {
    t.same(copies, [], 'PostgreSQL needs no copy: the migration ran in one transaction')
  } else {
    t.equal(copies.length, 2, 'one copy per attempt (server start, then kaiku migrate)')
    t.match(copies[0], /^kaiku-before-upgrade-\d{17}\.db$/)
    const copy = await build(t, { plugins: [fixture], env: { ...env, DATABASE_URL: `sqlite:${join(env.KAIKU_DATA_DIR, 'backups', copies[0])}` } })
    t.same((await copy.kaiku.orm.em.fork().find(FixtureNote, {})).map((note) => note.text), ['written before the upgrade'], 'the copy holds the data of before the upgrade')
  }
})

t.test('an empty SQLite database gets no copy before its first migrations', { skip: onPostgres() && 'SQLite only' }, async (t) => {
  const { env } = await testEnv(t, { plugins: [fixture] })
  await build(t, { plugins: [fixture], env })
  t.notOk(existsSync(join(env.KAIKU_DATA_DIR, 'backups')))
})
