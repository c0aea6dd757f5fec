import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { smtpSink } from '../../smtp.js'
import { buildForms, decode, headingOf, leads, visitor } from './helpers.js'

const question = (body: string) => decode(/<span class="lead-form__question">([\s\S]*?)<\/span>/.exec(body)?.[1] ?? '')
const DAY = 24 * 60 * 60_000

/** A date `days` from now as the visitor's date input holds it, in their zone. */
const dateIn = (days: number, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(Date.now() + days * DAY))

async function until(check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

t.test('the demo request, step by step, with a slot in the visitor’s zone, an .ics file and the admin’s zone', async (t) => {
  const smtp = await smtpSink(t)
  const { app, owner } = await buildForms(t, { SMTP_URL: smtp.url, KAIKU_WORKER_POLL_MS: '20' })
  await owner.submit('/admin/settings', { name: 'Acme', brandName: 'Acme', brandColour: '#0f766e', brandColourText: '#0f766e', brandColourWas: '#0f766e', invitationMessage: 'Welcome', timeZone: 'America/New_York', locale: 'en' })
  await owner.submit('/admin/leads/settings', { recipients: 'sales@acme.com', confirmation: 'on' })
  const grace = visitor(app)

  const first = await grace.open('/demo')
  t.equal(headingOf(first), 'Hi!')
  t.equal(question(first.body), "What's your email address?")
  const second = await grace.answer('/demo', { email: 'grace@navy.example', go: 'next' })
  t.equal(headingOf(second), 'Thanks!')
  t.equal(question(second.body), 'Would you like to tell us a little more about yourself?')
  t.match(second.body, /<select id="companySize" name="companySize"/)
  t.match(second.body, /<option value="51-200">51–200 people<\/option>/)
  const third = await grace.answer('/demo', { name: 'Grace Hopper', company: 'Navy', companySize: '1000+', role: 'Rear Admiral', go: 'next' })
  t.equal(headingOf(third), 'Preferred date & time for your demo (optional)')
  t.match(third.body, /<option value="America\/New_York" selected>/, "the zone list starts at the instance's zone")
  t.match(third.body, /<input id="date" name="date" type="date"/)
  t.match(third.body, /<input id="time" name="time" type="time"/)

  const date = dateIn(10, 'Europe/Helsinki')
  const done = await grace.answer('/demo', { date, time: '15:30', timeZone: 'Europe/Helsinki', go: 'next' })
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, '/demo/thanks')
  const [lead] = await leads(app)
  t.match(lead, { form: 'demo', email: 'grace@navy.example', name: 'Grace Hopper', companySize: '1000+', role: 'Rear Admiral', preferredTimeZone: 'Europe/Helsinki', step: 3 })
  const helsinki = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(lead.preferredAt!)
  t.equal(helsinki, `${date}, 15:30`, '15:30 as the visitor meant it, in Helsinki')

  const newYork = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' }).format(lead.preferredAt!)
  const inbox = await owner.get('/admin/leads')
  t.match(inbox.body, /Times are in America\/New_York\./)
  t.match(inbox.body, new RegExp(`<td data-label="Preferred time" class="cell-time">[^<]*${newYork}</td>`), "the inbox shows the slot in the instance's zone")
  const detail = await owner.get(`/admin/leads/${lead.id}`)
  t.match(detail.body, new RegExp(`${newYork} \\(America/New_York\\)`))
  t.match(detail.body, /the visitor picked [^<]*15:30 \(Europe\/Helsinki\)/, 'and the time as the visitor picked it')

  app.kaiku.jobs.worker.start()
  await until(() => smtp.messages.length === 2)
  const team = smtp.messages.find((message) => message.subject === 'New demo request from Grace Hopper')!
  t.ok(team, 'the team is told')
  t.same(team.replyTo?.value, [{ address: 'grace@navy.example', name: '' }])
  t.equal(team.attachments.length, 1)
  const ics = team.attachments[0]
  t.equal(ics.filename, 'demo-request.ics')
  t.equal(ics.contentType, 'text/calendar')
  const calendar = ics.content.toString('utf8')
  t.match(calendar, new RegExp(`\r\nDTSTART:${lead.preferredAt!.toISOString().replace(/[-:]/g, '').replace('.000', '')}\r\n`), 'the slot, in UTC')
  t.match(calendar, /\r\nSUMMARY:Demo request: Grace Hopper\r\n/)
  t.match(calendar, /\r\nSTATUS:TENTATIVE\r\n/)
  t.match(calendar, new RegExp(`\r\nUID:${lead.id}@acme\\.localhost\r\n`))
  const confirmation = smtp.messages.find((message) => message.subject === 'We received your demo request')!
  t.ok(confirmation, 'the visitor gets a confirmation')
  t.match(confirmation.text, /15:30 \(Europe\/Helsinki\)/, 'naming the time in their own zone')
  t.equal(confirmation.attachments.length, 0)
})

t.test('a demo without a slot is fine; absurd slots bring the step back with the answers kept', async (t) => {
  const { app } = await buildForms(t)
  const zone = 'Europe/Helsinki'
  const linus = visitor(app)
  await linus.open('/demo')
  await linus.answer('/demo', { email: 'linus@example.fi', go: 'next' })
  await linus.answer('/demo', { name: 'Linus', go: 'next' })
  const cases: [Record<string, string>, RegExp, string][] = [
    [{ date: dateIn(-2, zone), time: '10:00', timeZone: zone }, /That time has already passed; pick one in the future\./, 'date'],
    [{ date: dateIn(3 * 365, zone), time: '10:00', timeZone: zone }, /Pick a time within the next 365 days\./, 'date'],
    [{ date: '2027-02-30', time: '10:00', timeZone: zone }, /Enter a date that exists, as YYYY-MM-DD\./, 'date'],
    [{ date: dateIn(5, zone), time: '', timeZone: zone }, /Give both a date and a time, or leave both empty\./, 'time'],
    [{ date: dateIn(5, zone), time: '9 am', timeZone: zone }, /Enter a time as HH:MM, such as 14:30\./, 'time'],
    [{ date: dateIn(5, zone), time: '10:00', timeZone: 'Atlantis/Capital' }, /Choose a time zone from the list\./, 'timeZone']
  ]
  for (const [fields, message, field] of cases) {
    const again = await linus.answer('/demo', { ...fields, go: 'next' })
    t.equal(again.statusCode, 400, JSON.stringify(fields))
    t.equal(headingOf(again), 'Preferred date & time for your demo (optional)')
    t.match(again.body, message)
    t.match(again.body, new RegExp(`id="${field}"[^>]*aria-invalid="true"`), `the error is next to ${field}`)
    if (fields.date) t.match(again.body, new RegExp(`name="date" type="date" value="${fields.date}"`), 'the typed date stays')
  }
  let [lead] = await leads(app)
  t.match(lead, { name: 'Linus', completedAt: null, preferredAt: null })
  const done = await linus.answer('/demo', { date: '', time: '', timeZone: zone, go: 'next' })
  t.equal(done.statusCode, 303, 'an empty slot completes the request')
  ;[lead] = await leads(app)
  t.ok(lead.completedAt)
  t.equal(lead.preferredAt, null)
  t.equal(await app.kaiku.orm.em.fork().count(MailRecord, { attachments: { $ne: null } }), 0, 'no slot, no calendar file')
})
