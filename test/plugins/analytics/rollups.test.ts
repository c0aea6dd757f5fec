import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import t from 'tap'
import { eraseAnalytics } from '../../../plugins/analytics/privacy.js'
import { eraseAuth } from '../../../plugins/auth/privacy.js'
import { rollupRange } from '../../../plugins/analytics/services/rollup.js'
import { onPostgres } from '../../helper.js'
import { Click, Share } from '../../../plugins/sharing/entities/sharing.entity.js'
import { acme } from '../feeds/helpers.js'
import { globexWithPost } from '../sharing/globex.js'
import { buildAnalytics, rng, stored, summaryCheck, tenantIdOf } from './helpers.js'

const START = Date.parse('2026-03-01T00:00:00Z')
const DAY = 86_400_000

t.test('rollups equal a direct count over raw events, for random event sets (several seeded rounds)', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  await globexWithPost(app)
  const tenants = [await tenantIdOf(app, 'acme'), await tenantIdOf(app, 'globex')]
  app.analytics.defineActivity({ type: 'poll.answered', label: 'Poll answered', points: 2 })
  const posts = [randomUUID(), randomUUID(), randomUUID()]
  // Real members of each instance: counters of members who no longer exist count for nobody.
  const people: { tenant_id: string; id: string }[] = await app.kaiku.orm.em.fork().getConnection().execute('select tenant_id, id from auth_member')
  const membersOf = (tenantId: string): string[] => people.filter((row) => row.tenant_id === tenantId).map((row) => row.id)
  const networks = ['linkedin', 'x', 'mastodon']
  const kinds = ['email_open', 'page_view', 'member_joined', 'suggestion_approved', 'poll.answered'] as const
  const expected = new Map<string, number>()
  const uniques = new Map<string, Set<string>>()
  const bump = (key: string, by = 1) => expected.set(key, (expected.get(key) ?? 0) + by)
  const dayOf = (at: Date) => at.toISOString().slice(0, 10)

  for (const seed of [1, 2, 3, 4]) {
    const random = rng(seed)
    const em = app.kaiku.orm.em.fork()
    const clicks = []
    const shares = []
    for (let i = 0; i < 150 + random.int(150); i++) {
      // Times spread over 6 days, some on the exact edge of a day.
      const at = new Date(START + random.int(6) * DAY + (random.next() < 0.1 ? 0 : random.int(DAY)))
      const tenantId = random.pick(tenants)
      const postId = random.pick(posts)
      const memberId = random.pick(membersOf(tenantId))
      const network = random.pick(networks)
      const group = `${tenantId}|${dayOf(at)}|${postId}|${memberId}|${network}`
      const what = random.next()
      if (what < 0.45) {
        const bot = random.next() < 0.15
        const visitorKey = `v${random.int(12)}`
        clicks.push({ id: randomUUID(), tenantId, linkId: randomUUID(), postId, memberId, network, at, ipNet: '203.0.113.0/24', agent: bot ? 'bot' : 'desktop', referrerHost: null, visitorKey, bot })
        if (bot) bump(`${group}|bot_click`)
        else {
          bump(`${group}|click`)
          const set = uniques.get(group) ?? new Set()
          set.add(visitorKey)
          uniques.set(group, set)
        }
      } else if (what < 0.6) {
        shares.push({ id: randomUUID(), tenantId, postId, memberId, network, linkId: randomUUID(), text: 'hi', createdAt: at })
        bump(`${group}|share`)
      } else {
        const type = random.pick(kinds)
        const withPost = random.next() < 0.5
        const withMember = random.next() < 0.7
        const withNetwork = random.next() < 0.3
        await app.analytics.record(em, { tenantId, type, at, postId: withPost ? postId : null, memberId: withMember ? memberId : null, network: withNetwork ? network : null })
        bump(`${tenantId}|${dayOf(at)}|${withPost ? postId : ''}|${withMember ? memberId : ''}|${withNetwork ? network : ''}|${type}`)
      }
    }
    if (clicks.length) await em.insertMany(Click, clicks)
    if (shares.length) await em.insertMany(Share, shares)
    for (const [group, set] of uniques) expected.set(`${group}|unique_click`, set.size)

    await app.analytics.rollup(undefined, { from: '2026-03-01', to: '2026-03-07' })
    const actual = new Map((await stored.daily(app)).map((row) => [`${row.tenantId}|${row.day}|${row.postId}|${row.memberId}|${row.network}|${row.event}`, row.count]))
    t.same(Object.fromEntries([...actual].sort()), Object.fromEntries([...expected].sort()), `round ${seed}: every counter equals the direct count`)
    for (const [table, { stored, expected }] of Object.entries(await summaryCheck(app))) {
      t.same(stored, expected, `round ${seed}: ${table} adds up the daily counters`)
      t.ok(stored.length > 0, `round ${seed}: ${table} has rows`)
    }
  }

  // A narrower range touches only its own days, and a tenant's rollup only its own rows.
  const before = await stored.daily(app)
  await app.analytics.rollup(undefined, { from: '2026-03-02', to: '2026-03-03', tenantId: tenants[0] })
  const after = await stored.daily(app)
  t.same(
    after.map((row) => [row.tenantId, row.day, row.postId, row.memberId, row.network, row.event, row.count]).sort(),
    before.map((row) => [row.tenantId, row.day, row.postId, row.memberId, row.network, row.event, row.count]).sort(),
    'recomputing a day gives the same counters'
  )
  const rows = await stored.daily(app)
  t.ok(rows.every((row) => row.day >= '2026-03-01' && row.day < '2026-03-07'))
  for (const [table, { stored, expected }] of Object.entries(await summaryCheck(app))) t.same(stored, expected, `${table} still adds up after one instance's day is rolled up again`)
})

t.test('the frequent job rolls up yesterday and today, and record() refuses undeclared activities', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const em = app.kaiku.orm.em.fork()
  await app.analytics.record(em, { tenantId, type: 'email_open', subject: 'digest' })
  await t.rejects(app.analytics.record(em, { tenantId, type: 'poll.answered' }), /unknown activity/)
  app.analytics.defineActivity({ type: 'poll.answered', label: 'Poll answered', points: 2 })
  t.throws(() => app.analytics.defineActivity({ type: 'poll.answered', label: 'again' }), /already declared/)
  t.throws(() => app.analytics.defineActivity({ type: 'Bad Type', label: 'x' }), /must look like/)
  await app.analytics.record(em, { tenantId, type: 'poll.answered', memberId: randomUUID() })
  t.match(app.analytics.activities(), [{ type: 'share', points: 10, builtIn: true }], 'built-in first')
  t.ok(app.analytics.activities().some((a) => a.type === 'poll.answered' && a.points === 2 && !a.builtIn))
  await app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'analytics.rollup', {})
  await app.kaiku.jobs.worker.runDue()
  const today = new Date().toISOString().slice(0, 10)
  const daily = (await stored.daily(app)).filter((row) => row.day === today)
  t.ok(daily.some((row) => row.event === 'email_open' && row.count === 1))
  t.ok(daily.some((row) => row.event === 'poll.answered' && row.count === 1), 'custom activities are counted')
})

t.test('before each rollup, recent rows that name a member who no longer exists lose her (an old mail opened after her erasure)', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const [mia] = await app.kaiku.orm.em.fork().getConnection().execute<{ id: string }[]>("select id from auth_member where email = 'mia@acme.com'")
  const gone = randomUUID()
  for (const memberId of [mia.id, gone]) {
    await app.inject({ url: app.analytics.beaconUrl({ tenantId, kind: 'email_open', subject: 'digest:old', memberId }), headers: { host: 'acme.localhost' } })
  }
  const opened = async () => (await stored.events(app)).filter((event) => event.type === 'email_open').map((event) => event.memberId)
  t.same((await opened()).sort(), [mia.id, gone].sort(), 'both opens are stored as they came')
  await app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'analytics.rollup', {})
  await app.kaiku.jobs.worker.runDue()
  t.same((await opened()).sort(), [mia.id, null].sort(), "the vanished member's open counts for nobody; Mia keeps hers")
  const opens = (await stored.daily(app)).filter((row) => row.event === 'email_open')
  t.same(opens.map((row) => [row.memberId, row.count]).sort(), [['', 1], [mia.id, 1]].sort(), 'and the daily counters never name her')
})

t.test("a rollup counts clicks beside the writes: a transaction holding the database's connection does not hold the count, which sees committed clicks only", async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const postId = randomUUID()
  const memberId = randomUUID()
  const click = (visitorKey: string, at: number) => ({ id: randomUUID(), tenantId, linkId: randomUUID(), postId, memberId, network: 'linkedin', at: new Date(at), ipNet: '203.0.113.0/24', agent: 'desktop', referrerHost: null, visitorKey, bot: false })
  await app.kaiku.orm.em.fork().insertMany(Click, [click('a', START + 1000), click('b', START + 2000), click('a', START + 3000)])

  // A writer's transaction holds the connection (SQLite has only one) and has stored a click it has not committed.
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  let entered!: () => void
  const inside = new Promise<void>((resolve) => (entered = resolve))
  const writer = app.kaiku.orm.em.fork().transactional(async (tx) => {
    await tx.insert(Click, click('c', START + 4000))
    entered()
    await held
  })
  await inside
  t.teardown(() => release())

  const range = { from: new Date(START), to: new Date(START + DAY) }
  const counted = await Promise.race([app.sharing.activity(app.kaiku.orm.em.fork(), range), new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5000))])
  t.not(counted, 'waited', 'the count did not wait for the transaction to end')
  t.match(counted, [{ tenantId, day: '2026-03-01', postId, memberId, network: 'linkedin', clicks: 3, uniqueClicks: 2, botClicks: 0 }], 'three committed clicks, two visitors; the uncommitted click is not seen')
  release()
  await writer

  await app.analytics.rollup(undefined, { from: '2026-03-01', to: '2026-03-02' })
  const daily = (await stored.daily(app)).filter((row) => row.postId === postId)
  t.same(daily.map((row) => [row.event, row.count]).sort(), [['click', 4], ['unique_click', 3]], 'the rollup after it counts the click committed since')
})

t.test('a member erased between the count and its transaction does not come back in the counters: her clicks count for nobody', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const [mia] = await app.kaiku.orm.em.fork().getConnection().execute<{ id: string; email: string }[]>("select id, email from auth_member where email = 'mia@acme.com'")
  const postId = randomUUID()
  const click = (memberId: string, visitorKey: string) => ({ id: randomUUID(), tenantId, linkId: randomUUID(), postId, memberId, network: 'x', at: new Date(START + 5000), ipNet: '203.0.113.0/24', agent: 'desktop', referrerHost: null, visitorKey, bot: false })
  await app.kaiku.orm.em.fork().insertMany(Click, [click(mia.id, 'a'), click(mia.id, 'b'), click('', 'c')])
  // Her erasure as sharing and auth make it: her clicks count for nobody, her profile is gone.
  const erase = async () => {
    const scoped = app.kaiku.orm.em.fork()
    scoped.setFilterParams('tenant', { tenantId })
    await scoped.transactional(async (tx) => {
      await tx.nativeUpdate(Click, { memberId: mia.id }, { memberId: '' })
      await eraseAuth([], { em: tx, memberId: mia.id, email: mia.email, mode: 'erase' } as Parameters<typeof eraseAuth>[1])
    })
  }
  const exists = async (scoped: EntityManager, ids: string[]) => new Set((await app.auth.members(scoped, ids)).keys())
  await rollupRange(
    app.kaiku.orm.em.fork(),
    onPostgres() ? 'postgresql' : 'sqlite',
    async (em, span) => {
      const counted = await app.sharing.activity(em, span)
      await erase()
      return counted
    },
    { from: '2026-03-01', to: '2026-03-02' },
    exists
  )
  const daily = (await stored.daily(app)).filter((row) => row.postId === postId)
  t.notOk(daily.some((row) => row.memberId === mia.id), 'no counter names her')
  t.same(daily.map((row) => [row.memberId, row.event, row.count]).sort(), [['', 'click', 3], ['', 'unique_click', 3]], "her two clicks and two visitors are added to nobody's")
})

t.test('a member anonymised while a rollup runs does not come back in its counters: the rollup counts her instance again', async (t) => {
  const app = await buildAnalytics(t)
  await acme(app)
  const tenantId = await tenantIdOf(app, 'acme')
  const dialect = onPostgres() ? 'postgresql' : 'sqlite'
  const [mia] = await app.kaiku.orm.em.fork().getConnection().execute<{ id: string; email: string }[]>("select id, email from auth_member where email = 'mia@acme.com'")
  const postId = randomUUID()
  const click = (memberId: string, visitorKey: string) => ({ id: randomUUID(), tenantId, linkId: randomUUID(), postId, memberId, network: 'x', at: new Date(START + 5000), ipNet: '203.0.113.0/24', agent: 'desktop', referrerHost: null, visitorKey, bot: false })
  await app.kaiku.orm.em.fork().insertMany(Click, [click(mia.id, 'a'), click(mia.id, 'b'), click('', 'c')])
  const exists = async (scoped: EntityManager, ids: string[]) => new Set((await app.auth.members(scoped, ids)).keys())
  const span = { from: new Date(START), to: new Date(START + DAY) }
  const forNobody = [['', 'click', 3], ['', 'unique_click', 3]]
  // Her anonymisation as sharing and analytics make it (she stays a member): her clicks count for nobody.
  const anonymise = async (tx: EntityManager) => {
    await tx.nativeUpdate(Click, { memberId: mia.id }, { memberId: '' })
    await eraseAnalytics([], { em: tx, tenantId, memberId: mia.id, name: 'Mia', email: mia.email, mode: 'anonymise' }, dialect)
  }
  const scoped = () => {
    const em = app.kaiku.orm.em.fork()
    em.setFilterParams('tenant', { tenantId })
    return em
  }
  const counters = async () => (await stored.daily(app)).filter((row) => row.postId === postId).map((row) => [row.memberId, row.event, row.count]).sort()

  t.test('anonymised after the count, before the write', async (t) => {
    let first = true
    const result = rollupRange(
      app.kaiku.orm.em.fork(),
      dialect,
      async (em, range) => {
        const counted = await app.sharing.activity(em, range)
        if (first) await scoped().transactional((tx) => anonymise(tx))
        first = false
        return counted
      },
      { from: '2026-03-01', to: '2026-03-02' },
      exists
    )
    await result
    t.same(await counters(), forNobody, 'no counter names her: her clicks and visitors are nobody\'s')
  })

  t.test('anonymised in a transaction that commits while the rollup waits to write', async (t) => {
    // Her clicks as they were, counted for her again.
    await app.kaiku.orm.em.fork().nativeUpdate(Click, { postId, visitorKey: { $in: ['a', 'b'] } }, { memberId: mia.id }, { filters: false })
    await app.analytics.rollup(undefined, { from: '2026-03-01', to: '2026-03-02' })
    t.same(await counters(), [[mia.id, 'click', 2], [mia.id, 'unique_click', 2], ['', 'click', 1], ['', 'unique_click', 1]].sort(), 'her clicks are hers again before this case')
    const counted = await app.sharing.activity(app.kaiku.orm.em.fork(), span)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    const erasure = scoped().transactional(async (tx) => {
      await anonymise(tx)
      entered()
      await held
    })
    await inside
    t.teardown(() => release())
    let settled = false
    const result = rollupRange(app.kaiku.orm.em.fork(), dialect, async (em, range) => (em.getTransactionContext() ? app.sharing.activity(em, range) : counted), { from: '2026-03-01', to: '2026-03-02' }, exists).then(() => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.notOk(settled, 'the rollup does not write while the erasure is in progress')
    release()
    await erasure
    await result
    t.same(await counters(), forNobody, 'no counter names her')
  })
})
