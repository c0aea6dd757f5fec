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

type ProbeKind = 'dashboard-page' | 'dashboard-scan' | 'leaderboard-page' | 'leaderboard-scan'
const KINDS: ProbeKind[] = ['dashboard-page', 'dashboard-scan', 'leaderboard-page', 'leaderboard-scan']

interface Probe {
  id: ProbeKind
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

/**
 * Milliseconds of one probe: the median of `repeat` runs one after the other. A page is first
 * requested once untimed: what is timed is the page on a server in use, not its first answer after
 * the probe before (which, after a scan of ten million clicks on the same disk, was some 30 % slower
 * for several requests on SQLite, while the scan's sorting spilled to disk).
 */
async function time(probe: Probe, repeat: number): Promise<number> {
  if (probe.id.endsWith('-page')) await probe.run()
  const times: number[] = []
  for (let i = 0; i < repeat; i++) {
    const started = performance.now()
    await probe.run()
    times.push(performance.now() - started)
  }
  return median(times)
}

type Times = Record<ProbeKind, number>

interface SizeResult {
  database: Comparison['database']
  clicks: number
  timings: Timings
  /** Per round, milliseconds of each probe. */
  rounds: Times[]
  median: Times
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

/**
 * Interleaved rounds of the four probes of both sizes (eight in a round, order reversed every other
 * round), after their warm-up: the two sizes are measured under the same conditions of the machine.
 */
async function measureSizes(sizes: { label: string; probes: Probe[] }[], rounds: number, repeat: number, warmupSeconds: number): Promise<Times[][]> {
  for (const { probes } of sizes) for (const probe of probes) await warmUp(probe, warmupSeconds)
  const measured: Times[][] = sizes.map(() => [])
  const all = sizes.flatMap(({ probes }, size) => probes.map((probe) => ({ size, probe })))
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 0 ? [...all].reverse() : all
    const times = sizes.map(() => ({}) as Times)
    for (const { size, probe } of order) times[size][probe.id] = await time(probe, repeat)
    sizes.forEach(({ label }, size) => {
      measured[size].push(times[size])
      process.stdout.write(`  round ${round}/${rounds}  ${label.padEnd(22)} ${KINDS.map((id) => `${id} ${times[size][id].toFixed(1)} ms`).join('  ')}\n`)
    })
  }
  return measured
}

function summariseSize(rounds: Times[]): Pick<SizeResult, 'rounds' | 'median' | 'ratio'> {
  return {
    rounds,
    median: Object.fromEntries(KINDS.map((id) => [id, median(rounds.map((times) => times[id]))])) as Times,
    ratio: {
      dashboard: median(rounds.map((times) => times['dashboard-page'] / times['dashboard-scan'])),
      leaderboard: median(rounds.map((times) => times['leaderboard-page'] / times['leaderboard-scan']))
    }
  }
}

/** The median over rounds of the bigger size's time ÷ the smaller's, both measured in the same round. */
const roundRatio = (big: SizeResult, small: SizeResult, id: ProbeKind) => median(big.rounds.map((times, round) => times[id] / small.rounds[round][id]))

interface Target {
  database: Comparison['database']
  server: Server
  beaconPath: string
}

interface Seeded {
  clicks: number
  timings: Timings
  env: Record<string, string>
  tenantId: string
  beaconPath: string
  server: Server
  cookie: string
}

type BenchInput = { database: Comparison['database']; url: (name: string) => Promise<string>; dir: string; configFile: string; plugins?: string; sizes: [number, number]; shares: number; rounds: number; repeat: number; warmupSeconds: number; cpu?: string }

/**
 * One database of `clicks[0]` clicks, grown to each later count in turn (more clicks on the same
 * shares, rolled up again), with a Kaiku server started on it and the owner signed in.
 */
async function seedSize(input: BenchInput, clicks: number[], cleanup: Cleanup): Promise<Seeded> {
  const { database, dir, shares } = input
  const name = `dashboard-${database}-${clicks.at(-1)}`
  const env = kaikuEnv({ dir, name, port: await freePort(), databaseUrl: await input.url(name), configFile: input.configFile, plugins: input.plugins })
  const report = (count: number, timings: Timings) =>
    process.stdout.write(
      `bench: ${database}: ${count.toLocaleString('en-US')} clicks on ${shares.toLocaleString('en-US')} shares seeded in ${timings.seedSeconds.toFixed(1)} s, ` +
        `rolled up (kaiku analytics rebuild) in ${timings.rollupSeconds.toFixed(1)} s into ${timings.rollupRows.toLocaleString('en-US')} daily counters\n`
    )
  const seeded = await seedDashboard(env, dir, { clicks: clicks[0], shares })
  report(clicks[0], seeded)
  let timings: Timings = seeded
  for (let i = 1; i < clicks.length; i++) {
    timings = await growDashboard(env, dir, { tenantId: seeded.tenantId, shares, from: clicks[i - 1], to: clicks[i] })
    report(clicks[i], timings)
  }
  await finishSeed(env, dir)
  const server = await startKaiku(`kaiku ${database} ${clicks.at(-1)! / 1e6}M`, env, input.cpu)
  cleanup.add(() => stopServer(server))
  return { clicks: clicks.at(-1)!, timings, env, tenantId: seeded.tenantId, beaconPath: seeded.beaconPath, server, cookie: await signIn(server, OWNER) }
}

/**
 * One engine: a database of the smaller size and one grown from it to the bigger, each with its own
 * server, measured in the same rounds. The smaller one's server stops after; beacons go to the bigger's.
 */
async function benchDatabase(input: BenchInput, cleanup: Cleanup): Promise<{ target: Target; sizes: SizeResult[] }> {
  const { database, dir, sizes } = input
  const small = await seedSize(input, [sizes[0]], cleanup)
  const big = await seedSize(input, sizes, cleanup)
  const label = (clicks: number) => `${database} ${clicks / 1e6}M`
  // An app of the bench's own per database runs the scans; each scan's sum is the clicks its page must show.
  const rounds = await withApp(small.env, dir, (smallApp) =>
    withApp(
      big.env,
      dir,
      async (bigApp) => {
        const probes = await Promise.all(
          [
            { seeded: small, app: smallApp },
            { seeded: big, app: bigApp }
          ].map(async ({ seeded, app }) => {
            let humanClicks = 0
            const scans = scanProbes(app, seeded.tenantId, (rows) => (humanClicks = rows.reduce((sum, row) => sum + Number(row.clicks), 0)))
            await scans[0].run()
            const pages = pageProbes(seeded.server, seeded.cookie, () => humanClicks.toLocaleString('en-US'))
            return { label: label(seeded.clicks), probes: [pages[0], scans[0], pages[1], scans[1]] }
          })
        )
        return measureSizes(probes, input.rounds, input.repeat, input.warmupSeconds)
      },
      { migrate: false }
    ),
    { migrate: false }
  )
  await stopServer(small.server)
  return {
    target: { database, server: big.server, beaconPath: big.beaconPath },
    sizes: [small, big].map((seeded, size) => ({ database, clicks: seeded.clicks, timings: seeded.timings, ...summariseSize(rounds[size]) }))
  }
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
        { database, url, dir, configFile, plugins, sizes, shares, rounds: settings.rounds, repeat, warmupSeconds: settings.warmupSeconds, cpu: cpu.server },
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
        dashboard: roundRatio(big, small, 'dashboard-page'),
        leaderboard: roundRatio(big, small, 'leaderboard-page'),
        rawScan: roundRatio(big, small, 'dashboard-scan')
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
