import { once } from 'node:events'
import t from 'tap'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { fixturePlugin, onPostgres, testEnv, type TestLike } from '../../helper.js'
import { spawnKaiku, startServer } from '../../processes.js'

/** A database with the fixture plugin migrated, and an app on it to enqueue and inspect. */
async function setup(t: TestLike, env: Record<string, string> = {}) {
  const prepared = await testEnv(t, { plugins: [fixturePlugin()], env: { KAIKU_WORKER_POLL_MS: '25', ...env } })
  const app = await buildApp(loadConfig(prepared.env, prepared.dir), { env: prepared.env, cwd: prepared.dir })
  t.teardown(() => app.close())
  return { app, env: prepared.env }
}

/** Waits for `check`; on timeout the error carries `explain()` (job counts, the workers' output). */
async function until(check: () => Promise<boolean>, ms = 60_000, explain: () => Promise<string> = async () => ''): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not reached in time\n${await explain()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('two worker processes on one database run 1,000 jobs, each exactly once', { skip: !onPostgres() && 'PostgreSQL only: SQLite serves one process' }, async (t) => {
  const { app, env } = await setup(t)
  const em = app.kaiku.orm.em.fork()
  await em.transactional(async (tx) => {
    for (let n = 0; n < 1000; n++) await app.kaiku.jobs.queue.enqueue(tx, 'fixture.record', { text: `job-${n}` })
  })
  const workers = [spawnKaiku(t, ['bin/kaiku.mjs', 'worker'], env), spawnKaiku(t, ['bin/kaiku.mjs', 'worker'], env)]
  // Only the test's own jobs: the fixture's minutely schedule adds a keyed job whenever a minute turns.
  const ours = { key: null }
  const sql = (query: string) => em.getConnection().execute(query)
  await until(
    async () => (await em.fork().count(JobRecord, { ...ours, status: 'done' })) === 1000,
    120_000,
    async () =>
      JSON.stringify(await sql('select status, count(*) as n, max(last_error) as error from kaiku_job where key is null group by status')) +
      workers.map(({ child, output }, n) => `\nworker ${n + 1} (exit ${child.exitCode ?? child.signalCode ?? 'none'}):\n${output()}`).join('')
  )
  for (const { child } of workers) {
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    t.equal((await exited)[0], 0, 'the worker stops cleanly')
  }
  const rows = await sql("select text, count(*) as n from fixture_note where text like 'job-%' group by text having count(*) > 1")
  t.same(rows, [], 'no job ran twice')
  t.equal(Number((await sql("select count(distinct text) as n from fixture_note where text like 'job-%'"))[0].n), 1000, 'every job ran')
  const byWorker = await sql('select locked_by, count(*) as n from kaiku_job where key is null group by locked_by')
  t.equal(byWorker.length, 2, 'both workers took part')
})

t.test('a worker killed with SIGKILL mid-job: the job completes once after its lease expires', async (t) => {
  const { app, env } = await setup(t, { KAIKU_JOB_LEASE_MS: '1000' })
  const em = app.kaiku.orm.em.fork()
  const { id } = await app.kaiku.jobs.queue.enqueue(em, 'fixture.sleep', { ms: 2500, text: 'slept' })
  const first = spawnKaiku(t, ['bin/kaiku.mjs', 'worker'], env)
  await until(async () => (await em.fork().findOneOrFail(JobRecord, { id })).status === 'running')
  const killed = once(first.child, 'exit')
  first.child.kill('SIGKILL')
  await killed
  const stuck = await em.fork().findOneOrFail(JobRecord, { id })
  t.equal(stuck.status, 'running', 'the dead worker still holds the job')

  spawnKaiku(t, ['bin/kaiku.mjs', 'worker'], env)
  await until(async () => (await em.fork().findOneOrFail(JobRecord, { id })).status === 'done')
  const done = await em.fork().findOneOrFail(JobRecord, { id })
  t.equal(done.attempts, 2, 'the killed attempt counts')
  t.not(done.lockedBy, stuck.lockedBy, 'another worker finished it')
  const notes = await em.getConnection().execute("select count(*) as n from fixture_note where text = 'slept'")
  t.equal(Number(notes[0].n), 1, 'it completed exactly once')
})

t.test('the web process runs workers by default; KAIKU_WORKER=off keeps it from running any', async (t) => {
  const { app, env } = await setup(t)
  const em = app.kaiku.orm.em.fork()
  const { id } = await app.kaiku.jobs.queue.enqueue(em, 'fixture.record', { text: 'from the web process' })
  const off = await startServer(t, { env: { ...env, KAIKU_WORKER: 'off' } })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal((await em.fork().findOneOrFail(JobRecord, { id })).status, 'queued', 'nothing ran with KAIKU_WORKER=off')
  const exited = once(off.child, 'exit')
  off.child.kill('SIGTERM')
  await exited
  await startServer(t, { env })
  await until(async () => (await em.fork().findOneOrFail(JobRecord, { id })).status === 'done')
  t.pass('the default web process ran it')
})
