import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { buildForms, headingOf, leads, progressOf, visitor } from './helpers.js'

t.test('the honeypot: a filled hidden field gets a thank-you, and nothing is kept', async (t) => {
  const { app } = await buildForms(t)
  const bot = visitor(app)
  const page = await bot.open('/contact')
  t.match(page.body, /<div class="visually-hidden" aria-hidden="true">\s*<label for="website">Leave this field empty<\/label>\s*<input id="website" name="website" type="text" value="" tabindex="-1" autocomplete="off">/, 'hidden from people, their screen readers and their tab key')
  const answer = await bot.answer('/contact', { email: 'bot@spam.example', website: 'http://spam.example', go: 'next' })
  t.equal(answer.statusCode, 303)
  t.equal(answer.headers.location, '/contact/thanks')
  t.same(await leads(app), [], 'no lead')

  const human = visitor(app)
  await human.open('/contact')
  await human.answer('/contact', { email: 'human@example.com', go: 'next' })
  await human.answer('/contact', { name: 'Hu Man', website: 'http://spam.example', go: 'next' })
  const [lead] = await leads(app)
  t.match(lead, { email: 'human@example.com', name: null, step: 1 }, 'a later step with the field filled changes nothing')
})

t.test('a step sent faster than a person could comes back with its answers, and writes nothing', async (t) => {
  const { app } = await buildForms(t, { KAIKU_FORMS_MIN_SECONDS: '60' })
  const quick = visitor(app)
  const page = await quick.open('/contact')
  t.match(page.body, /data-min-ms="60000"/, 'the enhancement script knows how long to hold a step')
  const answer = await quick.answer('/contact', { email: 'quick@example.com', go: 'next' })
  t.equal(answer.statusCode, 400)
  t.equal(headingOf(answer), 'Hi!')
  t.match(answer.body, /That was quick! Please check your answer and send it again\./)
  t.match(answer.body, /name="email" type="email" value="quick@example\.com"/)
  t.same(await leads(app), [])
})

t.test('each address may send so many steps an hour; another address is not held back', async (t) => {
  const { app } = await buildForms(t, { KAIKU_FORMS_SUBMISSIONS_PER_HOUR: '3' })
  const busy = visitor(app, 'acme.localhost', '203.0.113.9')
  await busy.open('/contact')
  for (let i = 0; i < 3; i++) t.equal((await busy.answer('/contact', { email: `try${i}@example.com`, go: 'next' }, progressOf(await busy.open('/contact')))).statusCode, 200)
  await busy.open('/contact')
  const refused = await busy.answer('/contact', { email: 'fourth@example.com', go: 'next' })
  t.equal(refused.statusCode, 429)
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  t.match(refused.body, /Too many forms were sent from your network just now\./)
  t.match(refused.body, /value="fourth@example\.com"/, 'the answer is still in the field')
  t.equal((await leads(app)).length, 3)
  const other = visitor(app, 'acme.localhost', '192.0.2.44')
  await other.open('/contact')
  t.equal((await other.answer('/contact', { email: 'other@example.com', go: 'next' })).statusCode, 200)
  t.equal((await leads(app)).length, 4)
  const counters: { key: string }[] = await app.kaiku.orm.em.fork().getConnection().execute('select key from kaiku_rate')
  t.notOk(counters.some((row) => row.key.includes('203.0.113')), 'the counters do not keep the address')
})

t.test('the same step sent twice (a double click, a replay) makes one lead and one set of mails', async (t) => {
  const { app, owner } = await buildForms(t)
  await owner.submit('/admin/leads/settings', { recipients: 'sales@acme.com', confirmation: 'on' })
  const eager = visitor(app)
  await eager.open('/contact')
  const first = progressOf(eager.page)
  const [a, b] = await Promise.all([
    eager.answer('/contact', { email: 'eager@example.com', go: 'next' }, first),
    eager.answer('/contact', { email: 'eager@example.com', go: 'next' }, first)
  ])
  t.same([a.statusCode, b.statusCode], [200, 200])
  t.equal((await leads(app)).length, 1, 'one lead from a double click on the first step')
  await eager.answer('/contact', { email: 'eager@example.com', go: 'next' }, first)
  t.equal((await leads(app)).length, 1, 'nor from a replay later')

  await eager.answer('/contact', { name: 'Eager', go: 'next' }, progressOf(a))
  const last = progressOf(eager.page)
  const [c, d] = await Promise.all([
    eager.answer('/contact', { message: 'Hello!', go: 'next' }, last),
    eager.answer('/contact', { message: 'Hello!', go: 'next' }, last)
  ])
  t.same([c.headers.location, d.headers.location], ['/contact/thanks', '/contact/thanks'])
  const replay = await eager.answer('/contact', { message: 'Hello again!', go: 'next' }, last)
  t.equal(replay.headers.location, '/contact/thanks', 'a replay of a finished form only thanks')
  const all = await leads(app)
  t.equal(all.length, 1)
  t.equal(all[0].message, 'Hello!', 'a finished lead is not changed by a replay')
  t.equal(await app.kaiku.orm.em.fork().count(MailRecord), 2, 'one mail to the team, one confirmation')
})

t.test('a post from another site is refused; a form is bound to the host that served it', async (t) => {
  const { app } = await buildForms(t)
  await app.tenancy.create(app.kaiku.orm.em.fork(), { slug: 'globex', name: 'Globex', domains: ['globex.com'] })
  const token = progressOf(await visitor(app).open('/contact'))
  const crossSite = await app.inject({ method: 'POST', url: '/contact', headers: { host: 'acme.localhost', origin: 'https://evil.example' }, payload: { progress: token, email: 'x@example.com' } })
  t.equal(crossSite.statusCode, 403)
  const sameSite = await app.inject({ method: 'POST', url: '/contact', headers: { host: 'acme.localhost', origin: 'http://acme.localhost' }, payload: { progress: token, email: 'x@example.com' } })
  t.equal(sameSite.statusCode, 200)
  const elsewhere = visitor(app, 'globex.localhost')
  await elsewhere.open('/contact')
  const moved = await elsewhere.answer('/contact', { email: 'y@example.com', go: 'next' }, token)
  t.match(moved.body, /starts again/, "acme's token does not work on globex")
  t.same((await leads(app)).map((lead) => lead.email), ['x@example.com'])
})
