import t from 'tap'
import { JobRecord } from '../../../core/jobs/job.entity.js'
import { canonicalTimeZone, fromLocalInput, nextRun, timeZoneNames, toLocalInput, validateSpec, zonedInstant } from '../../../core/jobs/schedule.js'
import { buildApp } from '../../../core/app.js'
import { loadConfig } from '../../../core/config/load.js'
import { build, fixturePlugin, testEnv } from '../../helper.js'

const at = (iso: string) => new Date(iso)

t.test('next runs: every N minutes, daily and weekly in a time zone, across daylight saving', async (t) => {
  t.equal(nextRun({ every: { minutes: 15 } }, at('2026-11-29T10:07:00Z'), 'UTC').toISOString(), '2026-11-29T10:15:00.000Z')
  t.equal(nextRun({ every: { minutes: 15 } }, at('2026-11-29T10:15:00Z'), 'UTC').toISOString(), '2026-11-29T10:30:00.000Z', 'strictly after')
  // Helsinki is UTC+2 in winter, UTC+3 in summer.
  t.equal(nextRun({ daily: '07:00' }, at('2026-11-29T04:00:00Z'), 'Europe/Helsinki').toISOString(), '2026-11-29T05:00:00.000Z')
  t.equal(nextRun({ daily: '07:00' }, at('2026-11-29T06:00:00Z'), 'Europe/Helsinki').toISOString(), '2026-11-30T05:00:00.000Z')
  t.equal(nextRun({ daily: '07:00' }, at('2026-07-01T00:00:00Z'), 'Europe/Helsinki').toISOString(), '2026-07-01T04:00:00.000Z')
  // The night clocks go forward (29 March 2026): 07:00 local is 04:00 UTC from then on.
  t.equal(nextRun({ daily: '07:00' }, at('2026-03-28T06:00:00Z'), 'Europe/Helsinki').toISOString(), '2026-03-29T04:00:00.000Z')
  // 2026-11-29 is a Sunday; the next Monday 08:30 in New York (UTC-5).
  t.equal(nextRun({ weekly: { day: 'mon', at: '08:30' } }, at('2026-11-29T12:00:00Z'), 'America/New_York').toISOString(), '2026-11-30T13:30:00.000Z')
  t.equal(nextRun({ weekly: { day: 'sun', at: '08:30' } }, at('2026-11-29T14:00:00Z'), 'America/New_York').toISOString(), '2026-12-06T13:30:00.000Z')
  t.equal(new Date(zonedInstant(2026, 11, 29, 0, 0, 'Asia/Kolkata')).toISOString(), '2026-11-28T18:30:00.000Z', 'half-hour offsets')
  t.throws(() => validateSpec({ daily: '25:00' }), /not a time of day/)
  t.throws(() => validateSpec({ every: { minutes: 0 } }), /every.minutes must be 1 to 1440/)
  t.throws(() => validateSpec({ weekly: { day: 'funday' as never, at: '08:00' } }), /weekly.day must be one of/)
})

t.test('a recurring job runs once per period, even with two instances ticking at once', async (t) => {
  const options = { plugins: [fixturePlugin()] }
  const first = await build(t, options)
  // A second instance on the same database, as a second server would be.
  const { env, dir } = await testEnv(t, options)
  env.DATABASE_URL = first.kaiku.config.databaseUrl
  const second = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => second.close())

  const count = () => first.kaiku.orm.em.fork().count(JobRecord, { name: 'fixture.record' })
  const start = at('2026-11-29T10:00:30Z')
  await Promise.all([first.kaiku.jobs.scheduler.tick(start), second.kaiku.jobs.scheduler.tick(start)])
  t.equal(await count(), 0, 'the first period is the next minute: nothing due yet')

  const due = at('2026-11-29T10:01:05Z')
  const made = await Promise.all([first.kaiku.jobs.scheduler.tick(due), second.kaiku.jobs.scheduler.tick(due), first.kaiku.jobs.scheduler.tick(due)])
  t.equal(made.reduce((a, b) => a + b, 0), 1, 'three ticks in the period, one job')
  t.equal(await count(), 1)
  const [job] = await first.kaiku.orm.em.fork().find(JobRecord, { name: 'fixture.record' })
  t.same(JSON.parse(job.payload), { text: 'tick', scope: 'global', scheduledFor: '2026-11-29T10:01:00.000Z' })

  await Promise.all([first.kaiku.jobs.scheduler.tick(at('2026-11-29T10:02:01Z')), second.kaiku.jobs.scheduler.tick(at('2026-11-29T10:02:02Z'))])
  t.equal(await count(), 2, 'the next period makes the next job')
  await first.kaiku.jobs.scheduler.tick(at('2026-11-29T10:09:00Z'))
  t.equal(await count(), 3, 'missed periods are not replayed one by one')
})

t.test('a plugin with a broken schedule or job name does not boot', async (t) => {
  const { preparePlugins } = await import('../../../core/host/prepare.js')
  const { createJobSystem } = await import('../../../core/jobs/system.js')
  const manifest = (extra: object) => ({ name: 'polls', version: '1.0.0', api: '^1.0.0', ...extra })
  const attempt = (extra: object) => {
    const plugins = preparePlugins([{ spec: 'polls', manifest: manifest(extra) }], {}, {})
    const { config } = loadConfig({}, '/tmp')
    return () => createJobSystem({ orm: {} as never, dialect: 'sqlite', log: {} as never, config, plugins, coreJobs: {}, contextOf: () => undefined })
  }
  const handler = async () => {}
  t.throws(attempt({ jobs: { 'other.job': { handler } } }), /plugin polls: job 'other.job' must be named 'polls.<job>'/)
  t.throws(attempt({ jobs: { 'polls.close': { handler } }, schedules: [{ name: 'polls.nightly', job: 'polls.open', spec: { daily: '02:00' } }] }), /schedule 'polls.nightly' runs unknown job 'polls.open'/)
  t.throws(attempt({ jobs: { 'polls.close': { handler } }, schedules: [{ name: 'polls.nightly', job: 'polls.close', spec: { daily: '2am' } }] }), /schedule 'polls.nightly': '2am' is not a time of day/)
})

t.test('datetime-local values read and written in a time zone', async (t) => {
  t.equal(fromLocalInput('2026-12-01T09:30', 'Europe/Helsinki')?.toISOString(), '2026-12-01T07:30:00.000Z', 'winter offset')
  t.equal(fromLocalInput('2026-07-01T09:30', 'Europe/Berlin')?.toISOString(), '2026-07-01T07:30:00.000Z', 'summer offset')
  t.equal(toLocalInput(new Date('2026-07-01T07:30:00Z'), 'Europe/Berlin'), '2026-07-01T09:30')
  t.equal(fromLocalInput('2026-03-29T02:30', 'Europe/Berlin')?.toISOString(), '2026-03-29T01:30:00.000Z', 'a skipped hour means the instant after it')
  for (const bad of ['2026-02-31T09:30', '2026-13-01T09:30', '2026-01-01T24:00', 'tomorrow', '']) t.equal(fromLocalInput(bad, 'UTC'), undefined, `refused: '${bad}'`)
})

t.test('time zones by their current names, whatever spelling the runtime keeps', async (t) => {
  t.equal(canonicalTimeZone('Europe/Kiev'), 'Europe/Kyiv', 'an old spelling becomes the current one')
  t.equal(canonicalTimeZone('Europe/Kyiv'), 'Europe/Kyiv', 'the current one stays (Node 20 itself answers Europe/Kiev)')
  t.equal(canonicalTimeZone('asia/calcutta'), 'Asia/Kolkata', 'in any case')
  t.equal(canonicalTimeZone('utc'), 'UTC')
  t.equal(canonicalTimeZone('Europe/Helsinki'), 'Europe/Helsinki')
  t.equal(canonicalTimeZone('Mars/Olympus'), undefined, 'an unknown zone is none')
  const names = timeZoneNames()
  t.ok(names.includes('Europe/Kyiv') && names.includes('Asia/Kolkata') && names.includes('America/Nuuk'), 'the list offers the current names')
  t.ok(names.includes('UTC'), 'and UTC, which the runtime does not list as a place')
  t.notOk(names.some((name) => ['Europe/Kiev', 'Asia/Calcutta', 'Asia/Saigon', 'America/Godthab'].includes(name)), 'and not the old ones')
  t.same(names, [...names].sort(), 'in alphabetical order')
  t.equal(new Set(names).size, names.length, 'each once')
})
