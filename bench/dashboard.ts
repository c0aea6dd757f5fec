import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { finishSeed, growDashboard, OWNER, seedDashboard, type Timings } from './dashboard-seed.js'
import { benchDatabases, cleanupOnExit, finishRun, runSettings, CONNECTIONS, emptyConfig, intSetting, kaikuEnv, measurer, prepare, runRounds, signIn, startBaseline, startKaiku, stopServer, withApp, type Cleanup, type Group } from './harness.js'
import { freePort, residentMiB, type Server } from './processes.js'
import { median, summarise, table, type Comparison } from './report.js'

/**
 * The analytics pages against the raw clicks they summarise: GET /admin/analytics (a 365-day range)
 * and GET /leaderboard?period=all, signed in as the owner, timed one request at a time against the
 * SQL that groups the raw `sharing_click` rows of the same range, run on the same database in the
 * same rounds; once with 1,000,000 clicks and again after 9,000,000 more. Then web beacons
 * (`/b/<token>.gif`) under wrk against bare Fastify's GIF handler. `npm run bench -- dashboard`;
 * see bench/README.md.
 */
const resultsFile = join(import.meta.dirname, 'results', 'dashboard.json')

/** Targets of issue 7: pages ≤ 0.05 × the raw scan, 10× the clicks ≤ 1.5 × the time, beacon ≥ 0.45 × bare. */
const TARGETS = { pageToScan: 0.05, scaling: 1.5, beacon: 0.45 }

function clickSizes(env: NodeJS.ProcessEnv): [number, number] {
  const raw = env.BENCH_CLICKS?.trim() || '1000000,10000000'
  const sizes = raw.split(',').map((part) => Number(part.trim()))
  if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n < 1000 || n > 50_000_000) || sizes[0] >= sizes[1]) {
    throw new Error(`BENCH_CLICKS: '${raw}' is not valid; expected two click counts, smaller first, each from 1000 to 50000000 (e.g. 1000000,10000000)`)
  }
  return [sizes[0], sizes[1]]
}

const DAY_MS = 86_400_000
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** The 365 days the dashboard is asked for, today included, and the same span as timestamps. */
function yearRange() {
  const today = Date.parse(`${dayOf(Date.now())}T00:00:00Z`)
  return { from: dayOf(today - 364 * DAY_MS), to: dayOf(today), start: new Date(today - 364 * DAY_MS), end: new Date(today + DAY_MS) }
}

/**
 * What the pages would have to compute without the rollup, as single queries on the raw clicks:
 * the dashboard's totals and top lists all derive from clicks grouped by (post, member, network) over
 * the range; the all-time leaderboard from clicks grouped by member. Both are cheaper than the real
 * thing would be (no distinct visitors per day, no shares, one query instead of one per table).
 */
const SCANS = {
  dashboard: `select post_id, member_id, network, sum(case when bot then 0 else 1 end) as clicks, sum(case when bot then 1 else 0 end) as bots
    from sharing_click where tenant_id = ? and at >= ? and at < ? group by post_id, member_id, network`,
  leaderboard: `select member_id, sum(case when bot then 0 else 1 end) as clicks from sharing_click where tenant_id = ? group by member_id`
}

type Row = Record<string, unknown>

interface Probe {
  id: 'dashboard-page' | 'dashboard-scan' | 'leaderboard-page' | 'leaderboard-scan'
  run(): Promise<void>
}

/** Pages fetched with the owner's session, each checked to be the page and not an error or a redirect. */
function pageProbes(server: Server, cookie: string, expectedClicks: () => string): Probe[] {
  const range = yearRange()
  const get = async (path: string, check: (body: string) => string | undefined) => {
    const response = await fetch(server.url(path), { headers: { cookie, accept: 'text/html' }, redirect: 'manual' })
    const body = await response.text()
    const problem = response.status !== 200 ? `status ${response.status}` : check(body)
    if (problem) throw new Error(`${server.name}: GET ${path} is not the page to measure: ${problem}`)
  }
  return [
    {
      id: 'dashboard-page',
      // The clicks card must show what the raw clicks of the range add up to: the rollup is complete.
      run: () => get(`/admin/analytics?from=${range.from}&to=${range.to}`, (body) => (body.includes(`>${expectedClicks()}<`) ? undefined : `no card with ${expectedClicks()} clicks`))
    },
    { id: 'leaderboard-page', run: () => get('/leaderboard?period=all', (body) => (body.includes('Member ') ? undefined : 'no member listed')) }
  ]
}

function scanProbes(app: FastifyInstance, tenantId: string, onDashboard: (rows: Row[]) => void): Probe[] {
  const range = yearRange()
  const em = app.kaiku.orm.em.fork()
  const platform = em.getPlatform()
  const query = (sql: string, params: unknown[]) => em.getConnection().execute<Row[]>(sql, params, 'all')
  return [
    { id: 'dashboard-scan', run: async () => onDashboard(await query(SCANS.dashboard, [tenantId, platform.processDateProperty(range.start), platform.processDateProperty(range.end)])) },
    { id: 'leaderboard-scan', run: async () => void (await query(SCANS.leaderboard, [tenantId])) }
  ]
}

/** Milliseconds of one probe: the median of `repeat` runs one after the other. */
async function time(probe: Probe, repeat: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < repeat; i++) {
    const started = performance.now()
    await probe.run()
    times.push(performance.now() - started)
  }
  return median(times)
}

interface SizeResult {
  database: Comparison['database']
  clicks: number
  timings: Timings
  /** Per round, milliseconds of each probe. */
  rounds: Record<Probe['id'], number>[]
  median: Record<Probe['id'], number>
  /** Median over rounds of page ÷ scan. */
  ratio: { dashboard: number; leaderboard: number }
}

/**
 * A page is requested for `seconds` (at least once) before it is measured: a server that has been up
 * a while answers it with compiled code, while its first few hundred answers after a start are some
 * 30 % slower. A scan runs once: its time is the database's.
 */
async function warmUp(probe: Probe, seconds: number): Promise<void> {
  const until = performance.now() + seconds * 1000
  do await probe.run()
  while (probe.id.endsWith('-page') && performance.now() < until)
}

/** Interleaved rounds of the four probes (order reversed every other round), after their warm-up. */
async function measureSize(probes: Probe[], rounds: number, repeat: number, label: string, warmupSeconds: number): Promise<Pick<SizeResult, 'rounds' | 'median' | 'ratio'>> {
  for (const probe of probes) await warmUp(probe, warmupSeconds)
  const measured: SizeResult['rounds'] = []
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 0 ? [...probes].reverse() : probes
    const times = {} as Record<Probe['id'], number>
    for (const probe of order) times[probe.id] = await time(probe, repeat)
    measured.push(times)
    process.stdout.write(
      `  round ${round}/${rounds}  ${label.padEnd(22)} ` +
        (['dashboard-page', 'dashboard-scan', 'leaderboard-page', 'leaderboard-scan'] as const).map((id) => `${id} ${times[id].toFixed(1)} ms`).join('  ') +
        '\n'
    )
  }
  const of = (id: Probe['id']) => median(measured.map((times) => times[id]))
  return {
    rounds: measured,
    median: { 'dashboard-page': of('dashboard-page'), 'dashboard-scan': of('dashboard-scan'), 'leaderboard-page': of('leaderboard-page'), 'leaderboard-scan': of('leaderboard-scan') },
    ratio: {
      dashboard: median(measured.map((times) => times['dashboard-page'] / times['dashboard-scan'])),
      leaderboard: median(measured.map((times) => times['leaderboard-page'] / times['leaderboard-scan']))
    }
  }
}

interface Target {
  database: Comparison['database']
  server: Server
  beaconPath: string
}

/** One database: seed the smaller size, measure, add the rest of the clicks, measure again. */
async function benchDatabase(
  input: { database: Comparison['database']; url: string; dir: string; configFile: string; plugins?: string; sizes: [number, number]; shares: number; rounds: number; repeat: number; warmupSeconds: number; cpu?: string },
  cleanup: Cleanup
): Promise<{ target: Target; sizes: SizeResult[] }> {
  const { database, dir, sizes, shares } = input
  const env = kaikuEnv({ dir, name: `dashboard-${database}`, port: await freePort(), databaseUrl: input.url, configFile: input.configFile, plugins: input.plugins })
  const seeded = await seedDashboard(env, dir, { clicks: sizes[0], shares })
  const report = (clicks: number, timings: Timings) =>
    process.stdout.write(
      `bench: ${database}: ${clicks.toLocaleString('en-US')} clicks on ${shares.toLocaleString('en-US')} shares seeded in ${timings.seedSeconds.toFixed(1)} s, ` +
        `rolled up (kaiku analytics rebuild) in ${timings.rollupSeconds.toFixed(1)} s into ${timings.rollupRows.toLocaleString('en-US')} daily counters\n`
    )
  report(sizes[0], seeded)
  const server = await startKaiku(`kaiku ${database}`, env, input.cpu)
  cleanup.add(() => stopServer(server))
  const cookie = await signIn(server, OWNER)
  const results: SizeResult[] = []
  const measureNow = async (clicks: number, timings: Timings) => {
    let humanClicks = 0
    const measured = await withApp(
      env,
      dir,
      async (app) => {
        const scans = scanProbes(app, seeded.tenantId, (rows) => (humanClicks = rows.reduce((sum, row) => sum + Number(row.clicks), 0)))
        await scans[0].run()
        const pages = pageProbes(server, cookie, () => humanClicks.toLocaleString('en-US'))
        return measureSize([pages[0], scans[0], pages[1], scans[1]], input.rounds, input.repeat, `${database} ${clicks / 1e6}M`, input.warmupSeconds)
      },
      { migrate: false }
    )
    results.push({ database, clicks, timings, ...measured })
  }
  await measureNow(sizes[0], seeded)
  const grown = await growDashboard(env, dir, { tenantId: seeded.tenantId, shares, from: sizes[0], to: sizes[1] })
  report(sizes[1], grown)
  await measureNow(sizes[1], grown)
  await finishSeed(env, dir)
  return { target: { database, server, beaconPath: seeded.beaconPath }, sizes: results }
}

export async function dashboardBench(): Promise<void> {
  const { settings, cpu, wrk } = prepare()
  const sizes = clickSizes(process.env)
  const shares = intSetting(process.env, 'BENCH_SHARES', 10_000, 100, 100_000)
  const repeat = intSetting(process.env, 'BENCH_REPEAT', 3, 1, 20)
  const plugins = process.env.KAIKU_PLUGINS?.trim() || undefined
  const cleanup = cleanupOnExit()
  try {
    const dir = mkdtempSync(join(tmpdir(), 'kaiku-bench-dashboard-'))
    cleanup.add(async () => rmSync(dir, { recursive: true, force: true }))
    const configFile = emptyConfig(dir)
    const loadBefore = loadavg()

    const targets: Target[] = []
    const sizeResults: SizeResult[] = []
    // BENCH_DATABASES=postgresql skips SQLite (e.g. to run PostgreSQL alone with bigger sizes).
    const only = process.env.BENCH_DATABASES?.split(',').map((name) => name.trim()).filter(Boolean)
    for (const { database, url } of benchDatabases(settings, dir, cleanup).filter((d) => !only?.length || only.includes(d.database))) {
      const { target, sizes: measured } = await benchDatabase(
        { database, url: await url('dashboard'), dir, configFile, plugins, sizes, shares, rounds: settings.rounds, repeat, warmupSeconds: settings.warmupSeconds, cpu: cpu.server },
        cleanup
      )
      targets.push(target)
      sizeResults.push(...measured)
    }

    // Beacons: bare Fastify's GIF handler, then each database's Kaiku, in interleaved wrk rounds.
    const baseline = await startBaseline(cpu.server)
    cleanup.add(() => stopServer(baseline))
    const group: Group = { id: 'beacon', runs: [{ server: baseline, path: '/b/bench.gif' }, ...targets.map((t) => ({ server: t.server, path: t.beaconPath }))] }
    const measure = measurer(cpu.load)
    if (settings.warmupSeconds > 0) for (const run of group.runs) await measure(run, settings.warmupSeconds)
    process.stdout.write(`bench: beacons, ${settings.rounds} round(s) of ${settings.seconds} s per run; servers on cpu ${cpu.server ?? 'any'}, wrk on cpu ${cpu.load ?? 'any'}\n`)
    const { results, warnings } = await runRounds([group], settings.rounds, settings.seconds, measure)
    const beacons = targets.map((target, index) =>
      summarise(
        { id: 'beacon', kaikuPath: '/b/<token>.gif', baselinePath: '/b/:token', database: target.database, what: 'web beacon: token checked, page view recorded (batched), 43-byte GIF', label: '`/b/<token>.gif` vs bare GIF' },
        results.get(group)!.map((measured, round) => ({ round: round + 1, baseline: measured[0], kaiku: measured[index + 1] }))
      )
    )

    const scaling = targets.map(({ database }) => {
      const [small, big] = sizeResults.filter((s) => s.database === database)
      return {
        database,
        clicks: [small.clicks, big.clicks],
        dashboard: big.median['dashboard-page'] / small.median['dashboard-page'],
        leaderboard: big.median['leaderboard-page'] / small.median['leaderboard-page'],
        rawScan: big.median['dashboard-scan'] / small.median['dashboard-scan']
      }
    })
    const count = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n.toLocaleString('en-US'))
    const verdicts = [
      ...sizeResults.flatMap((s) => [
        { what: `${s.database} ${count(s.clicks)}: dashboard ≤ ${TARGETS.pageToScan}× the raw scan`, value: s.ratio.dashboard, met: s.ratio.dashboard <= TARGETS.pageToScan, target: TARGETS.pageToScan },
        { what: `${s.database} ${count(s.clicks)}: leaderboard ≤ ${TARGETS.pageToScan}× the raw scan`, value: s.ratio.leaderboard, met: s.ratio.leaderboard <= TARGETS.pageToScan, target: TARGETS.pageToScan }
      ]),
      ...scaling.flatMap((s) => [
        { what: `${s.database}: dashboard with ${count(s.clicks[1])} clicks ≤ ${TARGETS.scaling}× its time with ${count(s.clicks[0])}`, value: s.dashboard, met: s.dashboard <= TARGETS.scaling, target: TARGETS.scaling },
        { what: `${s.database}: leaderboard with ${count(s.clicks[1])} clicks ≤ ${TARGETS.scaling}× its time with ${count(s.clicks[0])}`, value: s.leaderboard, met: s.leaderboard <= TARGETS.scaling, target: TARGETS.scaling }
      ]),
      ...beacons.map((b) => ({ what: `${b.database}: beacon ≥ ${TARGETS.beacon}× the bare GIF handler (req/s)`, value: b.ratio.median, met: b.ratio.median >= TARGETS.beacon, target: TARGETS.beacon }))
    ]
    const memory = Object.fromEntries([baseline, ...targets.map((t) => t.server)].map((s) => [s.name, residentMiB(s)]))

    const ms = (value: number) => value.toFixed(1)
    process.stdout.write(
      '\n' +
        [
          '| db | clicks | seeded in | rollup in | daily counters | dashboard ms | raw scan ms | dashboard ÷ scan | leaderboard ms | raw scan ms | leaderboard ÷ scan |',
          '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
          ...sizeResults.map((s) =>
            [
              s.database,
              s.clicks.toLocaleString('en-US'),
              `${s.timings.seedSeconds.toFixed(1)} s`,
              `${s.timings.rollupSeconds.toFixed(1)} s`,
              s.timings.rollupRows.toLocaleString('en-US'),
              ms(s.median['dashboard-page']),
              ms(s.median['dashboard-scan']),
              `**${s.ratio.dashboard.toFixed(3)}**`,
              ms(s.median['leaderboard-page']),
              ms(s.median['leaderboard-scan']),
              `**${s.ratio.leaderboard.toFixed(3)}**`
            ].join(' | ')
          ).map((row) => `| ${row} |`)
        ].join('\n') +
        '\n\n' +
        [
          '| db | clicks | dashboard big ÷ small | leaderboard big ÷ small | raw scan big ÷ small |',
          '|---|---|--:|--:|--:|',
          ...scaling.map((s) => `| ${s.database} | ${count(s.clicks[0])} → ${count(s.clicks[1])} | **${s.dashboard.toFixed(2)}** | **${s.leaderboard.toFixed(2)}** | ${s.rawScan.toFixed(2)} |`)
        ].join('\n') +
        `\n\n${table(beacons)}\n\n`
    )
    finishRun(
      resultsFile,
      {
        verdicts,
        digits: 3,
        memory,
        warnings,
        wrk,
        loadBefore,
        settings: runSettings(settings, cpu, CONNECTIONS, { clicks: sizes, shares, repeat, plugins: plugins ?? 'every built-in plugin', signedInAs: OWNER.email, range: yearRange() })
      },
      { scans: SCANS, sizes: sizeResults, scaling, beacons }
    )
  } finally {
    await cleanup.run()
  }
}
