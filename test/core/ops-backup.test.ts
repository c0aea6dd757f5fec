import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ScalarReference } from '@mikro-orm/core'
import { RateCounter } from '../../core/web/rate-limit.js'
import { OpsPicture } from '../fixtures/plugins/ops-blob/index.js'
import { build, testEnv } from '../helper.js'
import { owner, signedIn } from '../plugins/auth/helpers.js'
import { backedUp, everyByte, filesOf, kaiku, opsPlugins, tablesOf } from './ops-support.js'

t.test('a backup restored into an empty installation holds the same rows and files, and people sign in', async (t) => {
  const { app, source, file, pictureId } = await backedUp(t)
  const target = await testEnv(t, { plugins: opsPlugins })
  const restored = await kaiku(target.env, target.dir, 'restore', '--in', file)
  t.equal(restored.code, 0, restored.err)
  t.match(restored.out, /^restored /)

  const copy = await build(t, { plugins: opsPlugins, env: target.env })
  t.same(await tablesOf(copy), await tablesOf(app), 'every table of every plugin, row for row')
  t.same(filesOf(target.env.KAIKU_DATA_DIR), filesOf(source.env.KAIKU_DATA_DIR), 'uploaded files')
  t.ok(Object.keys(filesOf(target.env.KAIKU_DATA_DIR)).length > 0)

  const em = copy.kaiku.orm.em.fork()
  const picture = await em.findOneOrFail(OpsPicture, { id: pictureId }, { filters: false, populate: ['bytes'] })
  const bytes = picture.bytes as unknown
  t.ok(Buffer.from((bytes instanceof ScalarReference ? bytes.unwrap() : bytes) as Buffer).equals(everyByte), 'the blob column carries every byte value')
  t.same(picture.details, { tags: ['a', 'b'], ratio: 1.5 })
  t.equal(picture.takenAt.toISOString(), '2026-03-04T05:06:07.089Z')
  t.equal(picture.shown, true)
  t.equal(picture.name, 'Ünïcödé acme 📷')

  const browser = await signedIn(copy, owner.email, owner.password)
  t.equal((await browser.get('/me')).statusCode, 200, 'the owner signs in on the restored installation')
})

t.test('backup never overwrites a file, and leaves no half archive behind', async (t) => {
  const { source, file } = await backedUp(t)
  const again = await kaiku(source.env, source.dir, 'backup', '--out', file)
  t.equal(again.code, 1)
  t.match(again.err, /exists; choose another file name/)
  t.same(readdirSync(source.dir).filter((name) => name.includes('.partial-')), [])
  const usage = await kaiku(source.env, source.dir, 'backup')
  t.equal(usage.code, 2)
  t.match(usage.err, /usage: kaiku backup --out FILE/)
  t.notOk(existsSync(join(source.dir, 'data', 'secret')), 'with KAIKU_SECRET set, no secret file exists to leak')
})

t.test('tables larger than one read batch are dumped and restored whole, in key order', async (t) => {
  const source = await testEnv(t, { plugins: opsPlugins })
  const app = await build(t, { plugins: opsPlugins, env: source.env })
  const resetAt = new Date('2030-01-01T00:00:00.000Z')
  const rows = Array.from({ length: 1234 }, (_, i) => ({ key: `bulk|${String(i).padStart(5, '0')}`, count: i, resetAt }))
  await app.kaiku.orm.em.fork().insertMany(RateCounter, rows)
  const file = join(source.dir, 'bulk.tar.gz')
  t.equal((await kaiku(source.env, source.dir, 'backup', '--out', file)).code, 0)
  const target = await testEnv(t, { plugins: opsPlugins })
  t.equal((await kaiku(target.env, target.dir, 'restore', '--in', file)).code, 0)
  const copy = await build(t, { plugins: opsPlugins, env: target.env })
  const restored = (await tablesOf(copy, (table) => table === 'kaiku_rate')).kaiku_rate as { key: string; count: number }[]
  t.equal(restored.length, 1234, 'three batches and a bit')
  t.same(restored.map((row) => row.count), rows.map((row) => row.count), 'every row once, in key order')
})

