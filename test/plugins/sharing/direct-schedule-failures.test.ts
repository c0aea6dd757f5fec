import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { DirectPost } from '../../../plugins/sharing/entities/connections.entity.js'
import { send } from '../feeds/helpers.js'
import { connect, directRows, directSetup, jobs, runDue, schedule, SCHEDULED_JOB } from './direct-helpers.js'
import { rows } from './helpers.js'

t.test('a server that fails for a while is tried again with the same Idempotency-Key; a worker that stopped mid-post does not post twice', async (t) => {
  const { app, member, postId, mastodon } = await directSetup(t)
  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  await schedule(app, member, postId, 'Resilient')
  mastodon.failNextPosts(1)
  await runDue(app)
  const [waiting] = await directRows.posts(app)
  t.equal(waiting.status, 'scheduled', 'back to waiting for the retry')
  const [job] = await jobs(app)
  t.equal(job.status, 'queued')
  t.match(job.lastError, /503/)
  await runDue(app)
  const attempts = mastodon.of('POST', '/api/v1/statuses')
  t.equal(attempts.length, 2)
  t.equal(attempts[0].headers['idempotency-key'], attempts[1].headers['idempotency-key'])
  t.equal(mastodon.statuses.length, 1)
  t.equal((await directRows.posts(app))[0].status, 'posted')

  // A second scheduled post whose worker died after posting, before recording: its job runs again.
  await schedule(app, member, postId, 'Crash')
  await runDue(app)
  const crashed = (await directRows.posts(app))[1]
  t.equal(crashed.status, 'posted')
  const em = app.kaiku.orm.em.fork()
  await em.nativeUpdate(DirectPost, { id: crashed.id }, { status: 'posting', shareId: null }, { filters: false })
  await em.nativeUpdate(JobRecord, { name: SCHEDULED_JOB, payload: { $like: `%${crashed.id}%` } }, { status: 'queued', runAt: new Date(Date.now() - 1000) })
  const sharesBefore = (await rows.shares(app)).length
  await app.kaiku.jobs.worker.runDue()
  t.equal(mastodon.statuses.length, 2, 'Mastodon recognised the repeated key: no second status')
  t.equal((await directRows.posts(app))[1].status, 'posted')
  t.equal((await rows.shares(app)).length, sharesBefore + 1, 'recorded now')
})

t.test('at its time: a revoked token fails with "reconnect"; a cancelled post is not posted; a disconnect cancels', async (t) => {
  const { app, member, postId, mastodon } = await directSetup(t)
  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  await schedule(app, member, postId, 'Revoked')
  mastodon.revoke()
  await runDue(app)
  const [revoked] = await directRows.posts(app)
  t.same([revoked.status, revoked.failure], ['failed', 'reconnect'])
  t.equal((await directRows.connections(app))[0].status, 'needs_reconnect')
  const page = await member.get('/me/connections')
  t.match(page.body, /badge--dead">Failed<\/span><p class="small">The network no longer accepts Kaiku&#x27;s access: reconnect your account\./)
  t.match(page.body, /Needs reconnecting/)

  await connect(member, 'mastodon', { instance: 'mastodon.example' })
  await schedule(app, member, postId, 'Never mind')
  const toCancel = (await directRows.posts(app))[1]
  const cancelled = await send(member, '/me/connections', `/me/direct-posts/${toCancel.id}/cancel`, {})
  t.equal(cancelled.statusCode, 303)
  await schedule(app, member, postId, 'Disconnected')
  await send(member, '/me/connections', '/me/connections/mastodon/disconnect', {})
  await runDue(app)
  t.same((await directRows.posts(app)).map((p) => p.status), ['failed', 'cancelled', 'cancelled'])
  t.match((await member.get('/me/connections')).body, /badge--cancelled">Cancelled<\/span><p class="small">Not posted: the account was disconnected\.<\/p>/)
  t.equal(mastodon.statuses.length, 0, 'nothing posted')
  t.equal((await rows.shares(app)).length, 0)
})
