import t from 'tap'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { MailRecord, type MailRecordEntity } from '../../../core/mail/mail.entity.js'
import { Tenant } from '../../../plugins/tenancy/entities/tenant.entity.js'
import { Broadcast } from '../../../plugins/notifications/entities/notifications.entity.js'
import { onPostgres, testEnv, type TestLike } from '../../helper.js'
import { spawnKaiku } from '../../processes.js'
import { smtpSink } from '../../smtp.js'
import { addMember, type App } from '../auth/helpers.js'
import { acme, makePost, makeTopic, send, topicIds } from '../feeds/helpers.js'

// Mail really travels: through SMTP to a server on loopback, as in production.
const plugins = ['tenancy', 'auth', 'feeds', 'sharing', 'analytics', 'notifications']
// Five hundred members and two worker processes take their time on a loaded machine.
t.setTimeout(480_000)

async function buildWithSmtp(t: TestLike, smtpUrl: string) {
  const { env, dir } = await testEnv(t, { plugins, env: { KAIKU_WORKER: 'off', SMTP_URL: smtpUrl } })
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => app.close())
  return { app, env }
}

async function runJobs(app: App) {
  for (let i = 0; i < 10; i++) if ((await app.kaiku.jobs.worker.runDue()) === 0) break
}

t.test('digests over SMTP: the member hour in the instance time zone, favourite topics first, unsubscribe header', async (t) => {
  const sink = await smtpSink(t)
  const { app } = await buildWithSmtp(t, sink.url)
  const { owner, curator, member } = await acme(app)
  const tenant = (await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'acme'))!
  await app.kaiku.orm.em.fork().nativeUpdate(Tenant, { id: tenant.id }, { timeZone: 'Europe/Helsinki' })
  await makeTopic(owner, 'Careers')
  const ids = await topicIds(app)
  await send(member, '/me', '/me/topics', { topics: [ids.Careers] })
  await send(member, '/me/notifications', '/me/notifications', { digest: 'daily', digestHour: '9', digestDay: 'mon', on: ['digest'] })
  await makePost(curator, { url: 'https://acme.com/general', title: 'General news' })
  await makePost(curator, { url: 'https://acme.com/jobs', title: 'We are hiring', topics: [ids.Careers] })

  const queue = (at: string) => app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'notifications.digests', { scope: tenant.id, scheduledFor: at })
  // 09:00 in Helsinki on 1 December is 07:00 UTC; at 09:00 UTC it is already 11:00 there.
  await queue('2026-12-01T09:00:00.000Z')
  await runJobs(app)
  t.equal(sink.messages.filter((m) => m.to && JSON.stringify(m.to).includes('mia@acme.com')).length, 0, 'nothing at 09:00 UTC: that is not her hour in Helsinki')
  await queue('2026-12-01T07:00:00.000Z')
  await runJobs(app)
  const digests = sink.messages.filter((m) => JSON.stringify(m.to).includes('mia@acme.com'))
  t.equal(digests.length, 1, 'one digest arrived over SMTP')
  const text = digests[0].text ?? ''
  t.ok(text.indexOf('We are hiring') >= 0 && text.indexOf('We are hiring') < text.indexOf('General news'), 'the favourite topic comes first')
  const header = (name: string) => digests[0].headerLines.find((line) => line.key === name)?.line ?? ''
  t.equal(header('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'RFC 8058 one-click header')
  t.match(header('list-unsubscribe').replace(/\r\n\s+/g, ' '), /^List-Unsubscribe: <http:\/\/acme\.localhost[^>]*\/unsubscribe\/[^>]+>/)
})

t.test(
  'a broadcast to 500 members with two worker processes: each member mailed once, a refused recipient holds up no one',
  { skip: onPostgres() ? false : 'several worker processes share one database on PostgreSQL only' },
  async (t) => {
    const refused = 'bounce@acme.com'
    const sink = await smtpSink(t, { refuseRecipients: [refused] })
    const { app, env } = await buildWithSmtp(t, sink.url)
    const { owner } = await acme(app)
    // acme has three members; 497 more make 500.
    await addMember(app, { email: refused, name: 'Bounce Back', role: 'member' })
    for (let i = 1; i <= 496; i++) await addMember(app, { email: `person${i}@acme.com`, name: `Person ${i}`, role: 'member' })

    const draft = await send(owner, '/admin/broadcast', '/admin/broadcast', { subject: 'Security notice', body: 'Please change your password.' })
    t.equal(draft.statusCode, 303)
    const [broadcast] = await app.kaiku.orm.em.fork().find(Broadcast, {}, { filters: false })
    const sent = await send(owner, `/admin/broadcast/${broadcast.id}`, `/admin/broadcast/${broadcast.id}/send`, {})
    t.equal(sent.statusCode, 303)

    const workers = [spawnKaiku(t, ['bin/kaiku.mjs', 'worker'], { ...env, KAIKU_WORKER: 'on' }), spawnKaiku(t, ['bin/kaiku.mjs', 'worker'], { ...env, KAIKU_WORKER: 'on' })]
    const started = Date.now()
    const deadline = started + 300_000
    let settled: MailRecordEntity[] = []
    while (Date.now() < deadline) {
      const mails = await app.kaiku.orm.em.fork().find(MailRecord, { template: 'notifications/broadcast' })
      settled = mails.filter((mail) => mail.status === 'sent' || mail.status === 'dead')
      if (mails.length === 500 && settled.length === 500) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    t.comment(`500 deliveries settled in ${Math.round((Date.now() - started) / 1000)} s`)
    t.equal(settled.length, 500, `every delivery settled (worker output: ${workers.map((w) => w.output().slice(-500)).join(' | ')})`)
    const received = sink.messages.flatMap((message) => (Array.isArray(message.to) ? message.to : [message.to]).flatMap((to) => to?.value.map((v) => v.address) ?? []))
    t.equal(received.length, 499, '499 messages arrived')
    t.equal(new Set(received).size, 499, 'nobody got it twice')
    t.notOk(received.includes(refused))
    const dead = settled.filter((mail) => mail.status === 'dead')
    t.same(
      dead.map((mail) => mail.recipient),
      [refused],
      'only the refused recipient failed'
    )
    const page = await owner.get(`/admin/broadcast/${broadcast.id}`)
    t.match(page.body, /499/, 'the admin sees the sent count')
  }
)
