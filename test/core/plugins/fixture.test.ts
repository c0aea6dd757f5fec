import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import t from 'tap'
import { runCli } from '../../../core/cli.js'
import { build, coreMigrations, fixturePlugin, formToken, html, repoRoot, testEnv } from '../../helper.js'

const withFixture = { plugins: [fixturePlugin()] }

async function notes(app: Awaited<ReturnType<typeof build>>): Promise<string[]> {
  const rows = await app.kaiku.orm.em.fork().getConnection().execute('select text from fixture_note order by id')
  return rows.map((row: { text: string }) => row.text)
}

t.test('a plugin outside plugins/ adds a route whose view renders in the shared layout with its nav entry', async (t) => {
  const app = await build(t, withFixture)
  const page = await app.inject({ url: '/fixture', headers: html })
  t.equal(page.statusCode, 200)
  t.match(page.body, /<header class="site-header">/, 'shared layout')
  t.match(page.body, /<h1>Hello, notes<\/h1>/, 'plugin view with its message catalogue and default config')
  t.match(page.body, /<title>Notes · Kaiku<\/title>/)
  t.match(page.body, /href="\/fixture" aria-current="page">Fixture notes ✓<\/a>/, 'nav entry, marked by the nav.entries filter')
  t.notMatch(page.body, /Fixture admin/, 'an entry for admins is hidden from others')
  const asAdmin = await app.inject({ url: '/fixture', headers: { ...html, 'x-fixture-role': 'admin' } })
  t.match(asAdmin.body, /href="\/fixture\/admin">Fixture admin<\/a>/, 'and shown to admins')
})

t.test("a plugin's assets are served under /static/<plugin>/, its stylesheet linked from every page, its scripts from the pages that ask", async (t) => {
  const app = await build(t, withFixture)
  const css = await app.inject({ url: '/static/fixture/style.css' })
  t.equal(css.statusCode, 200)
  t.match(css.headers['content-type'], /text\/css/)
  t.match(css.body, /\.fixture-note/)
  const page = await app.inject({ url: '/fixture', headers: html })
  t.match(page.body, /<link rel="stylesheet" href="\/static\/fixture\/style.css">/)
  const nonce = /script-src[^;]*'nonce-([^']+)'/.exec(String(page.headers['content-security-policy']))?.[1]
  t.ok(nonce, 'the page has a script nonce')
  t.match(page.body, `<script src="/static/fixture/enhance.js" nonce="${nonce}" defer></script>`, 'the script carries the CSP nonce')
  const other = await app.inject({ url: '/fixture/setup', headers: html })
  t.notMatch(other.body, /enhance\.js/)
  t.equal((await app.inject({ url: '/static/fixture/../index.ts' })).statusCode, 404, 'nothing outside the assets folder')
})

t.test('a plugin adds its own counters to /metrics, named after it', async (t) => {
  const app = await build(t, withFixture)
  await app.inject({ url: '/fixture', headers: html })
  await app.inject({ url: '/fixture', headers: html })
  const metrics = await app.inject({ url: '/metrics' })
  t.match(metrics.body, /# HELP kaiku_fixture_views_total Fixture page views/)
  t.match(metrics.body, /kaiku_fixture_views_total 2/)
})

t.test('plugin settings come from KAIKU_<PLUGIN>_<KEY>', async (t) => {
  const app = await build(t, { ...withFixture, env: { KAIKU_FIXTURE_GREETING: 'Moi' } })
  const page = await app.inject({ url: '/fixture', headers: html })
  t.match(page.body, /<h1>Moi, notes<\/h1>/)
})

t.test("the plugin's entity has its own migration, applied at start", async (t) => {
  const app = await build(t, withFixture)
  const applied = await app.kaiku.orm.em.fork().getConnection().execute('select name from kaiku_migrations order by id')
  t.same(
    applied.map((row: { name: string }) => row.name),
    [...coreMigrations, 'fixture/20261129000000-notes']
  )
  const form = await app.inject({ url: '/fixture', headers: html })
  const { token, cookie } = formToken(form)
  const saved = await app.inject({
    method: 'POST',
    url: '/fixture/notes',
    headers: { ...html, cookie },
    payload: { text: 'first note', _csrf: token }
  })
  t.equal(saved.statusCode, 303)
  await app.kaiku.bus.idle()
  t.same(await notes(app), ['first note', 'event:first note'], 'row written through the request EntityManager, then the action handler ran')
  const after = await app.inject({ url: '/fixture', headers: { ...html, cookie } })
  t.match(after.body, /<li class="note">first note<\/li>/, 'namespaced partial renders')
  t.match(after.body, /Saved “first note”/, 'flash message shown once')
  const again = await app.inject({ url: '/fixture', headers: { ...html, cookie } })
  t.notMatch(again.body, /Saved “first note”/, 'and not twice')
})

t.test('action handlers run only after commit, and their errors never reach the request', async (t) => {
  const app = await build(t, withFixture)
  const { token, cookie } = formToken(await app.inject({ url: '/fixture', headers: html }))
  const post = (text: string) =>
    app.inject({ method: 'POST', url: '/fixture/notes', headers: { ...html, cookie }, payload: { text, _csrf: token } })

  const rolledBack = await post('rollback')
  t.equal(rolledBack.statusCode, 500)
  await app.kaiku.bus.idle()
  t.same(await notes(app), [], 'a rolled-back write raises no event and leaves no row')

  const exploded = await post('explode')
  t.equal(exploded.statusCode, 303, 'a failing handler does not fail the request')
  await app.kaiku.bus.idle()
  t.same(await notes(app), ['explode'])
})

t.test('a plugin contributes a CLI command', async (t) => {
  const { env, dir } = await testEnv(t, withFixture)
  const out: string[] = []
  const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line), env, cwd: dir }
  t.equal(await runCli(['fixture:count'], io), 0)
  t.same(out, ['notes: 0'])
  out.length = 0
  await runCli(['help'], io)
  t.match(out.join('\n'), /kaiku fixture:count\s+Print how many notes exist. \(fixture\)/)
})

t.test("a plugin's setup provider gates every page until setup is complete", async (t) => {
  const app = await build(t, { ...withFixture, env: { KAIKU_FIXTURE_SETUP_DONE: 'false' } })
  const page = await app.inject({ url: '/fixture', headers: html })
  t.equal(page.statusCode, 302)
  t.equal(page.headers.location, '/fixture/setup')
  const home = await app.inject({ url: '/', headers: html })
  t.equal(home.headers.location, '/fixture/setup')
  t.equal((await app.inject({ url: '/fixture/setup' })).statusCode, 200)
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'operational endpoints are never redirected')
  t.equal((await app.inject({ url: '/static/kaiku.css' })).statusCode, 200, 'nor is the stylesheet')
  t.equal((await app.inject({ url: '/setup' })).statusCode, 404, "core's stand-in page gives way to the plugin's")
})

t.test('core imports no plugin: nothing under core/ reaches into plugins/', async (t) => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : [path]
    })
  const pluginsFolder = join(repoRoot, 'plugins')
  for (const file of files(join(repoRoot, 'core')).filter((f) => f.endsWith('.ts'))) {
    const imports = [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => resolve(dirname(file), m[1]))
    t.notOk(imports.some((path) => path.startsWith(pluginsFolder)), `${file} imports no plugin`)
  }
})
