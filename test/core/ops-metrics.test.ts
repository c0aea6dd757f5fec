import { request as httpRequest } from 'node:http'
import t from 'tap'
import { JobRecord } from '../../core/jobs/job.entity.js'
import { MailRecord } from '../../core/mail/mail.entity.js'
import { build, fixturePlugin, onPostgres } from '../helper.js'
import { startServer } from '../processes.js'
import { kaiku } from './ops-support.js'

/** The value of one series in Prometheus text, e.g. `kaiku_jobs{status="queued"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('/metrics tells the job queue depth and age, the mail log and the connection pool', async (t) => {
  const app = await build(t, { plugins: [fixturePlugin()] })
  const scrape = async () => (await app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' })).body

  const empty = await scrape()
  t.equal(sample(empty, 'kaiku_job_queue_depth'), 0)
  t.equal(sample(empty, 'kaiku_job_queue_oldest_age_seconds'), 0, 'no job waits')

  const em = app.kaiku.orm.em.fork()
  const waitingSince = new Date(Date.now() - 90_000)
  for (const text of ['a', 'b', 'c']) await app.kaiku.jobs.queue.enqueue(em, 'fixture.record', { text }, { runAt: waitingSince })
  await app.kaiku.jobs.queue.enqueue(em, 'fixture.record', { text: 'later' }, { runAt: new Date(Date.now() + 3_600_000) })
  await app.kaiku.mailer.send(em, { to: 'ada@acme.com', template: 'core/test' })
  await app.kaiku.mailer.send(em, { to: 'ben@acme.com', template: 'core/test' })
  await em.flush()
  await em.nativeUpdate(MailRecord, { recipient: 'ben@acme.com' }, { status: 'dead' })
  await em.nativeUpdate(JobRecord, { name: 'core.mail' }, { status: 'done' })

  const busy = await scrape()
  t.equal(sample(busy, 'kaiku_job_queue_depth'), 3, 'due jobs, not the one scheduled for later')
  t.equal(sample(busy, 'kaiku_jobs{status="queued"}'), 4)
  t.ok(sample(busy, 'kaiku_job_queue_oldest_age_seconds')! >= 90, 'the oldest due job has waited at least 90 s')
  t.ok(sample(busy, 'kaiku_job_queue_oldest_age_seconds')! < 600)
  t.equal(sample(busy, 'kaiku_mail_messages{status="queued"}'), 1)
  t.equal(sample(busy, 'kaiku_mail_messages{status="dead"}'), 1, 'failed mail')
  t.equal(sample(busy, 'kaiku_mail_messages{status="sent"}'), 0)
  t.equal(sample(busy, 'kaiku_db_pool_max'), onPostgres() ? 10 : 1)
  t.ok(sample(busy, 'kaiku_db_pool_connections{state="used"}')! >= 0)
  t.ok(sample(busy, 'kaiku_db_pool_connections{state="idle"}')! >= 0)
  t.equal(sample(busy, 'kaiku_db_pool_connections{state="waiting"}'), 0)
})

t.test('log lines of a request carry its tenant and request id', async (t) => {
  const server = await startServer(t, { plugins: ['tenancy', 'auth'], env: { LOG_LEVEL: 'info' } })
  const created = await kaiku(server.env, server.dir, 'tenant', 'create', '--slug', 'acme', '--name', 'Acme', '--domain', 'acme.com')
  t.equal(created.code, 0, created.err)
  let logs = ''
  server.child.stdout!.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')))

  const { port } = new URL(server.url)
  const requestId = await new Promise<string>((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/login', headers: { host: `acme.127.0.0.1:${port}` } }, (response) => {
      response.resume()
      response.on('end', () => resolve(String(response.headers['x-request-id'])))
    })
    request.on('error', reject)
    request.end()
  })
  const deadline = Date.now() + 5_000
  while (!logs.includes('request completed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))

  const lines = logs.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
  const completed = lines.find((line) => line.msg === 'request completed' && line.reqId === requestId)
  t.ok(completed, 'the request was logged with its id')
  t.equal(completed?.tenant, 'acme', 'and with its tenant')
})
