import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { backoff } from '../../../core/jobs/worker.js'
import { build, fixturePlugin, html } from '../../helper.js'

const withFixture = (env: Record<string, string> = {}) => ({ plugins: [fixturePlugin()], env: { KAIKU_WORKER_POLL_MS: '20', ...env } })
type App = Awaited<ReturnType<typeof build>>

const notes = async (app: App, like = '%'): Promise<string[]> =>
  (await app.kaiku.orm.em.fork().getConnection().execute('select text from fixture_note where text like ? order by id', [like])).map(
    (row: { text: string }) => row.text
  )
const job = (app: App, id: string) => app.kaiku.orm.em.fork().findOneOrFail(JobRecord, { id })
async function until<T>(check: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

t.test("enqueue writes in the caller's transaction; a key makes it idempotent", async (t) => {
  const app = await build(t, withFixture())
  const { queue } = app.kaiku.jobs
  const em = app.kaiku.orm.em.fork()
  await t.rejects(
    em.transactional(async (tx) => {
      await queue.enqueue(tx, 'fixture.record', { text: 'lost' })
      throw new Error('the business write failed')
    })
  )
  t.equal(await em.fork().count(JobRecord), 0, 'a rolled-back write enqueues nothing')

  const first = await em.transactional((tx) => queue.enqueue(tx, 'fixture.record', { text: 'once' }, { key: 'welcome:42' }))
  const second = await queue.enqueue(em, 'fixture.record', { text: 'twice' }, { key: 'welcome:42' })
  t.ok(first.created)
  t.same(second, { id: first.id, created: false }, 'the same key gives the same job')
  t.equal(await em.fork().count(JobRecord), 1)
})

t.test('bad input is refused at enqueue and nothing is queued', async (t) => {
  const app = await build(t, withFixture())
  const { queue } = app.kaiku.jobs
  const em = app.kaiku.orm.em.fork()
  await t.rejects(queue.enqueue(em, 'fixture.nope', {}), /unknown job 'fixture.nope'/)
  await t.rejects(queue.enqueue(em, 'fixture.record', { run: () => 1 }), /payload.run is a function, which JSON cannot carry/)
  await t.rejects(queue.enqueue(em, 'fixture.record', { big: 10n }), /payload.big is a bigint/)
  const loop: Record<string, unknown> = {}
  loop.self = loop
  await t.rejects(queue.enqueue(em, 'fixture.record', loop), /payload.self refers to itself/)
  await t.rejects(queue.enqueue(em, 'fixture.record', { when: new Date() }), /payload.when is a Date; pass plain data/)
  await t.rejects(queue.enqueue(em, 'fixture.record', { n: Number.NaN }), /not a finite number/)
  await t.rejects(queue.enqueue(em, 'fixture.record', {}, { key: '' }), /key must be 1 to 255/)
  t.equal(await em.fork().count(JobRecord), 0)
})

t.test('a worker runs a job once; its writes and its completion commit together', async (t) => {
  const app = await build(t, withFixture())
  const { queue, worker } = app.kaiku.jobs
  const em = app.kaiku.orm.em.fork()
  const { id } = await queue.enqueue(em, 'fixture.record', { text: 'hello from a job' })
  const retrying = await queue.enqueue(em, 'fixture.record', { text: 'fail-after-write' }, { maxAttempts: 1 })
  worker.start()
  await until(async () => (await job(app, id)).status === 'done')
  await until(async () => (await job(app, retrying.id)).status === 'dead')
  await worker.stop(1000)
  t.same(await notes(app), ['hello from a job'], "a failing transactional job leaves none of its writes behind")
  const done = await job(app, id)
  t.equal(done.attempts, 1)
  t.ok(done.finishedAt)
  t.equal(done.lockedBy, worker.id, 'it records which worker ran it')
  t.equal(done.lockedUntil, null, 'and holds no lease any more')
})

t.test('a failing job retries with growing delays, then is dead-lettered with its error', async (t) => {
  const app = await build(t, withFixture({ KAIKU_JOB_BACKOFF_MS: '60' }))
  const { queue, worker } = app.kaiku.jobs
  const { id } = await queue.enqueue(app.kaiku.orm.em.fork(), 'fixture.fail', {}, { maxAttempts: 4 })
  worker.start()
  const dead = await until(async () => {
    const row = await job(app, id)
    return row.status === 'dead' && row
  })
  await worker.stop(1000)
  t.equal(dead.attempts, 4)
  t.equal(dead.lastError, 'always fails (attempt 4)')
  const times = (await notes(app, 'attempt:%')).map((text) => Number(text.split(':')[2]))
  t.equal(times.length, 4, 'four attempts, no more')
  // Wall-clock gaps only have a floor (a loaded machine makes them longer, never shorter); that the
  // delays grow is a property of the backoff itself, checked below without a clock.
  const gaps = times.slice(1).map((time, i) => time - times[i])
  t.ok(gaps.every((gap, i) => gap >= 60 * 2 ** i), `each retry waited at least its delay: ${gaps.join(', ')} ms`)
  for (let attempt = 1; attempt < 6; attempt++) {
    const delay = backoff(60, attempt)
    t.ok(delay >= 60 * 2 ** (attempt - 1) && delay <= 60 * 2 ** (attempt - 1) * 1.1, `attempt ${attempt}: base × 2^${attempt - 1}, plus at most 10 % jitter`)
  }

  const page = await app.inject({ url: '/operator/jobs?status=dead', headers: { ...html, 'x-fixture-role': 'operator' } })
  t.equal(page.statusCode, 200)
  t.match(page.body, /fixture\.fail/)
  t.match(page.body, /always fails \(attempt 4\)/, 'the operator sees the error')
  t.equal((await app.inject({ url: '/operator/jobs', headers: html })).statusCode, 403, 'only operators')
})

t.test('a job whose worker died runs again after its lease expires, once', async (t) => {
  const app = await build(t, withFixture({ KAIKU_JOB_LEASE_MS: '300' }))
  const { queue, worker } = app.kaiku.jobs
  const { id } = await queue.enqueue(app.kaiku.orm.em.fork(), 'fixture.record', { text: 'survivor' })
  const [claimed] = await worker.claim(1)
  t.equal(claimed.id, id, 'a worker claimed it, then "died" without finishing or renewing')
  t.same(await worker.claim(1), [], 'while the lease holds, nobody else takes it')
  await new Promise((resolve) => setTimeout(resolve, 350))
  const [again] = await worker.claim(1)
  t.equal(again.id, id, 'after the lease, it can be claimed again')
  await worker.run(again)
  t.equal((await job(app, id)).status, 'done')
  t.same(await notes(app), ['survivor'])
})

t.test('graceful stop hands back the job in hand without counting the attempt', async (t) => {
  const app = await build(t, withFixture())
  const { queue, worker } = app.kaiku.jobs
  const { id } = await queue.enqueue(app.kaiku.orm.em.fork(), 'fixture.sleep', { ms: 1500, text: 'slept' })
  worker.start()
  await until(async () => (await job(app, id)).status === 'running')
  await worker.stop(100)
  const released = await job(app, id)
  t.equal(released.status, 'queued')
  t.equal(released.attempts, 0)
  t.equal(released.lockedBy, null)
})

t.test('operators retry and discard dead jobs from the page, with CSRF', async (t) => {
  const app = await build(t, withFixture())
  const { queue, worker } = app.kaiku.jobs
  const em = app.kaiku.orm.em.fork()
  const { id } = await queue.enqueue(em, 'fixture.fail', {}, { maxAttempts: 1 })
  const other = await queue.enqueue(em, 'fixture.fail', {}, { maxAttempts: 1 })
  await worker.run((await worker.claim(1))[0])
  await worker.run((await worker.claim(1))[0])
  const operator = { ...html, 'x-fixture-role': 'operator' }
  const page = await app.inject({ url: '/operator/jobs', headers: operator })
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  const post = (url: string, withToken = true) =>
    app.inject({ method: 'POST', url, headers: { ...operator, cookie }, payload: withToken ? { _csrf: token } : {} })
  t.equal((await post(`/operator/jobs/${id}/retry`, false)).statusCode, 403, 'no token, no retry')
  t.equal((await job(app, id)).status, 'dead')
  t.equal((await post(`/operator/jobs/${id}/retry`)).statusCode, 303)
  const retried = await job(app, id)
  t.equal(retried.status, 'queued')
  t.equal(retried.attempts, 0)
  t.equal((await post(`/operator/jobs/${other.id}/discard`)).statusCode, 303)
  t.equal(await em.fork().count(JobRecord, { id: other.id }), 0)
  t.equal((await post(`/operator/jobs/${other.id}/discard`)).statusCode, 409, 'a job already gone is a conflict, not a 500')
})

t.test('nightly cleanup removes expired sessions and week-old finished jobs, nothing else', async (t) => {
  const app = await build(t, withFixture())
  const { queue, worker } = app.kaiku.jobs
  const em = app.kaiku.orm.em.fork()
  const old = await queue.enqueue(em, 'fixture.record', { text: 'old' })
  const recent = await queue.enqueue(em, 'fixture.record', { text: 'recent' })
  const waiting = await queue.enqueue(em, 'fixture.record', { text: 'waiting' }, { runAt: new Date(Date.now() + 3_600_000) })
  const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3_600_000)
  await em.nativeUpdate(JobRecord, { id: old.id }, { status: 'done', finishedAt: eightDaysAgo })
  await em.nativeUpdate(JobRecord, { id: recent.id }, { status: 'done', finishedAt: new Date() })
  const connection = em.getConnection()
  const stamp = (date: Date) => (app.kaiku.dialect === 'sqlite' ? date.getTime() : date)
  for (const [id, expires] of [['expired', new Date(Date.now() - 1000)], ['live', new Date(Date.now() + 60_000)]] as const) {
    await connection.execute('insert into kaiku_session (id, data, expires_at, created_at, updated_at) values (?, ?, ?, ?, ?)', [id, '{}', stamp(expires), stamp(new Date()), stamp(new Date())])
  }
  await queue.enqueue(em, 'core.cleanup', {})
  const [claimed] = (await worker.claim(5)).filter((job) => job.name === 'core.cleanup')
  await worker.run(claimed)
  const left = (await em.fork().find(JobRecord, {}, { orderBy: { createdAt: 'asc' } })).map((job) => job.id)
  t.notOk(left.includes(old.id), 'the week-old finished job is gone')
  t.ok(left.includes(recent.id) && left.includes(waiting.id), 'recent and waiting jobs stay')
  t.same((await connection.execute('select id from kaiku_session order by id')).map((row: { id: string }) => row.id), ['live'])
})
