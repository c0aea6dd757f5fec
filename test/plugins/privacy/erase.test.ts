import t from 'tap'
import { client } from '../auth/helpers.js'
import { send } from '../feeds/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { rows } from '../sharing/helpers.js'
import { acmeWithActivity, allPlugins, buildAll, memberId, selfErase } from './helpers.js'
import { Member } from '../../../plugins/auth/entities/member.entity.js'
import { eraseMember, LastOwnerError } from '../../../plugins/privacy/services/member-data.js'
import { eraseCoreAndPrivacy } from '../../../plugins/privacy/services/core-data.js'

/** Every row of every table the ORM knows, as text per column: the walk skips no entity. */
async function walk(app: Awaited<ReturnType<typeof buildAll>>, needles: string[]) {
  const em = app.kaiku.orm.em.fork()
  const tables = [...new Set(Object.values(app.kaiku.orm.getMetadata().getAll()).filter((meta) => meta.tableName && !meta.abstract && !meta.virtual && !meta.embeddable).map((meta) => meta.tableName))]
  const found: string[] = []
  for (const table of tables) {
    const rowsOf = await em.getConnection().execute(`select * from ${app.kaiku.dialect === 'postgresql' ? `"${table}"` : `\`${table}\``}`)
    for (const row of rowsOf) {
      for (const [column, value] of Object.entries(row)) {
        const text = (Buffer.isBuffer(value) ? value.toString('latin1') : value instanceof Date ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value ?? '')).toLowerCase()
        for (const needle of needles) if (text.includes(needle.toLowerCase())) found.push(`${table}.${column} holds ${needle}`)
      }
    }
  }
  return { tables, found }
}

t.test('a member erases herself: nothing of her name, address or id is left anywhere; counts and others stay', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const globex = await globexWithPost(app)
  const sharesBefore = (await rows.shares(app)).length
  const clicksBefore = (await rows.clicks(app)).length
  // Mia also asked for an export and had it prepared: it must go too.
  await send(acme.member, '/me/export', '/me/export', {})
  await app.kaiku.jobs.worker.runDue()

  const { page, confirmed } = await selfErase(app, acme.member)
  t.equal(page.statusCode, 200, 'the link from the mail opens the confirmation')
  t.equal(confirmed.statusCode, 303)
  t.equal(confirmed.headers.location, '/privacy/erased')
  const done = await acme.member.get('/privacy/erased')
  t.equal(done.statusCode, 200)
  t.match(done.body, '<h1>Your data is erased</h1>')
  t.notMatch(done.body, 'Your data has been erased', 'the page does not say its heading twice')
  t.match(done.body, 'your shares and the clicks they brought stay in your company’s totals, without your name', 'it says what was kept, and how')
  t.match(done.body, 'Your comments now show as from a former member')

  const { tables, found } = await walk(app, [acme.mia, 'mia@acme.com', 'Mia Member'])
  t.ok(tables.length >= 20, `walked ${tables.length} tables of plugins ${allPlugins().join(', ')} and core`)
  t.same(found, [], 'no trace of her anywhere')

  t.equal((await rows.shares(app)).length, sharesBefore, 'shares kept as counts')
  t.equal((await rows.clicks(app)).length, clicksBefore, 'clicks kept as counts')
  const post = await acme.owner.get(`/posts/${acme.postId}`)
  t.match(post.body, 'Great launch from Mia', 'her comment stays')
  t.match(post.body, 'Former member', 'shown as from a former member')
  const link = await app.inject({ url: `/s/${acme.link.code}`, headers: { host: 'acme.localhost' } })
  t.equal(link.statusCode, 302, 'her link out in the world still leads to the post')
  t.not((await rows.clicks(app)).at(-1)?.memberId, acme.mia, 'and a new click is not attributed to her')

  const stale = await acme.member.get('/feed')
  t.not(stale.statusCode, 200, 'her session is gone')
  t.equal(await memberId(app, 'olivia@acme.com').then(Boolean), true, 'the owner is untouched')
  t.ok(await memberId(app, 'gwen@globex.com'), 'another instance is untouched')
  t.equal((await globex.member.get('/feed')).statusCode, 200, "globex's member is still signed in")
})

t.test('an admin erases a member; the last owner cannot be erased; anonymising keeps the account', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const olivia = await memberId(app, 'olivia@acme.com')
  const carl = await memberId(app, 'carl@acme.com')

  const anonymised = await send(acme.owner, `/admin/privacy/members/${acme.mia}`, `/admin/privacy/members/${acme.mia}/anonymise`, {})
  t.equal(anonymised.statusCode, 303)
  t.ok(await memberId(app, 'mia@acme.com'), 'the account stays')
  t.same((await rows.clicks(app)).map((c) => c.memberId), [''], 'clicks no longer name her')
  t.same((await rows.shares(app)).map((s) => s.memberId), [''], 'shares no longer name her')
  t.not((await rows.links(app))[0].memberId, acme.mia, 'her link is no longer hers')
  t.equal((await acme.member.get('/feed')).statusCode, 200, 'she is still signed in')

  // The owner erasing themselves through the admin page is refused; Carl (curator) cannot act at all.
  const self = await send(acme.owner, '/admin/privacy', `/admin/privacy/members/${olivia}/erase`, { confirm: 'yes' })
  t.equal(self.statusCode, 400)
  const curator = await acme.curator.get(`/admin/privacy/members/${acme.mia}`)
  t.equal(curator.statusCode, 403)

  const unconfirmed = await send(acme.owner, `/admin/privacy/members/${carl}`, `/admin/privacy/members/${carl}/erase`, {})
  t.equal(unconfirmed.statusCode, 400, 'erasure needs the box ticked')
  t.ok(await memberId(app, 'carl@acme.com'), 'nothing erased')
  const erased = await send(acme.owner, `/admin/privacy/members/${carl}`, `/admin/privacy/members/${carl}/erase`, { confirm: 'yes' })
  t.equal(erased.statusCode, 303)
  t.notOk(await memberId(app, 'carl@acme.com'), 'Carl is erased')

  // Olivia is the only owner: her own erasure is refused with the way out.
  const owner = client(app, 'acme.localhost')
  owner.cookie = acme.owner.cookie
  const asked = await send(owner, '/me/delete', '/me/delete', {})
  t.equal(asked.statusCode, 303)
  const [mail] = await app.kaiku.orm.em.fork().getConnection().execute("select text from kaiku_mail where recipient = 'olivia@acme.com' and template = 'privacy/erase-confirm'")
  const path = /\/me\/delete\/[A-Za-z0-9._-]+/.exec(mail.text)![0]
  const refused = await send(owner, path, path, {})
  t.equal(refused.statusCode, 409)
  t.match(refused.body, 'last owner')
  t.match(refused.body, 'Make another member an owner first')
  t.ok(await memberId(app, 'olivia@acme.com'), 'the owner stays')

  // A confirmation link is bound to its member: Mia cannot use Olivia's.
  const stolen = await acme.member.get(path)
  t.equal(stolen.statusCode, 400)
})

t.test('two owners erased at the same moment: one erasure goes through, the other is refused as the last owner', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const olivia = await memberId(app, 'olivia@acme.com')
  const em = app.kaiku.orm.em.fork()
  await em.nativeUpdate(Member, { id: acme.mia }, { role: 'owner' }, { filters: false })
  const ctx = app.kaiku.contexts.get('privacy') as Parameters<typeof eraseMember>[1]
  const erase = (id: string) => {
    const scoped = app.kaiku.orm.em.fork()
    scoped.setFilterParams('tenant', { tenantId: acme.tenantId })
    return eraseMember(app, ctx, scoped, acme.tenantId, id, 'erase')
  }
  const outcomes = await Promise.allSettled([erase(olivia), erase(acme.mia)])
  const refused = outcomes.filter((outcome) => outcome.status === 'rejected')
  t.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1, 'one erasure went through')
  t.equal(refused.length, 1, 'the other was refused')
  t.ok(refused.every((outcome) => (outcome as PromiseRejectedResult).reason instanceof LastOwnerError), 'as the last owner')
  const owners = await app.kaiku.orm.em.fork().find(Member, { tenantId: acme.tenantId, role: 'owner', status: 'active' }, { filters: false })
  t.equal(owners.length, 1, 'the instance keeps an owner')
})

t.test('what reaches the background writers while an erasure runs is cleared once it commits', async (t) => {
  const app = await buildAll(t)
  const acme = await acmeWithActivity(app)
  const ctx = app.kaiku.contexts.get('privacy') as Parameters<typeof eraseMember>[1]
  const inFlight: Promise<unknown>[] = []
  // Runs inside the erasure's transaction, after every plugin's own handler: an old mail of hers is
  // opened, her browser loads a page and someone follows her link, all at that moment. Their rows
  // join batches that are stored after the plugins cleared her rows (SQLite: after the commit, since
  // the transaction holds the connection; PostgreSQL: at once, beside it).
  app.kaiku.bus.onFilter(
    'privacy.erase',
    async (parts) => {
      inFlight.push(app.inject({ url: app.analytics.beaconUrl({ tenantId: acme.tenantId, kind: 'email_open', subject: 'digest:old', memberId: acme.mia }) }))
      inFlight.push(acme.member.get('/feed'))
      inFlight.push(app.inject({ url: `/s/${acme.link.code}`, headers: { host: 'acme.localhost' } }))
      await Promise.race([Promise.all(inFlight), new Promise((resolve) => setTimeout(resolve, 300))])
      await new Promise((resolve) => setTimeout(resolve, 50))
      return parts
    },
    'test'
  )
  const scoped = app.kaiku.orm.em.fork()
  scoped.setFilterParams('tenant', { tenantId: acme.tenantId })
  await eraseMember(app, ctx, scoped, acme.tenantId, acme.mia, 'erase')
  const answers = (await Promise.all(inFlight)) as { statusCode: number }[]
  t.equal(answers[0].statusCode, 200, 'the beacon answers its GIF')
  t.equal(answers[2].statusCode, 302, 'her link still leads to the post')
  await app.kaiku.bus.idle()

  const { found } = await walk(app, [acme.mia])
  t.same(found, [], 'her id is nowhere, not even in rows stored after the erasure')
  const [beacon] = await app.kaiku.orm.em.fork().getConnection().execute("select member_id from analytics_event where subject = 'digest:old'")
  t.ok(beacon, 'the open is still counted')
})

t.test("erasing first_last@ leaves first.last@'s mail, jobs and rate counters alone ('_' is no wildcard here)", async (t) => {
  const app = await buildAll(t)
  const em = app.kaiku.orm.em.fork()
  const now = new Date()
  const job = (id: string, to: string) => em.create('JobRecord', { id, name: 'core.mail', payload: JSON.stringify({ to }), key: null, status: 'queued', attempts: 0, maxAttempts: 5, runAt: now, lockedBy: null, lockedUntil: null, lastError: null, createdAt: now, updatedAt: now, finishedAt: null } as never)
  const mail = (id: string, to: string) => em.create('MailRecord', { id, key: id, messageId: id, template: 'test', recipient: 'someone@acme.com', sender: 'kaiku@acme.com', subject: `About ${to}`, html: to, text: to, headers: '', attachments: null, sentFor: null, status: 'sent', attempts: 1, lastError: null, createdAt: now, sentAt: now } as never)
  const counter = (key: string) => em.create('RateCounter', { key, count: 1, resetAt: new Date(now.getTime() + 60_000) } as never)
  job(crypto.randomUUID(), 'first_last@acme.com')
  job(crypto.randomUUID(), 'first.last@acme.com')
  mail(crypto.randomUUID(), 'first_last@acme.com')
  mail(crypto.randomUUID(), 'first.last@acme.com')
  counter('login:first_last@acme.com')
  counter('login:first.last@acme.com')
  await em.flush()

  const tx = app.kaiku.orm.em.fork()
  tx.setFilterParams('tenant', { tenantId: crypto.randomUUID() })
  const parts = await eraseCoreAndPrivacy([], { em: tx, memberId: crypto.randomUUID(), email: 'First_Last@acme.com', mode: 'erase' } as never)
  t.match(parts.find((part) => part.category === 'mail'), { affected: 3 }, 'one mail scrubbed, one job and one counter deleted')
  const left = app.kaiku.orm.em.fork()
  const text = async (entity: string, field: string) => ((await left.find(entity, {} as never)) as Record<string, unknown>[]).map((row) => String(row[field])).sort()
  t.same(await text('JobRecord', 'payload'), ['{"to":"first.last@acme.com"}'], "her job went, his stayed")
  t.same(await text('RateCounter', 'key'), ['login:first.last@acme.com'])
  t.same(await text('MailRecord', 'text'), ['[former member]', 'first.last@acme.com'], 'only her address taken out')
})
