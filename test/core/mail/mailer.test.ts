import { once } from 'node:events'
import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { senderAs } from '../../../core/mail/mailer.js'
import { runCli } from '../../../core/cli.js'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { build, fixturePlugin, html, testEnv } from '../../helper.js'
import { freePort, spawnKaiku } from '../../processes.js'
import { smtpSink } from '../../smtp.js'

const fast = { KAIKU_WORKER_POLL_MS: '20', KAIKU_JOB_BACKOFF_MS: '100' }
const withFixture = (env: Record<string, string> = {}) => ({ plugins: [fixturePlugin()], env: { ...fast, ...env } })
type App = Awaited<ReturnType<typeof build>>

async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
const mailOf = (app: App, id: string) => app.kaiku.orm.em.fork().findOneOrFail(MailRecord, { id })
const welcome = (to = 'ada@example.com', extra: object = {}) => ({ to, template: 'fixture/welcome', data: { name: 'Ada' }, key: `welcome:${to}`, ...extra })
const sendInTransaction = (app: App, message: ReturnType<typeof welcome>) =>
  app.kaiku.orm.em.fork().transactional((em) => app.kaiku.contexts.get('fixture')!.mail.send(em, message))

t.test('a mail reaches a real SMTP server with its parts and headers as expected', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, withFixture({ SMTP_URL: smtp.url, MAIL_FROM: 'Acme Advocacy <advocacy@acme.example>' }))
  const { id } = await sendInTransaction(app, welcome('ada@example.com', { unsubscribeUrl: 'https://kaiku.example.com/u/abc' }))
  app.kaiku.jobs.worker.start()
  await until(() => smtp.messages.length === 1)
  await until(async () => (await mailOf(app, id)).status === 'sent')
  const [message] = smtp.messages
  t.equal(message.subject, 'Welcome to Kaiku, Ada')
  t.same(message.from?.value, [{ address: 'advocacy@acme.example', name: 'Acme Advocacy' }])
  t.same((message.to as { value: unknown[] }).value, [{ address: 'ada@example.com', name: '' }])
  t.match(message.html, /<p>Hello Ada,<\/p>/)
  t.match(message.html, /border-bottom:4px solid #0f766e/, 'the shared layout in the brand colour')
  t.match(message.text, /Hello Ada,\s+Your notes are waiting\./)
  t.match(message.messageId, /^<[0-9a-f]{32}@acme\.example>$/, 'Message-ID from the key')
  const raw = (name: string) => message.headerLines.find((line) => line.key === name)?.line
  t.equal(raw('list-unsubscribe'), 'List-Unsubscribe: <https://kaiku.example.com/u/abc>')
  t.equal(raw('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click')
  t.equal((await mailOf(app, id)).messageId, message.messageId)

  const again = await sendInTransaction(app, welcome())
  t.same(again, { id, created: false }, 'the same key sends nothing new')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(smtp.messages.length, 1)
})

t.test('bad input fails at send: nothing is written or queued', async (t) => {
  const app = await build(t, withFixture())
  const ctx = app.kaiku.contexts.get('fixture')!
  const em = app.kaiku.orm.em.fork()
  await t.rejects(ctx.mail.send(em, welcome('not an address')), /'not an address' is not a valid email address/)
  await t.rejects(ctx.mail.send(em, welcome('ada@example.com\r\nBcc: eve@example.com')), /not a valid email address/)
  await t.rejects(ctx.mail.send(em, { ...welcome(), data: { name: 'Ada\r\nBcc: eve@example.com' } }), /mail header Subject contains a line break/)
  await t.rejects(ctx.mail.send(em, welcome('ada@example.com', { unsubscribeUrl: 'https://x.example/u\r\nX-Evil: 1' })), /List-Unsubscribe contains a line break/)
  await t.rejects(ctx.mail.send(em, { ...welcome(), template: 'fixture/nope' }), /unknown mail template 'fixture\/nope'/)
  await t.rejects(ctx.mail.send(em, { ...welcome(), template: '../../etc/passwd' }), /unknown mail template/)
  t.equal(await em.fork().count(MailRecord), 0)
  t.equal(await em.fork().count(JobRecord), 0)
  await t.rejects(
    em.fork().transactional(async (tx) => {
      await ctx.mail.send(tx, welcome())
      throw new Error('the business write failed')
    })
  )
  t.equal(await em.fork().count(MailRecord), 0, 'a rolled-back transaction sends nothing')
})

t.test('SMTP server down: the mail is retried and delivered once when it is back', async (t) => {
  const port = await freePort()
  const app = await build(t, withFixture({ SMTP_URL: `smtp://127.0.0.1:${port}` }))
  const { id } = await sendInTransaction(app, welcome())
  app.kaiku.jobs.worker.start()
  await until(async () => (await mailOf(app, id)).attempts >= 2)
  const failing = await mailOf(app, id)
  t.equal(failing.status, 'retrying')
  t.match(failing.lastError, /ECONNREFUSED/)
  const smtp = await smtpSink(t, { port })
  await until(() => smtp.messages.length === 1)
  await until(async () => (await mailOf(app, id)).status === 'sent')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(smtp.messages.length, 1, 'delivered once')
})

t.test('a permanent 5xx dead-letters the mail at once, visible to the operator', async (t) => {
  const smtp = await smtpSink(t, { reject: { code: 550, message: 'mailbox unavailable' } })
  const app = await build(t, withFixture({ SMTP_URL: smtp.url }))
  const { id } = await sendInTransaction(app, welcome('gone@example.com'))
  app.kaiku.jobs.worker.start()
  await until(async () => (await mailOf(app, id)).status === 'dead')
  // The job is marked dead by the worker after its handler has marked the mail: wait for both.
  const jobOf = async () => (await app.kaiku.orm.em.fork().find(JobRecord, { name: 'core.mail' }))[0]
  await until(async () => (await jobOf()).status !== 'running')
  const job = await jobOf()
  t.equal(job.status, 'dead')
  t.equal(job.attempts, 1, 'no pointless retries')
  t.match(job.lastError, /SMTP refused the message permanently: .*550/)
  const operator = { ...html, 'x-fixture-role': 'operator' }
  const mailPage = await app.inject({ url: '/operator/mail', headers: operator })
  t.match(mailPage.body, /gone@example\.com/)
  t.match(mailPage.body, /badge--dead">Failed/)
  t.match(mailPage.body, /mailbox unavailable/)
  const jobsPage = await app.inject({ url: '/operator/jobs?status=dead', headers: operator })
  t.match(jobsPage.body, /core\.mail/)
})

t.test('a crash after the business transaction commits, before sending: one message after restart', async (t) => {
  const smtp = await smtpSink(t)
  const { env, dir } = await testEnv(t, withFixture({ SMTP_URL: smtp.url }))
  const dying = spawnKaiku(t, ['bin/kaiku.mjs', 'fixture:mail-and-die', 'ada@example.com'], env)
  const [, signal] = await once(dying.child, 'exit')
  t.equal(signal, 'SIGKILL', dying.output())
  t.equal(smtp.messages.length, 0, 'nothing was sent before the crash')

  const restarted = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => restarted.close())
  restarted.kaiku.jobs.worker.start()
  await until(() => smtp.messages.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(smtp.messages.length, 1, 'exactly one message')
  const rows = await restarted.kaiku.orm.em.fork().getConnection().execute("select count(*) as n from fixture_note where text = 'welcomed ada@example.com'")
  t.equal(Number(rows[0].n), 1, 'and the business write is there')
})

t.test('without SMTP, mail goes to the local mailbox, readable on the operator page and the CLI', async (t) => {
  const app = await build(t, withFixture())
  const { id } = await sendInTransaction(app, welcome())
  app.kaiku.jobs.worker.start()
  await until(async () => (await mailOf(app, id)).status === 'mailbox')
  const operator = { ...html, 'x-fixture-role': 'operator' }
  const list = await app.inject({ url: '/operator/mail', headers: operator })
  t.match(list.body, /No SMTP server is configured/)
  t.match(list.body, new RegExp(`href="/operator/mail/${id}">Welcome to Kaiku, Ada</a>`))
  const message = await app.inject({ url: `/operator/mail/${id}`, headers: operator })
  t.match(message.body, /Hello Ada,/)
  const htmlBody = await app.inject({ url: `/operator/mail/${id}/html`, headers: operator })
  t.match(htmlBody.headers['content-security-policy'], /^sandbox; default-src 'none'/)
  t.equal((await app.inject({ url: `/operator/mail/${id}`, headers: html })).statusCode, 403, 'not for others')

  // The CLI on the same database, as an operator on the server would run it.
  const { env, dir } = await testEnv(t, { plugins: [fixturePlugin()], env: { DATABASE_URL: app.kaiku.config.databaseUrl } })
  const out: string[] = []
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), env, cwd: dir }
  t.equal(await runCli(['mail', 'list'], io), 0)
  t.match(out.join('\n'), /transport: mailbox/)
  t.match(out.join('\n'), new RegExp(`${id} .* mailbox\\s+ada@example.com  Welcome to Kaiku, Ada`))
  out.length = 0
  t.equal(await runCli(['mail', 'show', id], io), 0)
  t.match(out.join('\n'), /Subject: Welcome to Kaiku, Ada[\s\S]*Hello Ada,/)
})

t.test('kaiku mail test reports success or the SMTP error in one line', async (t) => {
  const smtp = await smtpSink(t)
  const cli = async (smtpUrl: string | undefined, args: string[]) => {
    const { env, dir } = await testEnv(t, { env: smtpUrl ? { SMTP_URL: smtpUrl } : {} })
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: dir })
    return { code, out, err }
  }
  const ok = await cli(smtp.url, ['mail', 'test', '--to', 'it@example.com'])
  t.equal(ok.code, 0)
  t.match(ok.out[0], /^sent to it@example\.com: 250 .*\(Message-ID <.+>\)$/)
  t.equal(smtp.messages[0].subject, 'Test message from Kaiku')
  const down = await cli(`smtp://127.0.0.1:${await freePort()}`, ['mail', 'test', '--to', 'it@example.com'])
  t.equal(down.code, 1)
  t.equal(down.err.length, 1)
  t.match(down.err[0], /^kaiku: mail test failed: .*ECONNREFUSED/)
  const none = await cli(undefined, ['mail', 'test', '--to', 'it@example.com'])
  t.match(none.err[0], /no SMTP_URL configured/)
  const bad = await cli(smtp.url, ['mail', 'test', '--to', 'nobody'])
  t.match(bad.err[0], /'nobody' is not a valid email address/)
})

t.test("an instance's mail goes out in its name, from MAIL_FROM's address", async (t) => {
  t.equal(senderAs('Acme & Co', 'Kaiku <kaiku@localhost>'), '"Acme & Co" <kaiku@localhost>')
  t.equal(senderAs('Acme', 'advocacy@acme.example'), '"Acme" <advocacy@acme.example>', 'a bare address too')
  t.equal(senderAs('Say "hi" \\ co', 'Kaiku <kaiku@localhost>'), '"Say \\"hi\\" \\\\ co" <kaiku@localhost>', 'quotes and backslashes escaped')
  t.equal(senderAs('Evil\r\nBcc: eve@example.com', 'Kaiku <kaiku@localhost>'), '"Evil Bcc: eve@example.com" <kaiku@localhost>', 'no line break reaches the header')
  t.equal(senderAs('  ', 'Kaiku <kaiku@localhost>'), 'Kaiku <kaiku@localhost>', 'no name: MAIL_FROM as it is')

  const smtp = await smtpSink(t)
  const app = await build(t, withFixture({ SMTP_URL: smtp.url, MAIL_FROM: 'Acme Advocacy <advocacy@acme.example>' }))
  app.kaiku.bus.onFilter('mail.brand', (brand, { tenant }) => (tenant ? { ...brand, name: 'Acme "R&D" Oy' } : brand))
  const { id } = await sendInTransaction(app, welcome('ada@example.com', { tenant: 'acme' }))
  app.kaiku.jobs.worker.start()
  await until(async () => (await mailOf(app, id)).status === 'sent')
  t.same(smtp.messages[0].from?.value, [{ address: 'advocacy@acme.example', name: 'Acme "R&D" Oy' }], 'as a mail client reads it')
})
