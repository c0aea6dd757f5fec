import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { send } from '../feeds/helpers.js'
import { composeFields, connect, directRows, directSetup, jobs, runDue, schedule, SCHEDULED_JOB } from './direct-helpers.js'
import { rows } from './helpers.js'

t.test('a scheduled share is posted by a job at its time, once, and recorded as a share then', async (t) => {
  const { app, member, postId, mastodon } = await directSetup(t)
  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  const at = new Date(Date.now() + 3 * 3_600_000)
  at.setSeconds(0, 0)
  const scheduled = await schedule(app, member, postId, 'Later today', at)
  t.equal(scheduled.statusCode, 303)
  t.equal(scheduled.headers.location, '/me/connections#direct-posts')
  const [row] = await directRows.posts(app)
  t.equal(row.status, 'scheduled')
  t.equal(row.runAt.toISOString(), at.toISOString(), 'the chosen time, read in the instance\'s time zone')
  const [job] = await jobs(app)
  t.equal(job.runAt.toISOString(), at.toISOString())
  t.same(JSON.parse(job.payload), { tenantId: row.tenantId, directPostId: row.id })
  t.equal((await rows.shares(app)).length, 0, 'not a share before it is posted')
  const page = await member.get('/me/connections')
  t.match(page.body, /Scheduled for .* on @mia@mastodon\.example/, 'a flash says when')
  t.match(page.body, /badge--queued">Scheduled</)
  t.match(page.body, /\/me\/direct-posts\/[0-9a-f-]+\/cancel/)

  await app.kaiku.jobs.worker.runDue()
  t.equal(mastodon.statuses.length, 0, 'nothing before its time')

  await runDue(app)
  t.equal(mastodon.statuses.length, 1, 'posted at its time')
  const [status] = mastodon.of('POST', '/api/v1/statuses')
  const [link] = await rows.links(app)
  t.equal(status.form.get('status'), `Later today\n\n#iworkforacme\n\nhttp://acme.localhost/s/${link.code}`)
  t.equal(status.headers['idempotency-key'], row.id)
  const [done] = await directRows.posts(app)
  t.equal(done.status, 'posted')
  const shares = await rows.shares(app)
  t.equal(shares.length, 1)
  t.equal(done.shareId, shares[0].id)
  t.match((await member.get('/me/connections')).body, /badge--done">Posted</)

  // The same job run again (a duplicate delivery) finds nothing to do.
  await app.kaiku.orm.em.fork().nativeUpdate(JobRecord, { name: SCHEDULED_JOB }, { status: 'queued', runAt: new Date(Date.now() - 1000) })
  await app.kaiku.jobs.worker.runDue()
  t.equal(mastodon.of('POST', '/api/v1/statuses').length, 1, 'posted once')
  t.equal((await rows.shares(app)).length, 1)
})

t.test('the time must be a valid time in the future; nothing is kept otherwise', async (t) => {
  const { app, member, postId } = await directSetup(t)
  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  const past = await schedule(app, member, postId, 'Yesterday', new Date(Date.now() - 86_400_000))
  t.equal(past.statusCode, 400)
  t.match(past.body, /Choose a time in the future/)
  const { submission } = await composeFields(member, postId, 'mastodon')
  const invalid = await send(member, `/posts/${postId}/share/mastodon`, `/posts/${postId}/share/mastodon`, { text: 'x', action: 'schedule', at: '2026-02-31T10:00', submission: submission! })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.body, /Enter a date and time/)
  t.equal((await directRows.posts(app)).length, 0)
  t.equal((await jobs(app)).length, 0)
})
