import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { Post } from '../../../plugins/feeds/entities/post.entity.js'
import { acme, buildFeeds, makePost, postRow, send, titlesOf } from './helpers.js'

type App = Awaited<ReturnType<typeof buildFeeds>>

/** Moves one queued job of `name` to the past (rewriting its payload's `at` and the post's time alike), then runs due jobs. */
async function runNow(app: App, name: string, postField: 'publishAt' | 'expiresAt') {
  const em = app.kaiku.orm.em.fork()
  const job = await em.findOneOrFail(JobRecord, { name, status: 'queued' })
  const payload = JSON.parse(job.payload) as { postId: string; at: string }
  const past = new Date(Date.now() - 60_000)
  payload.at = past.toISOString()
  job.payload = JSON.stringify(payload)
  job.runAt = past
  await em.nativeUpdate(Post, { id: payload.postId }, { [postField]: past }, { filters: false })
  await em.flush()
  await app.kaiku.jobs.worker.runDue()
  return payload.postId
}

const inAWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 16)

t.test('a scheduled post is published by a job at its time, and not before', async (t) => {
  const app = await buildFeeds(t, { env: { KAIKU_WORKER: 'off' } })
  const { curator, member } = await acme(app)
  const id = await makePost(curator, { url: 'https://acme.com/later', title: 'Coming soon', publish: 'schedule', publishAt: inAWeek() })
  const row = await postRow(app, id)
  t.equal(row?.status, 'scheduled')
  t.equal(row?.publishedAt, null)
  const jobs = await app.kaiku.orm.em.fork().find(JobRecord, { name: 'feeds.publish' })
  t.equal(jobs.length, 1, 'one publication job')
  t.ok(jobs[0].runAt > new Date(Date.now() + 6 * 86_400_000), 'due at the scheduled time')
  await app.kaiku.jobs.worker.runDue()
  t.equal((await postRow(app, id))?.status, 'scheduled', 'nothing happens before its time')
  t.same(titlesOf((await member.get('/feed')).body), [])

  await runNow(app, 'feeds.publish', 'publishAt')
  const published = await postRow(app, id)
  t.equal(published?.status, 'published')
  t.ok(published?.publishedAt)
  t.same(titlesOf((await member.get('/feed')).body), ['Coming soon'])
})

t.test('rescheduling leaves the old job without effect', async (t) => {
  const app = await buildFeeds(t, { env: { KAIKU_WORKER: 'off' } })
  const { curator } = await acme(app)
  const id = await makePost(curator, { url: 'https://acme.com/later', title: 'Moved', publish: 'schedule', publishAt: inAWeek() })
  const later = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 16)
  const edit = await send(curator, `/posts/${id}/edit`, `/posts/${id}/edit`, { url: 'https://acme.com/later', title: 'Moved', publish: 'schedule', publishAt: later })
  t.equal(edit.statusCode, 303)
  const em = app.kaiku.orm.em.fork()
  const jobs = await em.find(JobRecord, { name: 'feeds.publish' }, { orderBy: { runAt: 'asc' } })
  t.equal(jobs.length, 2)
  jobs[0].runAt = new Date(Date.now() - 1000)
  await em.flush()
  await app.kaiku.jobs.worker.runDue()
  t.equal((await postRow(app, id))?.status, 'scheduled', 'the first time no longer counts')
})

t.test('an expiring post is archived by a job when it expires', async (t) => {
  const app = await buildFeeds(t, { env: { KAIKU_WORKER: 'off' } })
  const { curator, member } = await acme(app)
  const id = await makePost(curator, { url: 'https://acme.com/e', title: 'Flash sale', expiresAt: inAWeek() })
  t.same(titlesOf((await member.get('/feed')).body), ['Flash sale'])
  await runNow(app, 'feeds.expire', 'expiresAt')
  t.equal((await postRow(app, id))?.status, 'archived')
  t.same(titlesOf((await member.get('/feed')).body), [])
})
