import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { build, testEnv } from '../helper.js'
import { backedUp, filesOf, kaiku, opsPlugins, populate, readTarGz, tablesOf, withManifest, writeTarGz } from './ops-support.js'

t.test('restore refuses a non-empty installation and changes nothing; --force replaces it', async (t) => {
  const { app, source, file } = await backedUp(t)
  const other = await testEnv(t, { plugins: opsPlugins })
  const otherApp = await build(t, { plugins: opsPlugins, env: other.env })
  await populate(otherApp)
  const before = await tablesOf(otherApp, (table) => !table.startsWith('kaiku_'))

  const refused = await kaiku(other.env, other.dir, 'restore', '--in', file)
  t.equal(refused.code, 1)
  t.match(refused.err, /restore refused: this installation is not empty \(.*hold data\).*--force/)
  t.same(await tablesOf(otherApp, (table) => !table.startsWith('kaiku_')), before, 'nothing was written')

  const forced = await kaiku(other.env, other.dir, 'restore', '--in', file, '--force')
  t.equal(forced.code, 0, forced.err)
  t.same(await tablesOf(otherApp, (table) => !table.startsWith('kaiku_')), await tablesOf(app, (table) => !table.startsWith('kaiku_')), 'now a copy of the backup')
  t.same(filesOf(other.env.KAIKU_DATA_DIR), filesOf(source.env.KAIKU_DATA_DIR), 'its own uploads are no longer in place…')
  const aside = readdirSync(join(other.env.KAIKU_DATA_DIR, 'backups'))
  t.match(aside, [/^replaced-\d{14}$/], '…but set aside, not deleted')
})

t.test('archives that must not be restored are refused with a clear message, and nothing is written', async (t) => {
  const { source, file } = await backedUp(t)
  const cases: { name: string; make: (path: string) => Promise<void>; message: RegExp }[] = [
    { name: 'a file that is no archive', make: async (path) => writeFileSync(path, 'just some text\n'), message: /not a Kaiku archive/ },
    {
      name: "another product's archive",
      make: (path) => writeTarGz(path, [{ name: 'manifest.json', data: Buffer.from(JSON.stringify({ product: 'acme-crm', format: 1 })) }]),
      message: /not a Kaiku archive \(it says 'acme-crm'\)/
    },
    {
      name: 'a tar without a manifest first',
      make: (path) => writeTarGz(path, [{ name: 'tables/x.jsonl', data: Buffer.from('{}\n') }]),
      message: /does not start with manifest\.json/
    },
    {
      name: 'a backup from a newer version of Kaiku',
      make: (path) => withManifest(file, path, (manifest) => void (manifest.appVersion = '99.0.0')),
      message: /made by Kaiku 99\.0\.0, which is newer than this one.*upgrade Kaiku first/
    },
    {
      name: 'a backup with a migration this version does not know',
      make: (path) => withManifest(file, path, (manifest) => void (manifest.migrations as string[]).push('core/29990101000000-future')),
      message: /made by a newer version of Kaiku \(its migration core\/29990101000000-future is unknown here\)/
    },
    {
      name: 'a newer archive format',
      make: (path) => withManifest(file, path, (manifest) => void (manifest.format = 2)),
      message: /format 2, which this version of Kaiku .* cannot read/
    },
    {
      name: 'an export of one instance',
      make: (path) => withManifest(file, path, (manifest) => void (manifest.kind = 'tenant')),
      message: /export of one company instance; bring it in with `kaiku import-tenant`/
    },
    {
      name: 'a damaged table',
      make: async (path) => {
        const entries = await readTarGz(file)
        const member = entries.find((entry) => entry.name === 'tables/auth_member.jsonl')!
        member.data = Buffer.from(member.data.toString('utf8').replace('Ben Member', 'Bob Member'))
        await writeTarGz(path, entries)
      },
      message: /tables\/auth_member\.jsonl is damaged/
    }
  ]
  // One empty installation (started once) takes every bad archive in turn: none may leave a trace.
  const target = await testEnv(t, { plugins: opsPlugins })
  const app = await build(t, { plugins: opsPlugins, env: target.env })
  for (const { name, make, message } of cases) {
    const bad = join(source.dir, `bad-${readdirSync(source.dir).length}.tar.gz`)
    await make(bad)
    const result = await kaiku(target.env, target.dir, 'restore', '--in', bad)
    t.equal(result.code, 1, name)
    t.match(result.err, message, name)
    const rows = Object.entries(await tablesOf(app)).filter(([, list]) => list.length > 0)
    t.same(rows, [], `${name}: no row written`)
    t.same(filesOf(target.env.KAIKU_DATA_DIR), {}, `${name}: no file written`)
  }
})
