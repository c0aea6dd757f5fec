import { randomUUID } from 'node:crypto'
import t from 'tap'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { AnalyticsDaily } from '../../../plugins/analytics/entities/daily.entity.js'
import { AnalyticsEvent } from '../../../plugins/analytics/entities/event.entity.js'
import { saveSettings } from '../../../plugins/analytics/services/settings.js'
import { Broadcast } from '../../../plugins/notifications/entities/notifications.entity.js'
import { previousWeek } from '../../../plugins/notifications/services/impact.js'
import { build, type TestLike } from '../../helper.js'
import type { App } from '../auth/helpers.js'
import { acme, send, type Browser } from '../feeds/helpers.js'

const plugins = ['tenancy', 'auth', 'feeds', 'sharing', 'analytics', 'notifications']
const buildImpact = (t: TestLike) => build(t, { plugins, env: { KAIKU_WORKER: 'off' } })
const mails = (app: App, template: string) => app.kaiku.orm.em.fork().find(MailRecord, { template }, { orderBy: { createdAt: 'asc' } })
const BEACON = /<img src="(http:\/\/acme\.localhost[^"]*\/b\/[A-Za-z0-9_-]+\.gif)" width="1" height="1" alt=""/

async function runJobs(app: App) {
  for (let i = 0; i < 5; i++) if ((await app.kaiku.jobs.worker.runDue()) === 0) break
}

/** Acme's id and its members' ids by email. */
async function acmeIds(app: App) {
  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, 'acme'))!
  em.setFilterParams('tenant', { tenantId: tenant.id })
  const members = await app.auth.membersWithRole(em)
  return { tenantId: tenant.id, id: Object.fromEntries(members.map((member) => [member.email, member.id])) }
}

/** Daily counters written straight into analytics' table, as its rollup would. */
async function seed(app: App, rows: { tenantId: string; day: string; memberId: string; event: string; count: number; postId?: string; network?: string }[]) {
  const em = app.kaiku.orm.em.fork()
  for (const row of rows) em.create(AnalyticsDaily, { id: randomUUID(), postId: row.postId ?? randomUUID(), network: row.network ?? 'linkedin', ...row })
  await em.flush()
}

/** The weekly pass as the scheduler queues it: scoped to the instance, for one Monday morning. */
async function impactPass(app: App, tenantId: string, scheduledFor: string) {
  await app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'notifications.impact', { scope: tenantId, scheduledFor })
  await runJobs(app)
}

async function broadcast(app: App, owner: Browser, subject: string) {
  await send(owner, '/admin/broadcast', '/admin/broadcast', { subject, body: 'Please read.' })
  const sent = await app.kaiku.orm.em.fork().findOneOrFail(Broadcast, { subject }, { filters: false })
  await send(owner, `/admin/broadcast/${sent.id}`, `/admin/broadcast/${sent.id}/send`, {})
  await runJobs(app)
  return (await mails(app, 'notifications/broadcast')).filter((mail) => mail.subject === subject)
}

t.test("last week is the instance's Monday to Sunday", async (t) => {
  t.same(previousWeek(new Date('2026-11-09T09:00:00Z'), 'UTC'), { from: '2026-11-02', to: '2026-11-08' })
  // 09:00 on Monday in Auckland is still Sunday in UTC: the week that just ended is the same one.
  t.same(previousWeek(new Date('2026-11-08T20:00:00Z'), 'Pacific/Auckland'), { from: '2026-11-02', to: '2026-11-08' })
  t.same(previousWeek(new Date('2026-11-08T20:00:00Z'), 'UTC'), { from: '2026-10-26', to: '2026-11-01' })
})

t.test('weekly impact: the right figures, once a week, only to members with something to report who want it', async (t) => {
  const app = await buildImpact(t)
  const { owner, member } = await acme(app)
  const { tenantId, id } = await acmeIds(app)
  const mia = id['mia@acme.com']
  const post = randomUUID()
  await seed(app, [
    // Mia's week of 2 to 8 November: 2 shares, 7 clicks, 5 unique visitors, an approved suggestion.
    { tenantId, day: '2026-11-03', memberId: mia, postId: post, event: 'share', count: 1 },
    { tenantId, day: '2026-11-08', memberId: mia, postId: post, event: 'share', count: 1, network: 'x' },
    { tenantId, day: '2026-11-03', memberId: mia, postId: post, event: 'click', count: 4 },
    { tenantId, day: '2026-11-05', memberId: mia, postId: post, event: 'click', count: 3 },
    { tenantId, day: '2026-11-03', memberId: mia, postId: post, event: 'unique_click', count: 5 },
    { tenantId, day: '2026-11-04', memberId: mia, postId: post, event: 'suggestion_approved', count: 1, network: '' },
    // Outside the week, or another instance's: not counted.
    { tenantId, day: '2026-11-01', memberId: mia, postId: post, event: 'share', count: 40 },
    { tenantId, day: '2026-12-07', memberId: mia, postId: post, event: 'click', count: 40 },
    { tenantId: randomUUID(), day: '2026-11-04', memberId: mia, postId: post, event: 'share', count: 40 },
    // Carl's only activity is a bot: nothing to say. Olivia shared but switched "impact" off.
    { tenantId, day: '2026-11-04', memberId: id['carl@acme.com'], event: 'bot_click', count: 9 },
    { tenantId, day: '2026-11-04', memberId: id['olivia@acme.com'], event: 'share', count: 3 }
  ])
  await send(owner, '/me/notifications', '/me/notifications', { digest: 'weekly', digestHour: '8', digestDay: 'mon', on: ['digest', 'important', 'suggestions', 'invitations', 'broadcast'], countOpens: '1' })

  await impactPass(app, tenantId, '2026-11-09T09:00:00.000Z')
  const sent = await mails(app, 'notifications/impact')
  t.same(sent.map((mail) => mail.recipient), ['mia@acme.com'], 'only Mia: Carl had nothing, Olivia said no')
  const [mail] = sent
  t.equal(mail.subject, 'Your impact last week: 2 shares, 7 clicks')
  t.match(mail.text, /Last week, 2 November to 8 November/)
  // Points with the default weights: 2 shares × 10 + 5 unique clicks × 1 + 1 approved suggestion × 5.
  t.match(mail.text, /Shares: 2\nClicks: 7\nUnique visitors: 5\nPoints: 30\n/)
  t.match(mail.text, /See your stats: http:\/\/acme\.localhost[^\s]*\/me\/stats/)
  t.match(mail.html, /href="http:\/\/acme\.localhost[^"]*\/me\/stats"/)
  const headers = JSON.parse(mail.headers) as Record<string, string>
  t.match(headers['List-Unsubscribe'], /\/unsubscribe\/[^>]+>$/, 'its own one-click unsubscribe')

  await impactPass(app, tenantId, '2026-11-09T09:00:00.000Z')
  t.equal((await mails(app, 'notifications/impact')).length, 1, 'a second run of the week mails no one twice')

  await impactPass(app, tenantId, '2026-11-16T09:00:00.000Z')
  t.equal((await mails(app, 'notifications/impact')).length, 1, 'a week without activity: nothing sent')

  await seed(app, [{ tenantId, day: '2026-11-18', memberId: mia, postId: post, event: 'click', count: 2 }])
  const token = /\/unsubscribe\/([A-Za-z0-9_.-]+)>/.exec(headers['List-Unsubscribe'])![1]
  const oneClick = await app.inject({ method: 'POST', url: `/unsubscribe/${token}`, headers: { host: 'acme.localhost', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' })
  t.equal(oneClick.statusCode, 200)
  await impactPass(app, tenantId, '2026-11-23T09:00:00.000Z')
  t.equal((await mails(app, 'notifications/impact')).length, 1, 'unsubscribed from "impact" by one click: no more summaries')
  const prefs = await member.get('/me/notifications')
  t.notMatch(prefs.body, /name="on" value="impact" checked/, 'the page shows it off')
  t.match(prefs.body, /name="on" value="important" checked/, 'other categories stay on')
  t.match(prefs.body, /<option value="weekly" selected>/, 'and so does the digest')
})

t.test('open beacons: only where the instance counts them and the member has not said no; fetching one counts an open', async (t) => {
  const app = await buildImpact(t)
  const { owner, member } = await acme(app)
  const { tenantId, id } = await acmeIds(app)
  const mia = id['mia@acme.com']

  const prefs = await member.get('/me/notifications')
  t.match(prefs.body, /name="countOpens" value="1" checked/, 'counted until the member says no')
  t.match(prefs.body, /Count when I open emails/)
  t.match(prefs.body, /tiny invisible image/, 'and what that means is said where it can be switched off')

  await seed(app, [{ tenantId, day: '2026-11-03', memberId: mia, event: 'share', count: 1 }])
  await impactPass(app, tenantId, '2026-11-09T09:00:00.000Z')
  const [impact] = await mails(app, 'notifications/impact')
  const src = BEACON.exec(impact.html)?.[1]
  t.ok(src, 'the HTML part carries the beacon, on the instance origin')
  t.notMatch(impact.text, /\/b\//, 'the text part never does')

  const hit = await app.inject({ method: 'GET', url: new URL(src!).pathname, headers: { host: 'acme.localhost' } })
  t.equal(hit.statusCode, 200)
  t.equal(hit.headers['content-type'], 'image/gif')
  await app.analytics.drain()
  const opens = await app.kaiku.orm.em.fork().find(AnalyticsEvent, { type: 'email_open' }, { filters: false })
  t.equal(opens.length, 1, 'one open counted')
  t.match(opens[0], { tenantId, memberId: mia, subject: 'impact' })

  const first = await broadcast(app, owner, 'First')
  t.equal(first.length, 3)
  t.ok(first.every((mail) => BEACON.test(mail.html) && !/\/b\//.test(mail.text)), 'broadcasts too, in HTML only')

  const saved = await send(member, '/me/notifications', '/me/notifications', { digest: 'weekly', digestHour: '8', digestDay: 'mon', on: ['digest', 'broadcast'] })
  t.equal(saved.statusCode, 303)
  t.notMatch((await member.get('/me/notifications')).body, /name="countOpens" value="1" checked/, 'unticked')
  const second = await broadcast(app, owner, 'Second')
  t.notMatch(second.find((mail) => mail.recipient === 'mia@acme.com')!.html, /\/b\//, 'no beacon for a member who said no')
  t.match(second.find((mail) => mail.recipient === 'olivia@acme.com')!.html, BEACON, 'the others still have theirs')

  await saveSettings(app.kaiku.orm.em.fork(), tenantId, { beacons: false })
  const third = await broadcast(app, owner, 'Third')
  t.equal(third.length, 3)
  t.ok(third.every((mail) => !/\/b\//.test(mail.html)), 'beacons off for the instance: in no mail at all')
  t.match((await owner.get('/me/notifications')).body, /switched open counting off for this instance/)
})
