import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { buildAuth, client, setUp, type App } from './helpers.js'

const on = { env: { KAIKU_SELF_SERVE_INSTANCES: 'true' } }
const founder = { name: 'Gina Globex', email: 'gina@globex.com', password: 'a long founding passphrase', company: 'Globex', slug: 'globex' }
const instances = async (app: App) => (await app.tenancy.list(app.kaiku.orm.em.fork())).map((tenant) => tenant.slug)
const allMembers = (app: App) => app.kaiku.orm.em.fork().find(Member, {}, { filters: false })

t.test('self-service instances are off by default', async (t) => {
  const app = await buildAuth(t)
  await setUp(app)
  t.equal((await client(app, 'localhost').get('/start')).statusCode, 404)
})

t.test('when the operator allows it, a new work domain starts its own instance, owned once verified', async (t) => {
  const app = await buildAuth(t, on)
  await setUp(app)
  const visitor = client(app, 'localhost')
  const page = await visitor.get('/start')
  t.equal(page.statusCode, 200)
  const sent = await visitor.submit('/start', founder)
  t.equal(sent.statusCode, 200)
  t.match(sent.body, /We sent a message to gina@globex\.com/)
  t.same(await instances(app), ['acme', 'globex'])
  const owner = (await allMembers(app)).find((m) => m.email === 'gina@globex.com')!
  t.match(owner, { role: 'owner', status: 'unverified', passwordHash: null })

  const [mail] = await app.kaiku.orm.em.fork().find(MailRecord, { recipient: 'gina@globex.com' })
  const link = /http:\/\/globex\.localhost:3000(\/verify\/[A-Za-z0-9_-]{43})/.exec(mail.text)?.[1]
  t.ok(link, 'the link points at the new instance')
  const globex = client(app, 'globex.localhost')
  t.equal((await globex.submit(link!, {})).statusCode, 400, 'confirming asks for the password chosen at the start')
  t.equal((await globex.submit(link!, { password: founder.password })).statusCode, 303, 'the link verifies')
  const verified = (await allMembers(app)).find((m) => m.email === 'gina@globex.com')!
  t.equal(verified.status, 'active')
  const login = await client(app, 'globex.localhost').submit('/login', { email: founder.email, password: founder.password })
  t.equal(login.statusCode, 303, 'and the chosen password works from then on')
})

t.test('refused: a domain that has an instance, public mail, a taken address; nothing is created', async (t) => {
  const app = await buildAuth(t, on)
  await setUp(app)
  const visitor = client(app, 'localhost')
  const taken = await visitor.submit('/start', { ...founder, email: 'mallory@acme.com' })
  t.equal(taken.statusCode, 400)
  t.match(taken.body, /Your company already has an instance here/)
  const free = await visitor.submit('/start', { ...founder, email: 'gina@gmail.com' })
  t.match(free.body, /Use your work address/)
  const slug = await visitor.submit('/start', { ...founder, slug: 'acme' })
  t.match(slug.body, /That address is taken/)
  const weak = await visitor.submit('/start', { ...founder, password: 'password123' })
  t.match(weak.body, /too common/)
  t.same(await instances(app), ['acme'])
  t.equal((await allMembers(app)).length, 1, 'only the first owner')
  t.equal(await app.kaiku.orm.em.fork().count(MailRecord, { recipient: { $like: '%globex%' } }), 0, 'and no mail')
  t.equal((await client(app, 'acme.localhost').get('/start')).statusCode, 404, 'only on the bare host')
})
