import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPostgresDatabase } from './databases.js'
import { dashboardBench } from './dashboard.js'
import { feedBench } from './feed.js'
import { redirectBench } from './redirect.js'
import { cleanupOnExit, CONNECTIONS, emptyConfig, finishRun, runSettings, kaikuEnv, measurer, prepare, runRounds, startBaseline, startKaiku, stopServer, type Group } from './harness.js'
import { freePort, residentMiB, type Server } from './processes.js'
import { summarise, table, type Comparison } from './report.js'

/**
 * Kaiku's per-request overhead against bare Fastify: both servers pinned to core 0, wrk pinned to
 * core 1, baseline and Kaiku measured back to back for each endpoint in interleaved rounds (order
 * alternating), reported as the median of the per-round ratios. `npm run bench -- feed` runs the
 * feed benchmark instead (bench/feed.ts), `-- redirect` the short-link one (bench/redirect.ts),
 * `-- dashboard` the analytics one (bench/dashboard.ts).
 * See bench/README.md.
 */
const resultsFile = join(import.meta.dirname, 'results', 'latest.json')

const ENDPOINTS = [
  { id: 'healthz', kaikuPath: '/healthz', baselinePath: '/json', what: 'JSON, touches nothing', needsDatabase: false },
  { id: 'readyz', kaikuPath: '/readyz', baselinePath: '/json', what: 'JSON after a database round trip', needsDatabase: true },
  { id: 'setup', kaikuPath: '/setup', baselinePath: '/html', what: 'full page: layout, helmet, session', needsDatabase: false }
]

interface KaikuTarget {
  database: Comparison['database']
  server: Server
  endpoints: typeof ENDPOINTS
}

async function main(): Promise<void> {
  const { settings, cpu, wrk } = prepare()
  const cleanup = cleanupOnExit()
  try {
    const dir = mkdtempSync(join(tmpdir(), 'kaiku-bench-'))
    cleanup.add(async () => rmSync(dir, { recursive: true, force: true }))
    const configFile = emptyConfig(dir)

    const startTarget = async (database: Comparison['database'], databaseUrl: string): Promise<Server> => {
      const env = kaikuEnv({ dir, name: database, port: await freePort(), databaseUrl, configFile, plugins: process.env.KAIKU_PLUGINS })
      const server = await startKaiku(`kaiku (${database})`, env, cpu.server)
      cleanup.add(() => stopServer(server))
      return server
    }

    const baseline = await startBaseline(cpu.server)
    cleanup.add(() => stopServer(baseline))

    const targets: KaikuTarget[] = [
      { database: 'sqlite', server: await startTarget('sqlite', `sqlite:${join(dir, 'kaiku.db')}`), endpoints: ENDPOINTS }
    ]
    if (settings.postgres) {
      const database = await createPostgresDatabase(settings.postgres)
      cleanup.add(() => database.drop())
      process.stdout.write(`bench: PostgreSQL database ${database.name} created (dropped at the end)\n`)
      const server = await startTarget('postgresql', database.url)
      // Only /readyz reaches the database; the other endpoints would measure the same code twice.
      targets.push({ database: 'postgresql', server, endpoints: ENDPOINTS.filter((e) => e.needsDatabase) })
    }

    const runsPerRound = ENDPOINTS.length + targets.reduce((n, t) => n + t.endpoints.length, 0)
    const warmupRuns = 2 + targets.reduce((n, t) => n + t.endpoints.length, 0)
    const estimate = settings.rounds * runsPerRound * settings.seconds + warmupRuns * settings.warmupSeconds
    process.stdout.write(
      `bench: ${settings.rounds} round(s) of ${settings.seconds} s per run, ${runsPerRound} runs a round, ` +
        `about ${estimate} s of load; servers on cpu ${cpu.server ?? 'any'}, wrk on cpu ${cpu.load ?? 'any'}\n`
    )

    const measure = measurer(cpu.load)
    if (settings.warmupSeconds > 0) {
      process.stdout.write(`bench: warming up (${settings.warmupSeconds} s per endpoint and server)\n`)
      for (const path of ['/json', '/html']) await measure({ server: baseline, path }, settings.warmupSeconds)
      for (const target of targets) {
        for (const endpoint of target.endpoints) await measure({ server: target.server, path: endpoint.kaikuPath }, settings.warmupSeconds)
      }
    }

    // One group per endpoint: the baseline first, then every Kaiku that serves the endpoint.
    const groups = ENDPOINTS.map((endpoint) => {
      const serving = targets.filter((t) => t.endpoints.includes(endpoint))
      const group: Group = {
        id: endpoint.id,
        runs: [{ server: baseline, path: endpoint.baselinePath }, ...serving.map((t) => ({ server: t.server, path: endpoint.kaikuPath }))]
      }
      return { endpoint, serving, group }
    })
    const loadBefore = loadavg()
    const { results, warnings } = await runRounds(
      groups.map((g) => g.group),
      settings.rounds,
      settings.seconds,
      measure
    )

    const summaries = groups.flatMap(({ endpoint, serving, group }) =>
      serving.map((target, index) =>
        summarise(
          { id: endpoint.id, kaikuPath: endpoint.kaikuPath, baselinePath: endpoint.baselinePath, database: target.database, what: endpoint.what },
          results.get(group)!.map((measured, round) => ({ round: round + 1, baseline: measured[0], kaiku: measured[index + 1] }))
        )
      )
    )
    // Sorted by database as before: SQLite rows first.
    summaries.sort((a, b) => (a.database === b.database ? 0 : a.database === 'sqlite' ? -1 : 1))
    const memory = Object.fromEntries([baseline, ...targets.map((t) => t.server)].map((s) => [s.name, residentMiB(s)]))

    process.stdout.write(`\n${table(summaries)}\n\n`)
    finishRun(resultsFile, { verdicts: [], digits: 2, memory, warnings, wrk, loadBefore, settings: runSettings(settings, cpu, CONNECTIONS) }, { comparisons: summaries })
  } finally {
    await cleanup.run()
  }
}

const suites: Record<string, () => Promise<void>> = { core: main, feed: feedBench, redirect: redirectBench, dashboard: dashboardBench }
const suite = suites[process.argv[2] ?? 'core']
if (!suite) {
  process.stderr.write(`bench: unknown benchmark '${process.argv[2]}'; choose one of: ${Object.keys(suites).join(', ')}\n`)
  process.exitCode = 2
} else {
  suite().catch((error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message ?? error}\n`)
    process.exitCode = 1
  })
}
