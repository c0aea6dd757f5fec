import t from 'tap'
import { MailRecord } from '../../core/mail/mail.entity.js'
import { build, fixturePlugin } from '../helper.js'
import { smtpSink } from '../smtp.js'

type App = Awaited<ReturnType<typeof build>>

async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const calendar = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n'
const welcome = (extra: object = {}) => ({ to: 'ada@example.com', template: 'fixture/welcome', data: { name: 'Ada' }, ...extra })
const send = (app: App, message: ReturnType<typeof welcome>) =>
  app.kaiku.orm.em.fork().transactional((em) => app.kaiku.contexts.get('fixture')!.mail.send(em, message))

t.test('a message carries its Reply-To and its attachments to the SMTP server', async (t) => {
  const smtp = await smtpSink(t)
  const app = await build(t, { plugins: [fixturePlugin()], env: { SMTP_URL: smtp.url, KAIKU_WORKER_POLL_MS: '20' } })
  await send(app, welcome({ replyTo: 'visitor@example.org', attachments: [{ filename: 'demo.ics', contentType: 'text/calendar; charset=utf-8; method=PUBLISH', content: calendar }] }))
  app.kaiku.jobs.worker.start()
  await until(() => smtp.messages.length === 1)
  const [message] = smtp.messages
  t.same(message.replyTo?.value, [{ address: 'visitor@example.org', name: '' }])
  t.equal(message.attachments.length, 1)
  const [file] = message.attachments
  t.equal(file.filename, 'demo.ics')
  t.equal(file.contentType, 'text/calendar')
  t.equal(file.content.toString('utf8'), calendar, 'the file arrives byte for byte')
})

t.test('a message without attachments stores none, as before', async (t) => {
  const app = await build(t, { plugins: [fixturePlugin()] })
  const { id } = await send(app, welcome())
  const mail = await app.kaiku.orm.em.fork().findOneOrFail(MailRecord, { id })
  t.equal(mail.attachments, null)
  t.equal(mail.headers, '{}')
})

t.test('bad attachments or reply addresses fail at send, before anything is written', async (t) => {
  const app = await build(t, { plugins: [fixturePlugin()] })
  const file = { filename: 'demo.ics', contentType: 'text/calendar', content: calendar }
  await t.rejects(send(app, welcome({ replyTo: 'eve@example.org\r\nBcc: all@example.org' })), /not a valid email address/)
  await t.rejects(send(app, welcome({ attachments: [{ ...file, filename: '../etc/passwd' }] })), /plain file name/)
  await t.rejects(send(app, welcome({ attachments: [{ ...file, filename: 'a.ics\r\nX-Evil: 1' }] })), /plain file name/)
  await t.rejects(send(app, welcome({ attachments: [{ ...file, contentType: 'text/calendar\r\nBcc: all@example.org' }] })), /is not a MIME type/)
  await t.rejects(send(app, welcome({ attachments: [{ ...file, content: 'x'.repeat(300 * 1024) }] })), /at most 262144 bytes/)
  t.equal(await app.kaiku.orm.em.fork().count(MailRecord), 0)
})
