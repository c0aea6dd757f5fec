import t from 'tap'
import { runCli } from '../../../core/cli.js'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { build, fixturePlugin, html, testEnv } from '../../helper.js'

type App = Awaited<ReturnType<typeof build>>
const plugins = ['tenancy', fixturePlugin()]
const page = (app: App, host: string, url = '/fixture') => app.inject({ url, headers: { ...html, host } })
const create = (app: App, slug: string, domains: string[], extra: object = {}) =>
  app.tenancy.create(app.kaiku.orm.em.fork(), { slug, name: slug.toUpperCase(), domains, ...extra })

t.test('instances are created with valid, unique slugs and domains', async (t) => {
  const app = await build(t, { plugins })
  const acme = await create(app, 'acme', ['Acme.com', 'acme.fi', 'acme.com'])
  t.same(acme.domains, ['acme.com', 'acme.fi'])
  t.equal(acme.status, 'active')
  await t.rejects(create(app, 'acme', ['other.com']), /slug: 'acme' is already taken/)
  await t.rejects(create(app, 'other', ['ACME.com']), /domain: acme.com already belongs to an instance/)
  await t.rejects(create(app, 'www', ['www.example']), /'www' is reserved/)
  await t.rejects(create(app, 'Bad_Slug', ['x.example']), /slug: use 1 to 40/)
  await t.rejects(create(app, 'nodomain', []), /at least one email domain/)
  await t.rejects(create(app, 'baddomain', ['not a domain']), /is not a valid domain/)
  await t.rejects(create(app, 'webmail', ['webmail.example', 'GMail.com']), /domain: gmail.com is a public mail service/)
  await t.rejects(app.tenancy.addDomain(app.kaiku.orm.em.fork(), 'acme', 'outlook.com'), /public mail service/, 'nor can an instance add one later')
  t.equal(await app.tenancy.count(app.kaiku.orm.em.fork()), 1, 'nothing half-written by the refusals')
  t.same((await app.tenancy.bySlug(app.kaiku.orm.em.fork(), 'acme'))!.domains, ['acme.com', 'acme.fi'])
})

t.test('the Host picks the instance; unknown hosts are 404 and never fall back', async (t) => {
  const app = await build(t, { plugins })
  await create(app, 'acme', ['acme.com'])
  const single = await page(app, 'localhost:3000')
  t.equal(single.statusCode, 200, 'with one instance, the bare host serves it')
  t.match(single.body, /<span class="brand__name">ACME<\/span>/, 'branded with the instance name')
  t.equal((await page(app, 'acme.localhost:3000')).statusCode, 200)
  t.equal((await page(app, 'ACME.LOCALHOST')).statusCode, 200, 'host names are case-insensitive')
  for (const host of ['nope.localhost', 'evil.example', 'acme.localhost.evil.example', 'x.acme.localhost']) {
    const response = await page(app, host)
    t.equal(response.statusCode, 404, `${host} is unknown`)
    t.notMatch(response.body, /ACME/, 'and shows nothing of acme')
  }

  await create(app, 'globex', ['globex.com'])
  app.tenancyCache.clear()
  const bare = await page(app, 'localhost')
  t.notMatch(bare.body, /ACME|GLOBEX/, 'with two instances and no default, the bare host is no instance')
  t.match((await page(app, 'globex.localhost')).body, /<span class="brand__name">GLOBEX<\/span>/)
})

t.test('KAIKU_DEFAULT_TENANT picks the instance of the bare host', async (t) => {
  const app = await build(t, { plugins, env: { KAIKU_DEFAULT_TENANT: 'globex' } })
  await create(app, 'acme', ['acme.com'])
  await create(app, 'globex', ['globex.com'])
  t.match((await page(app, 'localhost')).body, /GLOBEX/)
})

t.test('a suspended instance shows a notice on every page', async (t) => {
  const app = await build(t, { plugins })
  await create(app, 'acme', ['acme.com'])
  await app.tenancy.setStatus(app.kaiku.orm.em.fork(), 'acme', 'suspended')
  const response = await page(app, 'acme.localhost')
  t.equal(response.statusCode, 403)
  t.match(response.body, /This company instance is suspended/)
  t.equal((await app.inject({ url: '/healthz', headers: { host: 'acme.localhost' } })).statusCode, 200, 'probes still answer')
})

t.test('per-tenant schedules run once per active instance, at its own local time', async (t) => {
  const app = await build(t, { plugins })
  const helsinki = await create(app, 'acme', ['acme.com'], { timeZone: 'Europe/Helsinki' })
  const newYork = await create(app, 'globex', ['globex.com'], { timeZone: 'America/New_York' })
  await create(app, 'initech', ['initech.com'])
  await app.tenancy.setStatus(app.kaiku.orm.em.fork(), 'initech', 'suspended')
  const { scheduler } = app.kaiku.jobs
  // A per-tenant schedule as a feature plugin would declare it: daily at 07:00 local time.
  ;(scheduler as unknown as { options: { schedules: object[] } }).options.schedules.push({
    name: 'fixture.morning',
    job: 'fixture.record',
    spec: { daily: '07:00' },
    payload: { text: 'morning' },
    perTenant: true
  })
  await scheduler.tick(new Date('2026-11-29T00:00:00Z'))
  await scheduler.tick(new Date('2026-11-29T05:00:30Z'))
  const mornings = async () =>
    (await app.kaiku.orm.em.fork().find(JobRecord, { name: 'fixture.record' }, { orderBy: { runAt: 'asc' } }))
      .map((job) => JSON.parse(job.payload))
      .filter((payload) => payload.text === 'morning')
  t.same(await mornings(), [{ text: 'morning', scope: helsinki.id, scheduledFor: '2026-11-29T05:00:00.000Z' }])
  await scheduler.tick(new Date('2026-11-29T12:00:30Z'))
  t.same((await mornings()).map((payload) => payload.scope), [helsinki.id, newYork.id], 'New York at its 07:00; the suspended instance not at all')
})

t.test('mail to an instance wears its name and colour', async (t) => {
  const app = await build(t, { plugins })
  const acme = await create(app, 'acme', ['acme.com'])
  const rendered = await app.kaiku.mailer.render({ to: 'ada@acme.com', template: 'fixture/welcome', data: { name: 'Ada' }, tenant: acme.id })
  t.equal(rendered.subject, 'Welcome to ACME, Ada')
})

t.test('kaiku tenant create, list, suspend and domain', async (t) => {
  const { env, dir } = await testEnv(t, { plugins: ['tenancy'] })
  const out: string[] = []
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), env, cwd: dir }
  t.equal(await runCli(['tenant', 'create', '--slug', 'acme', '--name', 'Acme Oy', '--domain', 'acme.com', '--domain', 'acme.fi'], io), 0)
  t.equal(await runCli(['tenant', 'domain', 'add', 'acme', 'acme.se'], io), 0)
  t.equal(await runCli(['tenant', 'suspend', 'acme'], io), 0)
  out.length = 0
  t.equal(await runCli(['tenant', 'list'], io), 0)
  t.same(out, ['acme  suspended  Acme Oy  (acme.com, acme.fi, acme.se)'])
  out.length = 0
  t.equal(await runCli(['tenant', 'create', '--slug', 'acme', '--name', 'Again', '--domain', 'x.com'], io), 1)
  t.match(out.join('\n'), /slug: 'acme' is already taken/)
})

t.test("pages wear the instance's brand colour, through a nonce'd style and nothing inline", async (t) => {
  const app = await build(t, { plugins })
  await create(app, 'acme', ['acme.com'])
  const response = await page(app, 'acme.localhost')
  const nonce = /style-src 'self' 'nonce-([^']+)'/.exec(response.headers['content-security-policy'] as string)?.[1]
  t.ok(nonce)
  t.match(response.body, new RegExp(`<style nonce="${nonce!.replace(/[+/=]/g, (c) => `\\${c}`)}">:root \\{ --brand: #0f766e;`))
  t.notMatch(response.body, /style="/, 'no inline style attributes')
})
