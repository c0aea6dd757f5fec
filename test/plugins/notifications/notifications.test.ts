import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { MailRecord } from '../../../core/mail/mail.entity.js'
import { Notice, Preferences } from '../../../plugins/notifications/entities/notifications.entity.js'
import { build, type TestLike } from '../../helper.js'
import { client, type App } from '../auth/helpers.js'
import { acme, makePost, makeTopic, send, topicIds } from '../feeds/helpers.js'

const plugins = ['tenancy', 'auth', 'feeds', 'sharing', 'analytics', 'notifications']
const buildNotifications = (t: TestLike) => build(t, { plugins, env: { KAIKU_WORKER: 'off' } })
const mails = (app: App, template?: string) => app.kaiku.orm.em.fork().find(MailRecord, template ? { template } : { template: { $like: 'notifications/%' } }, { orderBy: { createdAt: 'asc' } })
const tokenOf = (mail: { headers: string }) => /\/unsubscribe\/([A-Za-z0-9_.-]+)/.exec(mail.headers)?.[1] ?? ''

async function runJobs(app: App) {
  for (let i = 0; i < 5; i++) if ((await app.kaiku.jobs.worker.runDue()) === 0) break
}

t.test('preferences: categories, digest frequency and hour, with the instance time zone', async (t) => {
  const app = await buildNotifications(t)
  const { member } = await acme(app)
  const page = await member.get('/me/notifications')
  t.equal(page.statusCode, 200)
  t.match(page.body, /Weekly<\/option>/)
  const saved = await send(member, '/me/notifications', '/me/notifications', { digest: 'daily', digestHour: '7', digestDay: 'mon', on: ['digest', 'important'] })
  t.equal(saved.statusCode, 303)
  const [row] = await app.kaiku.orm.em.fork().find(Preferences, {}, { filters: false })
  t.equal(row.digest, 'daily')
  t.equal(row.digestHour, 7)
  t.same(row.off.sort(), ['broadcast', 'impact', 'invitations', 'suggestions'])
  const bad = await send(member, '/me/notifications', '/me/notifications', { digest: 'hourly', digestHour: '25', digestDay: 'mon' })
  t.equal(bad.statusCode, 400)
})

t.test('preferences: the digest has one switch, its frequency; "Never" is what the page shows and what is stored', async (t) => {
  const app = await buildNotifications(t)
  const { member } = await acme(app)
  const row = async () => (await app.kaiku.orm.em.fork().find(Preferences, {}, { filters: false }))[0]
  const selected = (body: string) => /<select id="digest"[^>]*>.*?<option value="(\w+)" selected>/.exec(body)?.[1]
  const page = await member.get('/me/notifications')
  t.notMatch(page.body, /name="on" value="digest"/, 'no second digest switch beside the frequency')
  t.match(page.body, /New posts, your favourite topics first\./, 'what the digest is, said by its frequency')
  t.equal(selected(page.body), 'weekly')

  // An old form (or a hand-made request) still ticks "digest": "Never" wins, both fields agree.
  const never = await send(member, '/me/notifications', '/me/notifications', { digest: 'off', digestHour: '8', digestDay: 'mon', on: ['digest', 'important', 'broadcast'] })
  t.equal(never.statusCode, 303)
  t.equal((await row()).digest, 'off')
  t.same((await row()).off.sort(), ['digest', 'impact', 'invitations', 'suggestions'])
  const saved = await member.get('/me/notifications')
  t.equal(selected(saved.body), 'off', '"Never" is shown after saving')
  t.notMatch(saved.body, /value="digest" checked/, 'and nothing says the digest is on')
  t.match(saved.body, /name="on" value="important" checked/, 'the other choices are kept')

  const weekly = await send(member, '/me/notifications', '/me/notifications', { digest: 'weekly', digestHour: '8', digestDay: 'tue', on: ['important'] })
  t.equal(weekly.statusCode, 303)
  t.equal((await row()).digest, 'weekly')
  t.notOk((await row()).off.includes('digest'), 'choosing a frequency switches the digest on again')

  // A digest switched off by its unsubscribe link reads as "Never", and a frequency brings it back.
  const em = app.kaiku.orm.em.fork()
  const stored = (await em.find(Preferences, {}, { filters: false }))[0]
  stored.off = ['digest']
  await em.flush()
  t.equal(selected((await member.get('/me/notifications')).body), 'off')
  await send(member, '/me/notifications', '/me/notifications', { digest: 'daily', digestHour: '8', digestDay: 'mon', on: ['important'] })
  t.same((await row()).off.includes('digest'), false)
})

t.test('digests: due at the member hour in the instance zone, favourite topics first, one per period, none when nothing is new', async (t) => {
  const app = await buildNotifications(t)
  const { owner, curator, member } = await acme(app)
  await makeTopic(owner, 'Careers')
  const ids = await topicIds(app)
  await send(member, '/me', '/me/topics', { topics: [ids.Careers] })
  await send(member, '/me/notifications', '/me/notifications', { digest: 'daily', digestHour: '9', digestDay: 'mon', on: ['digest'] })
  await makePost(curator, { url: 'https://acme.com/general', title: 'General news' })
  await makePost(curator, { url: 'https://acme.com/jobs', title: 'We are hiring', topics: [ids.Careers] })

  const em = app.kaiku.orm.em.fork()
  const tenant = (await app.tenancy.bySlug(em, 'acme'))!
  const queue = (at: string) => app.kaiku.jobs.queue.enqueue(app.kaiku.orm.em.fork(), 'notifications.digests', { scope: tenant.id, scheduledFor: at })
  // acme's zone is UTC unless set: 08:00 is not Mia's hour, 09:00 is. (A Tuesday: the others' weekly
  // digests, on Mondays by default, stay out of the way.)
  await queue('2026-12-01T08:00:00.000Z')
  await runJobs(app)
  t.equal((await mails(app, 'notifications/digest')).length, 0, 'not before her hour')
  await queue('2026-12-01T09:00:00.000Z')
  await runJobs(app)
  const digests = await mails(app, 'notifications/digest')
  t.equal(digests.length, 1, 'one digest')
  t.equal(digests[0].recipient, 'mia@acme.com')
  t.match(digests[0].text, /In your topics\n- We are hiring[^]*Also new\n- General news/, 'favourites first')
  t.match(digests[0].text, /Share: http:\/\/acme\.localhost[^\s]*\/posts\/[0-9a-f-]+/, 'each item links to its share flow')
  t.match(digests[0].headers, /List-Unsubscribe-Post/)
  t.equal(digests[0].subject, '2 new posts to share')

  await queue('2026-12-01T09:00:00.000Z')
  await runJobs(app)
  t.equal((await mails(app, 'notifications/digest')).length, 1, 'never two digests for one period')
  await queue('2026-12-02T09:00:00.000Z')
  await runJobs(app)
  t.equal((await mails(app, 'notifications/digest')).length, 1, 'nothing new: nothing sent')

  await makePost(curator, { url: 'https://acme.com/later', title: 'One more', topics: [ids.Careers] })
  await queue('2026-12-03T09:00:00.000Z')
  await runJobs(app)
  const next = await mails(app, 'notifications/digest')
  t.equal(next.length, 2, 'something new: the next digest')
  t.equal(next[1].subject, '1 new post to share', 'in the singular for one post')
})

t.test('one-click unsubscribe: no session needed, only its category, bad tokens get a page', async (t) => {
  const app = await buildNotifications(t)
  const { owner, member } = await acme(app)
  await send(owner, '/admin/broadcast', '/admin/broadcast', { subject: 'Hello', body: 'Hi all' })
  const [broadcast] = await app.kaiku.orm.em.fork().find((await import('../../../plugins/notifications/entities/notifications.entity.js')).Broadcast, {}, { filters: false })
  await send(owner, `/admin/broadcast/${broadcast.id}`, `/admin/broadcast/${broadcast.id}/send`, {})
  await runJobs(app)
  const mail = (await mails(app, 'notifications/broadcast')).find((m) => m.recipient === 'mia@acme.com')!
  const headers = JSON.parse(mail.headers) as Record<string, string>
  t.match(headers['List-Unsubscribe'], /^<http:\/\/acme\.localhost[^>]*\/unsubscribe\/[^>]+>$/)
  t.equal(headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click')
  const token = tokenOf(mail)

  const stranger = client(app, 'acme.localhost')
  const view = await stranger.get(`/unsubscribe/${token}`)
  t.equal(view.statusCode, 200)
  t.match(view.body, /Stop mails of the kind &quot;Announcements&quot;/)
  const switchedOff = async () => (await app.kaiku.orm.em.fork().find(Preferences, {}, { filters: false })).filter((p) => p.off.includes('broadcast')).length
  t.equal(await switchedOff(), 0, 'opening the link changes nothing')
  const oneClick = await app.inject({ method: 'POST', url: `/unsubscribe/${token}`, headers: { host: 'acme.localhost', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' })
  t.equal(oneClick.statusCode, 200)
  t.notOk(oneClick.headers['set-cookie'], 'no session')
  const prefs = await app.kaiku.orm.em.fork().find(Preferences, {}, { filters: false })
  const mia = prefs.find((p) => p.off.includes('broadcast'))
  t.ok(mia, 'broadcasts switched off')
  t.same(mia?.off, ['broadcast'], 'only that category')

  const tampered = await stranger.get(`/unsubscribe/${token.slice(0, -2)}xx`)
  t.equal(tampered.statusCode, 400)
  t.match(tampered.body, /This link does not work/)
  t.match(tampered.body, /href="\/me\/notifications"/, 'a way to manage preferences after signing in')
  const signed = await member.get(`/unsubscribe/${token}`)
  t.equal(signed.statusCode, 200, 'signed in or not, the link works the same')
})

t.test('broadcast: an empty body is refused; a preview, then each member mailed once, counts shown', async (t) => {
  const app = await buildNotifications(t)
  const { owner, member } = await acme(app)
  const empty = await send(owner, '/admin/broadcast', '/admin/broadcast', { subject: 'Incident', body: '   ' })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /an empty announcement is not sent/)
  t.equal((await member.get('/admin/broadcast')).statusCode, 403)

  const draft = await send(owner, '/admin/broadcast', '/admin/broadcast', { subject: 'Security notice', body: 'We rotated all keys.\n\nNothing for you to do.' })
  const path = String(draft.headers.location)
  const preview = await owner.get(path)
  t.match(preview.body, /<p>We rotated all keys\.<\/p><p>Nothing for you to do\.<\/p>/)
  t.match(preview.body, /Send to members/)
  t.equal((await mails(app)).length, 0, 'nothing sent by the preview')
  await send(owner, path, `${path}/send`, {})
  const twice = await send(owner, path, `${path}/send`, {})
  t.equal(twice.statusCode, 303)
  await runJobs(app)
  const sent = await mails(app, 'notifications/broadcast')
  t.same(sent.map((m) => m.recipient).sort(), ['carl@acme.com', 'mia@acme.com', 'olivia@acme.com'], 'everyone, once')
  const progress = await owner.get(`${path}/progress`)
  t.match(progress.body, /"recipients":3/)
  t.equal((await app.kaiku.orm.em.fork().find(JobRecord, { name: 'notifications.broadcast' })).length, 1, 'one fan-out job for two presses')
  const centre = await member.get('/notifications')
  t.match(centre.body, /Announcement: Security notice/)
  const unread = (await member.get('/feed')).body
  t.match(unread, /Notifications <span class="nav-badge">1/, 'the unread count in the header')
  t.match(unread, /<summary class="site-menu__toggle">[^]*?<span class="site-menu__dot"[^]*?<\/summary>/, "and a dot on the phone's menu button")
  await send(member, '/notifications', '/notifications/read', {})
  t.notMatch((await member.get('/feed')).body, /nav-badge|site-menu__dot/, 'read: no count, no dot')
  const em = app.kaiku.orm.em.fork()
  // Each member's notice, a hundred more times and unread.
  for (const seen of await em.find(Notice, {}, { filters: false })) for (let i = 0; i < 100; i++) em.create(Notice, { ...seen, id: crypto.randomUUID(), readAt: null })
  await em.flush()
  t.match((await member.get('/feed')).body, /Notifications <span class="nav-badge">99\+<span class="visually-hidden"> new/, 'past 99 the badge says 99+')
})

t.test('a pinned post reaches its topic followers at once; approvals and accepted invitations land in the centre', async (t) => {
  const app = await buildNotifications(t)
  const { owner, curator, member } = await acme(app)
  const empty = (await member.get('/notifications')).body.split('<div class="panel empty">')[1]?.split('</div>')[0] ?? ''
  t.match(empty, /Nothing yet\. Approvals, important posts and announcements show up here\./, 'an empty centre says so')
  t.match(empty, /<span class="empty__icon"><svg class="icon"/, 'with the same SVG icon as the other empty states')
  t.notMatch(empty, /\p{Extended_Pictographic}/u, 'not an emoji, which each system draws its own way')
  await makeTopic(owner, 'Careers')
  const ids = await topicIds(app)
  await send(member, '/me', '/me/topics', { topics: [ids.Careers] })
  await makePost(curator, { url: 'https://acme.com/all-hands', title: 'All hands on Friday', topics: [ids.Careers], pinned: '1' })
  await app.kaiku.bus.idle()
  await runJobs(app)
  const important = await mails(app, 'notifications/important')
  t.same(important.map((m) => m.recipient), ['mia@acme.com'], 'only the followers of its topic')
  t.match((await member.get('/notifications')).body, /Important: All hands on Friday/)

  await send(member, '/suggest', '/suggest', { url: 'https://example.org/x', comment: '' })
  const [suggestion] = await app.kaiku.orm.em.fork().find((await import('../../../plugins/feeds/entities/social.entity.js')).Suggestion, {}, { filters: false })
  await send(curator, '/review', `/review/${suggestion.id}/reject`, { note: 'no' })
  await app.kaiku.bus.idle()
  t.match((await member.get('/notifications')).body, /Your suggestion was declined/)

  const notices = await app.kaiku.orm.em.fork().find(Notice, {}, { filters: false })
  t.same(notices.map((n) => n.category).sort(), ['important', 'suggestions'])
})
