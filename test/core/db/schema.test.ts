import t from 'tap'
import { createOrm, dialectOf } from '../../../core/db/orm.js'
import { coreEntities } from '../../../core/db/entities.js'
import { loadMigrations, migrate, pendingMigrations } from '../../../core/db/migrations.js'
import { join } from 'node:path'
import { build, coreMigrations, fixturePlugin, onPostgres, repoRoot, testEnv } from '../../helper.js'
import { FixtureNote } from '../../fixtures/plugins/fixture/note.entity.js'

t.test('after migrating an empty database the schema equals the entities (no pending diff)', async (t) => {
  const app = await build(t, { plugins: [fixturePlugin()] })
  const { orm, dialect } = app.kaiku
  t.equal(dialect, onPostgres() ? 'postgresql' : 'sqlite')
  const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })
  t.equal(diff.trim(), '', 'no statement left to reach the entities')
  t.same(await pendingMigrations(orm), [])
})

t.test('migrations apply idempotently; a second run applies nothing', async (t) => {
  const { env } = await testEnv(t)
  const log = { debug() {}, info() {} } as never
  const sources = [
    { owner: 'core', folder: join(repoRoot, 'migrations') },
    { owner: 'fixture', folder: join(fixturePlugin(), 'migrations') }
  ]
  const dialect = dialectOf(env.DATABASE_URL)
  const open = async () =>
    createOrm({ databaseUrl: env.DATABASE_URL, entities: [...coreEntities, FixtureNote], migrations: await loadMigrations(sources, dialect), log })
  const first = await open()
  t.same(await migrate(first, dialect), [...coreMigrations, 'fixture/20261129000000-notes'])
  t.same(await migrate(first, dialect), [])
  await first.close(true)
  const second = await open()
  t.same(await migrate(second, dialect), [], 'nor does a restart')
  await second.close(true)
})

t.test('two instances migrating one PostgreSQL database at once apply each migration once', { skip: !onPostgres() && 'PostgreSQL only' }, async (t) => {
  const { env } = await testEnv(t)
  const log = { debug() {}, info() {} } as never
  const migrations = await loadMigrations([{ owner: 'core', folder: join(repoRoot, 'migrations') }], 'postgresql')
  const [a, b] = await Promise.all([1, 2].map(() => createOrm({ databaseUrl: env.DATABASE_URL, entities: coreEntities, migrations, log })))
  const results = await Promise.all([migrate(a, 'postgresql'), migrate(b, 'postgresql')])
  t.same(results.flat().sort(), [...coreMigrations].sort(), 'one instance applied it, the other waited and found nothing to do')
  await Promise.all([a.close(true), b.close(true)])
})

t.test('SQLite runs with WAL, a busy timeout and foreign keys', { skip: onPostgres() && 'SQLite only' }, async (t) => {
  const app = await build(t)
  const connection = app.kaiku.orm.em.fork().getConnection()
  t.same(await connection.execute('pragma journal_mode'), [{ journal_mode: 'wal' }])
  t.same(await connection.execute('pragma foreign_keys'), [{ foreign_keys: 1 }])
  t.same(await connection.execute('pragma busy_timeout'), [{ timeout: 5000 }])
})
