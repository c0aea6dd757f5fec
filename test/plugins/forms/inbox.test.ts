import t from 'tap'
import { FormLead } from '../../../plugins/forms/entities/lead.entity.js'
import { addMember, client, owner as acmeOwner, signedIn, type App } from '../auth/helpers.js'
import { addGlobex, buildForms, leads, visitor } from './helpers.js'

/** A lead as a visitor leaves it: `steps` answered of the form's (all of them completes it). */
async function leave(app: App, host: string, form: 'contact' | 'demo', email: string, steps: Record<string, string>[]) {
  const person = visitor(app, host)
  await person.open(`/${form}`)
  for (const fields of [{ email }, ...steps]) await person.answer(`/${form}`, { ...fields, go: 'next' })
}

const rows = (body: string) => [...body.matchAll(/<a class="cell-title" href="\/admin\/leads\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1])

t.test('only the instance’s owners and admins open its inbox', async (t) => {
  const { app, owner } = await buildForms(t)
  await addMember(app, { email: 'mia@acme.com', name: 'Mia Member', role: 'member', password: 'mias long passphrase' })
  await addMember(app, { email: 'adam@acme.com', name: 'Adam Admin', role: 'admin', password: 'adams long passphrase' })
  const anonymous = await client(app, 'acme.localhost').get('/admin/leads?status=new')
  t.equal(anonymous.statusCode, 303)
  t.equal(anonymous.headers.location, '/login?next=%2Fadmin%2Fleads%3Fstatus%3Dnew')
  const member = await signedIn(app, 'mia@acme.com', 'mias long passphrase')
  t.equal((await member.get('/admin/leads')).statusCode, 403)
  t.equal((await member.get('/admin/leads/export.csv')).statusCode, 403)
  t.equal((await member.get('/admin/leads/settings')).statusCode, 403)
  const admin = await signedIn(app, 'adam@acme.com', 'adams long passphrase')
  t.equal((await admin.get('/admin/leads')).statusCode, 200)
  const page = await owner.get('/admin/leads')
  t.equal(page.statusCode, 200)
  t.match(page.body, /<a href="\/admin\/leads"[^>]*aria-current="page">Leads<\/a>/, 'in the navigation')
  t.notMatch((await member.get('/people')).body, /href="\/admin\/leads"/, "not in a member's navigation")
})

t.test('the inbox lists leads, partial ones included, filtered by form and status; notes and status stick', async (t) => {
  const { app, owner } = await buildForms(t)
  await leave(app, 'acme.localhost', 'contact', 'only.email@example.com', [])
  await leave(app, 'acme.localhost', 'contact', 'complete@example.com', [{ name: 'Cam Plete', company: 'Done Inc' }, { message: 'All of it' }])
  await leave(app, 'acme.localhost', 'demo', 'demo@example.com', [{ name: 'Dee Mo' }, { date: '', time: '' }])

  const all = await owner.get('/admin/leads')
  t.same(rows(all.body).sort(), ['complete@example.com', 'demo@example.com', 'only.email@example.com'])
  t.match(all.body, /title="Stopped after step 1 of 3">Incomplete<\/span>/, 'a partial lead says so')
  t.match(all.body, /Cam Plete · Done Inc/)
  t.same(rows((await owner.get('/admin/leads?form=demo')).body), ['demo@example.com'])
  t.same(rows((await owner.get('/admin/leads?form=contact')).body).sort(), ['complete@example.com', 'only.email@example.com'])
  t.equal((await owner.get('/admin/leads?form=sales')).statusCode, 400, 'an unknown form is a clear 400')

  const demo = (await leads(app, { email: 'demo@example.com' }))[0]
  const detail = await owner.get(`/admin/leads/${demo.id}`)
  t.match(detail.body, /<h1 class="leads-detail__title">demo@example\.com<\/h1>/)
  const saved = await owner.submit(`/admin/leads/${demo.id}`, { status: 'contacted', notes: 'Called on Monday.\r\nWants a trial.' })
  t.equal(saved.statusCode, 303)
  const [changed] = await leads(app, { id: demo.id })
  t.match(changed, { status: 'contacted', notes: 'Called on Monday.\nWants a trial.' })
  t.match((await owner.get(`/admin/leads/${demo.id}`)).body, /Lead saved\./)
  t.same(rows((await owner.get('/admin/leads?status=contacted')).body), ['demo@example.com'])
  t.same(rows((await owner.get('/admin/leads?status=new&form=demo')).body), [])
  const tooLong = await owner.submit(`/admin/leads/${demo.id}`, { status: 'closed', notes: 'n'.repeat(5001) })
  t.equal(tooLong.statusCode, 400)
  t.match(tooLong.body, /Please keep the notes under 5,000 characters\./)
  t.match(tooLong.body, /<option value="closed" selected>/, 'the choice made stays')
  t.equal((await leads(app, { id: demo.id }))[0].status, 'contacted', 'nothing half-saved')

  const removed = await owner.submit(`/admin/leads/${demo.id}`, {}, `/admin/leads/${demo.id}/delete`)
  t.equal(removed.headers.location, '/admin/leads')
  t.same(await leads(app, { id: demo.id }), [], 'deleted on request')
})

t.test('the CSV export has every lead of the filter, safe for spreadsheets', async (t) => {
  const { app, owner } = await buildForms(t)
  await leave(app, 'acme.localhost', 'contact', 'formula@example.com', [{ name: '=HYPERLINK("http://evil.example","x")' }, { message: 'line one\nline "two"' }])
  await leave(app, 'acme.localhost', 'demo', 'demo@example.com', [])
  const csv = await owner.get('/admin/leads/export.csv?form=contact')
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /^text\/csv; charset=utf-8/)
  t.match(csv.headers['content-disposition'], /^attachment; filename="leads-\d{4}-\d{2}-\d{2}\.csv"$/)
  const lines = csv.body.replace(/^\ufeff/, '').split('\r\n')
  t.equal(lines[0], '"Received (UTC)","Form","Status","Completed (UTC)","Email address","Name","Company","Company size","Role","How can we help?","Preferred time","Visitor time zone","Notes","Network"')
  t.match(csv.body, /"formula@example\.com","'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)"/, 'a formula is neutralised')
  t.match(csv.body, /"line one\nline ""two"""/)
  t.notMatch(csv.body, /demo@example\.com/, 'the filter applies')
  t.match(csv.body, /"198\.51\.100\.0\/24"/, 'only the network, never the address')
})

t.test('leads of the bare host are the platform’s: no instance sees them, and the platform sees no instance’s', async (t) => {
  const { app } = await buildForms(t, { KAIKU_FORMS_RECIPIENTS: 'hello@kaiku.example', KAIKU_FORMS_CONFIRMATION: 'false' })
  await addGlobex(app)
  await addMember(app, { email: 'gina@globex.com', name: 'Gina Globex', role: 'owner', password: 'ginas long passphrase' }, 'globex')
  await leave(app, 'localhost', 'contact', 'platform@example.com', [{}, { message: 'For Kaiku itself' }])
  await leave(app, 'acme.localhost', 'contact', 'acme@example.com', [])
  await leave(app, 'globex.localhost', 'contact', 'globex@example.com', [])

  const [platformLead] = await leads(app, { email: 'platform@example.com' })
  t.equal(platformLead.tenantId, 'platform')
  const acme = await signedIn(app, acmeOwner.email, acmeOwner.password)
  const gina = await signedIn(app, 'gina@globex.com', 'ginas long passphrase', 'globex.localhost')
  t.same(rows((await acme.get('/admin/leads')).body), ['acme@example.com'])
  t.same(rows((await gina.get('/admin/leads')).body), ['globex@example.com'])
  t.equal((await acme.get(`/admin/leads/${platformLead.id}`)).statusCode, 404, "a platform lead's page is not found on an instance")
  t.notMatch((await acme.get('/admin/leads/export.csv')).body, /platform@example|globex@example/)

  const anonymous = await client(app, 'localhost').get('/admin/leads')
  t.equal(anonymous.headers.location, '/operator/login?next=%2Fadmin%2Fleads', "the platform's inbox is the operators'")
  const operator = client(app, 'localhost')
  await operator.submit('/operator/login', { email: acmeOwner.email, password: acmeOwner.password })
  const platform = await operator.get('/admin/leads')
  t.equal(platform.statusCode, 200)
  t.same(rows(platform.body), ['platform@example.com'])
  t.match(platform.body, /platform&#x27;s own contact and demo forms/)
  const settings = await operator.get('/admin/leads/settings')
  t.match(settings.body, /hello@kaiku\.example/, 'the platform settings come from the configuration')
  t.equal((await operator.submit('/admin/leads/settings', { recipients: 'x@example.com' })).statusCode, 403, 'and are not changed here')

  const mail = await app.kaiku.orm.em.fork().find('MailRecord', {}) as { recipient: string }[]
  t.same(mail.map((m) => m.recipient), ['hello@kaiku.example'], 'platform leads go to KAIKU_FORMS_RECIPIENTS; no confirmation when switched off')
})

t.test('an instance chooses its recipients, confirmation, notice and retention', async (t) => {
  const { app, owner } = await buildForms(t)
  const bad = await owner.submit('/admin/leads/settings', { recipients: 'sales@acme.com\nnot-an-address', privacyNotice: 'x'.repeat(501), retentionDays: '0' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /These are not email addresses: not-an-address\./)
  t.match(bad.body, /Please keep this under 500 characters\./)
  t.match(bad.body, /Enter a number of days from 1 to 3650, or leave it empty\./)
  t.match(bad.body, /sales@acme\.com\nnot-an-address<\/textarea>/, 'what was typed stays')
  const good = await owner.submit('/admin/leads/settings', { recipients: 'Sales@Acme.com, team@acme.com', privacyNotice: 'Acme keeps your answers to reply, for <b>90</b> days.', retentionDays: '90' })
  t.equal(good.statusCode, 303)
  const page = await owner.get('/admin/leads/settings')
  t.match(page.body, /sales@acme\.com\nteam@acme\.com<\/textarea>/)
  t.notMatch(page.body, /name="confirmation" type="checkbox" checked/, 'the confirmation switched off')
  const form = await visitor(app).open('/contact')
  t.match(form.body, /Acme keeps your answers to reply, for &lt;b&gt;90&lt;\/b&gt; days\. <a href="\/privacy">/, 'the notice, as text, before the link')
})

t.test("an instance that named no recipients mails each lead to its owners and admins, and to no one else", async (t) => {
  const { app, owner } = await buildForms(t, { KAIKU_FORMS_RECIPIENTS: 'hello@kaiku.example' })
  await owner.submit('/admin/leads/settings', { recipients: '', confirmation: '' })
  t.match((await owner.get('/admin/leads/settings')).body, /Empty: the instance&#x27;s owners and admins\./, 'the form says so')
  await addMember(app, { email: 'adam@acme.com', name: 'Adam Admin', role: 'admin' })
  await addMember(app, { email: 'cora@acme.com', name: 'Cora Curator', role: 'curator' })
  await addMember(app, { email: 'mia@acme.com', name: 'Mia Member', role: 'member' })
  await addGlobex(app)
  await addMember(app, { email: 'gina@globex.com', name: 'Gina Globex', role: 'owner' }, 'globex')
  await leave(app, 'acme.localhost', 'contact', 'ada@example.com', [{ name: 'Ada' }, { message: 'Hello Acme' }])
  const recipients = async () => ((await app.kaiku.orm.em.fork().find('MailRecord', {}, { orderBy: { recipient: 'asc' } })) as { recipient: string }[]).map((m) => m.recipient)
  t.same(await recipients(), ['adam@acme.com', 'olivia@acme.com'], "the instance's owners and admins; not its curators and members, another instance's owner or the platform's address")

  await owner.submit('/admin/leads/settings', { recipients: 'sales@acme.com', confirmation: '' })
  await leave(app, 'acme.localhost', 'contact', 'bob@example.com', [{ name: 'Bob' }, { message: 'Hello again' }])
  t.same(await recipients(), ['adam@acme.com', 'olivia@acme.com', 'sales@acme.com'], 'named recipients replace them')
})

t.test('leads older than their scope keeps them are deleted by the daily job', async (t) => {
  const { app, owner } = await buildForms(t, { KAIKU_FORMS_RETENTION_DAYS: '30' })
  await owner.submit('/admin/leads/settings', { retentionDays: '7' })
  await addGlobex(app)
  await leave(app, 'acme.localhost', 'contact', 'acme-old@example.com', [])
  await leave(app, 'acme.localhost', 'contact', 'acme-new@example.com', [])
  await leave(app, 'globex.localhost', 'contact', 'globex-mid@example.com', [])
  await leave(app, 'localhost', 'contact', 'platform-old@example.com', [])
  const em = app.kaiku.orm.em.fork()
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 60 * 60_000)
  await em.nativeUpdate(FormLead, { email: 'acme-old@example.com' }, { createdAt: daysAgo(8) }, { filters: false })
  await em.nativeUpdate(FormLead, { email: 'acme-new@example.com' }, { createdAt: daysAgo(6) }, { filters: false })
  await em.nativeUpdate(FormLead, { email: 'globex-mid@example.com' }, { createdAt: daysAgo(20) }, { filters: false })
  await em.nativeUpdate(FormLead, { email: 'platform-old@example.com' }, { createdAt: daysAgo(31) }, { filters: false })

  const job = app.kaiku.jobs.queue.definitions.get('forms.retention')!.definition
  await app.kaiku.orm.em.fork().transactional((tx) => job.handler({}, { em: tx, job: { id: 'x', name: 'forms.retention', attempt: 1, maxAttempts: 1 }, log: app.log, ctx: app.kaiku.contexts.get('forms') }))
  t.same((await leads(app)).map((lead) => lead.email).sort(), ['acme-new@example.com', 'globex-mid@example.com'], "acme keeps 7 days, globex and the platform the default 30")
})
