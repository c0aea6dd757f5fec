import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { smtpSink } from '../../smtp.js'
import { buildForms, leads, visitor } from './helpers.js'

async function until(check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

t.test('a line break in a name or an email cannot add a mail header', async (t) => {
  const smtp = await smtpSink(t)
  const { app, owner } = await buildForms(t, { SMTP_URL: smtp.url, KAIKU_WORKER_POLL_MS: '20' })
  await owner.submit('/admin/leads/settings', { recipients: 'sales@acme.com', confirmation: 'on' })
  const eve = visitor(app)
  await eve.open('/contact')
  const injected = await eve.answer('/contact', { email: 'eve@example.com\r\nBcc: victim@example.org', go: 'next' })
  t.equal(injected.statusCode, 400)
  t.match(injected.body, /Enter an email address such as name@example\.com\./)
  t.same(await leads(app), [])

  await eve.answer('/contact', { email: 'eve@example.com', go: 'next' })
  const name = await eve.answer('/contact', { name: 'Eve\r\nBcc: victim@example.org', company: 'Evil\nCorp', go: 'next' })
  t.equal(name.statusCode, 400)
  t.match(name.body, /id="name-error">Remove the line breaks and other control characters\./)
  t.match(name.body, /id="company-error">Remove the line breaks and other control characters\./)
  const [partial] = await leads(app)
  t.equal(partial.name, null, 'nothing with a line break is stored')

  await eve.answer('/contact', { name: 'Eve Bcc: victim@example.org', company: 'Evil Corp', go: 'next' })
  await eve.answer('/contact', { message: 'Hi\r\nBcc: victim@example.org\r\n\r\nbody', go: 'next' })
  app.kaiku.jobs.worker.start()
  await until(() => smtp.messages.length === 2)
  t.equal(smtp.attempts, 2, 'two recipients in all: no one was added')
  for (const message of smtp.messages) {
    t.notOk(message.headers.has('bcc'), `no Bcc in "${message.subject}"`)
    t.same(message.headerLines.filter((line) => /victim/.test(line.line) && line.key !== 'subject').map((line) => line.key), [], 'the address appears in no header but, as text, the subject')
  }
  const team = smtp.messages.find((message) => message.subject?.startsWith('New contact request'))!
  t.equal(team.subject, 'New contact request from Eve Bcc: victim@example.org', 'the name stays on the subject line, as text')
  t.same((team.to as { value: { address: string }[] }).value.map((to) => to.address), ['sales@acme.com'])
})

t.test('markup in an answer is shown as text in the inbox and in mails', async (t) => {
  const { app, owner } = await buildForms(t)
  await owner.submit('/admin/leads/settings', { recipients: 'sales@acme.com', confirmation: 'on' })
  const mallory = visitor(app)
  await mallory.open('/contact')
  await mallory.answer('/contact', { email: 'mallory@example.com', go: 'next' })
  await mallory.answer('/contact', { name: '<img src=x onerror=alert(1)>', company: '"><script>alert(2)</script>', go: 'next' })
  await mallory.answer('/contact', { message: '<script>alert(3)</script><a href="http://evil.example">click</a>', go: 'next' })
  const [lead] = await leads(app)

  const inbox = await owner.get('/admin/leads')
  const detail = await owner.get(`/admin/leads/${lead.id}`)
  for (const [where, body] of [['inbox', inbox.body], ['lead page', detail.body]] as const) {
    t.notMatch(body, /<script>alert/, `no script from the visitor in the ${where}`)
    t.notMatch(body, /<img src=x/, `no image from the visitor in the ${where}`)
    t.match(body, /&lt;script&gt;alert\(/, `the text is shown escaped in the ${where}`)
  }
  t.notMatch(detail.body, /<a href="http:\/\/evil\.example">/)
  t.match(detail.body, /&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/)

  const team = await app.kaiku.orm.em.fork().findOneOrFail(MailRecord, { recipient: 'sales@acme.com' })
  t.notMatch(team.html, /<script>|<img src=x|<a href="http:\/\/evil/, 'no markup from the visitor in the HTML mail')
  t.match(team.html, /&lt;script&gt;alert\(3\)&lt;\/script&gt;/)
  t.match(team.html, /&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/)
  t.match(team.text, /<script>alert\(3\)<\/script>/, 'the text part is plain text, as typed')
})
