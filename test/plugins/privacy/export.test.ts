import { gunzipSync } from 'node:zlib'
import t from 'tap'
import tar from 'tar-stream'
import { send } from '../feeds/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { acmeWithActivity, buildAll, lastMail, runJobs } from './helpers.js'

async function entries(archive: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const extract = tar.extract()
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer))
      stream.on('end', () => {
        files.set(header.name, Buffer.concat(chunks).toString('utf8'))
        next()
      })
    })
    extract.on('finish', resolve)
    extract.on('error', reject)
  })
  extract.end(gunzipSync(archive))
  await done
  return files
}

t.test('export: one job per request, a mail when ready, exactly the member’s data, an archive that goes once and to its owner only', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  await globexWithPost(app)

  const first = await send(acme.member, '/me/export', '/me/export', {})
  t.equal(first.statusCode, 303)
  const preparing = await acme.member.get('/me/export')
  t.equal(preparing.body.split('Your archive is being prepared').length - 1, 1, 'said once, not in a notice and again on the page')
  t.match(preparing.body, 'We will mail you when it is ready')
  t.notMatch(preparing.body, 'Prepare my archive', 'and it cannot be asked for again meanwhile')
  const second = await send(acme.member, '/me/export', '/me/export', {})
  t.equal(second.statusCode, 303)
  const jobs = await app.kaiku.orm.em.fork().getConnection().execute("select count(*) as n from kaiku_job where name = 'privacy.export'")
  t.equal(Number(jobs[0].n), 1, 'asked twice: one job')
  t.match((await acme.member.get('/me/export')).body, 'Your archive was already asked for', 'asking twice is said')

  await runJobs(app)
  const mail = await lastMail(app, 'mia@acme.com', 'privacy/export-ready')
  t.match(mail?.subject, 'Your data archive is ready – Acme', 'the member is told by mail')
  t.match(mail?.text, /http:\/\/acme\.localhost(:\d+)?\/me\/export\n/, 'which leads to the page, not to the archive')
  t.notMatch(mail?.text, /\/me\/export\/[^\s]+/)
  const firstLook = /href="(\/me\/export\/[^"]+)"/.exec((await acme.member.get('/me/export')).body)?.[1]
  const ready = await acme.member.get('/me/export')
  const link = /href="(\/me\/export\/[^"]+)"/.exec(ready.body)?.[1]
  t.ok(firstLook && link, 'the ready page shows a download link each time it is opened (a reload loses nothing)')
  t.not(link, firstLook, 'a new one each time')
  t.equal((await app.inject({ url: firstLook!, headers: { host: 'acme.localhost', cookie: acme.member.cookie, accept: 'text/html' } })).statusCode, 404, 'and only the newest works')

  const stranger = await acme.owner.get(link!)
  t.equal(stranger.statusCode, 404, 'another member cannot download it')
  const anonymous = await app.inject({ url: link!, headers: { host: 'acme.localhost', accept: 'text/html' } })
  t.equal(anonymous.statusCode, 303, 'a visitor is sent to sign in')

  const download = await app.inject({ url: link!, headers: { host: 'acme.localhost', cookie: acme.member.cookie } })
  t.equal(download.statusCode, 200)
  t.equal(download.headers['content-type'], 'application/gzip')
  const files = await entries(download.rawPayload)
  const data = JSON.parse(files.get('kaiku-export/data.json')!) as { member: { email: string }; categories: { plugin: string; category: string; rows: Record<string, unknown>[] }[] }
  t.equal(data.member.email, 'mia@acme.com')
  const rowsOf = (plugin: string, category: string) => data.categories.find((c) => c.plugin === plugin && c.category === category)?.rows ?? []
  t.equal(rowsOf('auth', 'profile')[0]?.name, 'Mia Member')
  t.notOk('passwordHash' in (rowsOf('auth', 'profile')[0] ?? {}), 'no password hash')
  t.same(rowsOf('sharing', 'shares').filter((r) => r.kind === 'share').map((r) => r.text), ['Mia shares this'])
  t.equal(rowsOf('sharing', 'clicks').length, 1, 'the click on her link')
  t.same(rowsOf('feeds', 'comments').map((r) => r.kind).sort(), ['comment', 'like'])
  t.ok(rowsOf('core', 'sessions').length >= 1, 'her sessions')
  t.ok(rowsOf('notifications', 'notifications').length >= 2, 'notice and preferences')
  t.ok(files.has('kaiku-export/csv/feeds-comments.csv'), 'CSV per category')
  const everything = [...files.values()].join('\n')
  for (const other of ['olivia@acme.com', 'carl@acme.com', 'Olivia Owner', 'Carl Curator', 'gwen@globex.com', 'Gwen Globex', 'Globex']) {
    t.notMatch(everything, other, `nothing of ${other}`)
  }

  const again = await app.inject({ url: link!, headers: { host: 'acme.localhost', cookie: acme.member.cookie, accept: 'text/html' } })
  t.equal(again.statusCode, 410, 'the link works once')
  const archives = await app.kaiku.orm.em.fork().getConnection().execute('select count(*) as n from privacy_export where archive is not null')
  t.equal(Number(archives[0].n), 0, 'the archive is deleted once downloaded')
  const anew = await send(acme.member, '/me/export', '/me/export', {})
  t.equal(anew.statusCode, 303, 'a new export can be asked for afterwards')
})

t.test('/me/data lists every declared category with counts; CSV cells cannot start a formula', async (t) => {
  const { csvCell } = await import('../../../plugins/privacy/services/archive.js')
  t.equal(csvCell('=1+1'), "'=1+1")
  t.equal(csvCell('@x'), "'@x")
  t.equal(csvCell('a,"b"'), '"a,""b"""')
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const page = await acme.member.get('/me/data')
  t.equal(page.statusCode, 200)
  for (const title of ['Your profile', 'Your shares and tracked links', 'Clicks on your links', 'Comments and likes', 'Your sessions', 'Mail sent to you', 'Contact and demo requests', 'Your privacy choices']) {
    t.match(page.body, title, title)
  }
  t.match(page.body, /Comments and likes <span class="badge">Records: 2/)
})
