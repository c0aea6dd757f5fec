import { request as httpRequest } from 'node:http'
import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../core/app.js'
import { loadConfig } from '../../core/config/load.js'
import { fixturePlugin, onPostgres, testEnv } from '../helper.js'
import { startServer, type RunningServer } from '../processes.js'
import { kaiku } from './ops-support.js'

const plugins = ['tenancy', 'auth', 'feeds', 'sharing', 'analytics', 'notifications', fixturePlugin('ops-blob')]

interface Answer {
  status: number
  cookie?: string
  body: string
}

/** A form's CSRF token in a page. */
const csrfOf = (page: Answer) => /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''

/** One HTTP request to a server as a browser on acme's host would send it (Node's fetch cannot set Host). */
function call(server: RunningServer, method: 'GET' | 'POST', path: string, options: { cookie?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  const { port } = new URL(server.url)
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host: `acme.127.0.0.1:${port}`,
          accept: 'text/html',
          ...(options.cookie ? { cookie: options.cookie } : {}),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {})
        }
      },
      (response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
        response.on('end', () => {
          const cookie = (response.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('kaiku='))
          resolve({ status: response.statusCode ?? 0, cookie, body: text })
        })
      }
    )
    request.on('error', reject)
    request.end(body)
  })
}

async function signIn(server: RunningServer, email: string, password: string): Promise<string> {
  const form = await call(server, 'GET', '/login')
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1]
  if (!token || !form.cookie) throw new Error(`no login form: ${form.status}`)
  const login = await call(server, 'POST', '/login', { cookie: form.cookie, form: { email, password, _csrf: token } })
  if (login.status !== 303 || !login.cookie) throw new Error(`login failed: ${login.status}`)
  return login.cookie
}

t.test('two Kaiku processes on one PostgreSQL database', { skip: !onPostgres() && 'several instances need PostgreSQL (SQLite serves one process)' }, async (t) => {
  const shared = await testEnv(t, { plugins })
  const env = { DATABASE_URL: shared.env.DATABASE_URL, KAIKU_SECRET: shared.env.KAIKU_SECRET, KAIKU_WORKER_POLL_MS: '50', KAIKU_WORKER_CONCURRENCY: '2' }
  // Started together on an empty database: both try to migrate it at once.
  const [a, b] = await Promise.all([startServer(t, { plugins, env }), startServer(t, { plugins, env })])
  const db = new pg.Client({ connectionString: shared.env.DATABASE_URL })
  await db.connect()
  t.teardown(() => db.end())

  t.test('migrations started by both at once were applied once', async (t) => {
    const { rows } = await db.query<{ name: string; n: string }>('select name, count(*) as n from kaiku_migrations group by name')
    t.ok(rows.length > 0)
    t.same(rows.filter((row) => Number(row.n) !== 1), [], 'no migration recorded twice')
    const app = await buildApp(loadConfig(shared.env, shared.dir), { env: shared.env, cwd: shared.dir, migrate: false })
    t.same(rows.map((row) => row.name).sort(), [...app.kaiku.migrations].sort(), 'and every one of them was')
    await app.close()
  })

  t.test('a sign-in made on one instance is valid on the other, and a sign-out on it ends it everywhere', async (t) => {
    t.equal((await kaiku(shared.env, shared.dir, 'tenant', 'create', '--slug', 'acme', '--name', 'Acme', '--domain', 'acme.com')).code, 0)
    const created = await kaiku(shared.env, shared.dir, 'user', 'create', '--tenant', 'acme', '--email', 'ada@acme.com', '--name', 'Ada Admin', '--role', 'admin', '--password', 'correct horse battery')
    t.equal(created.code, 0, created.err)

    const cookie = await signIn(a, 'ada@acme.com', 'correct horse battery')
    const onB = await call(b, 'GET', '/me', { cookie })
    t.equal(onB.status, 200, 'instance B knows the session instance A made')
    t.match(onB.body, /Ada Admin/)

    const form = /<form[^>]*action="\/logout"[\s\S]*?name="_csrf" value="([^"]+)"/.exec(onB.body)?.[1]
    t.ok(form, 'a sign-out form')
    const out = await call(b, 'POST', '/logout', { cookie, form: { _csrf: form ?? '' } })
    t.equal(out.status, 303)
    const onA = await call(a, 'GET', '/me', { cookie })
    t.equal(onA.status, 303, 'signed out on B, the session is gone on A too')
  })

  t.test('jobs enqueued once run once, whichever worker claims them', async (t) => {
    const app = await buildApp(loadConfig(shared.env, shared.dir), { env: shared.env, cwd: shared.dir })
    const em = app.kaiku.orm.em.fork()
    const tenantId = (await app.tenancy.bySlug(em, 'acme'))!.id
    const names = Array.from({ length: 30 }, (_, i) => `once-${i}`)
    for (const name of names) await app.kaiku.jobs.queue.enqueue(em, 'ops-blob.picture', { tenantId, name })
    await app.close()

    const deadline = Date.now() + 30_000
    let left = names.length
    while (left > 0 && Date.now() < deadline) {
      const { rows } = await db.query<{ n: string }>("select count(*) as n from kaiku_job where name = 'ops-blob.picture' and status <> 'done'")
      left = Number(rows[0].n)
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    t.equal(left, 0, 'every job done')
    const { rows } = await db.query<{ name: string; n: string }>("select name, count(*) as n from opsblob_picture where name like 'once-%' group by name")
    t.equal(rows.length, names.length, 'each job wrote its row')
    t.same(rows.filter((row) => Number(row.n) !== 1), [], 'and none twice')
    const { rows: workers } = await db.query<{ locked_by: string }>("select distinct locked_by from kaiku_job where name = 'ops-blob.picture'")
    t.comment(`jobs were run by ${workers.length} worker(s)`)
  })

  t.test('a click recorded by either instance is counted once; a digest queued by both is sent once', async (t) => {
    const cookie = await signIn(a, 'ada@acme.com', 'correct horse battery')
    const editor = await call(a, 'GET', '/posts/new', { cookie })
    const created = await call(a, 'POST', '/posts/new', { cookie, form: { url: 'https://acme.com/news', title: 'Big news', publish: 'now', _csrf: csrfOf(editor) } })
    t.equal(created.status, 303, 'a post')
    const { rows: posts } = await db.query<{ id: string }>('select id from feeds_post')
    const compose = await call(b, 'GET', `/posts/${posts[0].id}/share/linkedin`, { cookie })
    const sharedPost = await call(b, 'POST', `/posts/${posts[0].id}/share/linkedin`, { cookie, form: { text: 'Read this', _csrf: csrfOf(compose) } })
    t.equal(sharedPost.status, 303, 'a share, made on the other instance')
    const { rows: links } = await db.query<{ id: string; code: string }>('select id, code from sharing_link')
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call(i % 2 ? a : b, 'GET', `/s/${links[0].code}`)))
    const redirects = answers.filter((answer) => answer.status === 302).length
    t.equal(redirects, 60, 'every click redirected')
    const { rows: clicks } = await db.query<{ n: string }>('select count(*) as n from sharing_click where link_id = $1', [links[0].id])
    t.equal(Number(clicks[0].n), redirects, 'each stored exactly once')

    const hour = new Date().getUTCHours()
    const preferences = await call(a, 'GET', '/me/notifications', { cookie })
    const saved = await call(a, 'POST', '/me/notifications', { cookie, form: { digest: 'daily', digestHour: String(hour), digestDay: 'mon', on: 'digest', _csrf: csrfOf(preferences) } })
    t.equal(saved.status, 303)
    const app = await buildApp(loadConfig(shared.env, shared.dir), { env: shared.env, cwd: shared.dir })
    const em = app.kaiku.orm.em.fork()
    const tenantId = (await app.tenancy.bySlug(em, 'acme'))!.id
    const at = new Date()
    at.setUTCMinutes(0, 0, 0)
    // As if each instance's scheduler had queued this hour's digests (the schedule itself makes one).
    for (let i = 0; i < 2; i++) await app.kaiku.jobs.queue.enqueue(em, 'notifications.digests', { scope: tenantId, scheduledFor: at.toISOString() })
    await app.close()
    const deadline = Date.now() + 30_000
    let open = 1
    while (open > 0 && Date.now() < deadline) {
      const { rows } = await db.query<{ n: string }>("select count(*) as n from kaiku_job where name like 'notifications.%' and status <> 'done'")
      open = Number(rows[0].n)
      if (open > 0) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    t.equal(open, 0, 'both passes ran')
    const { rows: digests } = await db.query<{ n: string }>("select count(*) as n from kaiku_mail where template = 'notifications/digest' and recipient = 'ada@acme.com'")
    t.equal(Number(digests[0].n), 1, 'one digest')
  })
})
