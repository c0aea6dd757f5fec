import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { checkLoopbackPostgres, createPostgresDatabase } from './databases.js'
import { cpuMicroseconds, freePort, killAll, residentMiB, startServer, stopServer, type Server } from './processes.js'
import { summarise, table, writeJson, type Comparison, type Measurement, type RoundSample } from './report.js'
import { runWrk, wrkVersion } from './wrk.js'

/**
 * Kaiku's per-request overhead against bare Fastify: both servers pinned to core 0, wrk pinned to
 * core 1, baseline and Kaiku measured back to back for each endpoint in interleaved rounds (order
 * alternating), reported as the median of the per-round ratios. See bench/README.md.
 */
const benchDir = import.meta.dirname
const repoRoot = resolve(benchDir, '..')
const resultsFile = join(benchDir, 'results', 'latest.json')
const CONNECTIONS = 16

interface Settings {
  rounds: number
  seconds: number
  warmupSeconds: number
  postgres?: URL
}

function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}: '${raw}' is not valid; expected a whole number from ${min} to ${max}`)
  }
  return value
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const databaseUrl = env.DATABASE_URL ?? ''
  return {
    rounds: intSetting(env, 'BENCH_ROUNDS', 5, 1, 20),
    seconds: intSetting(env, 'BENCH_SECONDS', 5, 1, 60),
    warmupSeconds: intSetting(env, 'BENCH_WARMUP', 2, 0, 30),
    postgres: /^postgres(ql)?:\/\//.test(databaseUrl) ? checkLoopbackPostgres(databaseUrl) : undefined
  }
}

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

/** Both cores usable and taskset present: pin servers to core 0 and wrk to core 1. */
function pinning(): { server?: string; load?: string } {
  const ok = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0,1', 'true']).status === 0
  return ok ? { server: '0', load: '1' } : {}
}

function describeTree(): string {
  const result = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: repoRoot, encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : 'unknown'
}

async function main(): Promise<void> {
  const settings = readSettings(process.env)
  const wrk = wrkVersion()
  if (!wrk) {
    process.stderr.write('bench: wrk is not installed. Install it (Debian/Ubuntu: apt-get install -y wrk) and run again.\n')
    process.exit(1)
  }
  const cpu = pinning()
  if (cpu.server === undefined) process.stderr.write('bench: fewer than 2 usable cores or no taskset; running unpinned\n')

  const cleanups: (() => Promise<void>)[] = []
  let cleaning: Promise<void> | undefined
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const step of cleanups.reverse()) await step().catch((error) => process.stderr.write(`bench: cleanup: ${error}\n`))
      killAll()
    })())
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping servers\n`)
      void cleanup().finally(() => process.exit(130))
    })
  }

  try {
    const dir = mkdtempSync(join(tmpdir(), 'kaiku-bench-'))
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
    const configFile = join(dir, 'kaiku.json')
    writeFileSync(configFile, '{}\n')
    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, HOST: '127.0.0.1' }

    const startKaiku = async (database: Comparison['database'], databaseUrl: string): Promise<Server> => {
      const port = await freePort()
      const dataDir = join(dir, `data-${database}`)
      mkdirSync(dataDir, { recursive: true })
      const server = await startServer({
        name: `kaiku (${database})`,
        args: ['core/server.ts'],
        cwd: repoRoot,
        port,
        readyPath: '/readyz',
        cpu: cpu.server,
        env: {
          ...baseEnv,
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          KAIKU_DATA_DIR: dataDir,
          KAIKU_SECRET: randomBytes(32).toString('hex'),
          KAIKU_CONFIG: configFile,
          LOG_LEVEL: 'silent',
          ...(process.env.KAIKU_PLUGINS !== undefined ? { KAIKU_PLUGINS: process.env.KAIKU_PLUGINS } : {})
        }
      })
      cleanups.push(() => stopServer(server))
      return server
    }

    const baselinePort = await freePort()
    const baseline = await startServer({
      name: 'baseline',
      args: ['bench/baseline-server.ts'],
      cwd: repoRoot,
      port: baselinePort,
      readyPath: '/json',
      cpu: cpu.server,
      env: { ...baseEnv, PORT: String(baselinePort) }
    })
    cleanups.push(() => stopServer(baseline))

    const targets: KaikuTarget[] = [
      { database: 'sqlite', server: await startKaiku('sqlite', `sqlite:${join(dir, 'kaiku.db')}`), endpoints: ENDPOINTS }
    ]
    if (settings.postgres) {
      const database = await createPostgresDatabase(settings.postgres)
      cleanups.push(() => database.drop())
      process.stdout.write(`bench: PostgreSQL database ${database.name} created (dropped at the end)\n`)
      const server = await startKaiku('postgresql', database.url)
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

    const measure = async (server: Server, path: string, seconds: number): Promise<Measurement> => {
      const cpuBefore = cpuMicroseconds(server)
      const result = await runWrk({ url: server.url(path), seconds, connections: CONNECTIONS, cpu: cpu.load })
      const cpuAfter = cpuMicroseconds(server)
      if (result.non2xx > 0) throw new Error(`${server.name} ${path}: ${result.non2xx} answers were not 2xx/3xx; not a valid measurement`)
      const cpuMicrosecondsPerRequest =
        cpuBefore !== undefined && cpuAfter !== undefined && result.requests > 0 ? (cpuAfter - cpuBefore) / result.requests : undefined
      return { ...result, cpuMicrosecondsPerRequest }
    }

    if (settings.warmupSeconds > 0) {
      process.stdout.write(`bench: warming up (${settings.warmupSeconds} s per endpoint and server)\n`)
      for (const path of ['/json', '/html']) await measure(baseline, path, settings.warmupSeconds)
      for (const target of targets) {
        for (const endpoint of target.endpoints) await measure(target.server, endpoint.kaikuPath, settings.warmupSeconds)
      }
    }

    const loadBefore = loadavg()
    const samples = new Map<string, RoundSample[]>()
    const warnings: string[] = []
    for (let round = 1; round <= settings.rounds; round++) {
      for (const endpoint of ENDPOINTS) {
        const runs: { server: Server; path: string; target?: KaikuTarget }[] = [
          { server: baseline, path: endpoint.baselinePath },
          ...targets.filter((t) => t.endpoints.includes(endpoint)).map((t) => ({ server: t.server, path: endpoint.kaikuPath, target: t }))
        ]
        if (round % 2 === 0) runs.reverse()
        const results = new Map<Server, Measurement>()
        for (const run of runs) {
          const result = await measure(run.server, run.path, settings.seconds)
          results.set(run.server, result)
          if (result.socketErrors > 0) warnings.push(`round ${round}: ${run.server.name} ${run.path}: ${result.socketErrors} socket errors`)
          process.stdout.write(
            `  round ${round}/${settings.rounds}  ${run.server.name.padEnd(20)} ${run.path.padEnd(8)} ` +
              `${Math.round(result.requestsPerSecond).toString().padStart(7)} req/s  ` +
              `${(result.cpuMicrosecondsPerRequest ?? Number.NaN).toFixed(0).padStart(4)} CPU µs/req  p99 ${result.p99Ms.toFixed(2)} ms\n`
          )
        }
        for (const target of targets.filter((t) => t.endpoints.includes(endpoint))) {
          const key = `${endpoint.id}:${target.database}`
          const list = samples.get(key) ?? []
          list.push({ round, baseline: results.get(baseline)!, kaiku: results.get(target.server)! })
          samples.set(key, list)
        }
      }
    }

    const summaries = targets.flatMap((target) =>
      target.endpoints.map((endpoint) =>
        summarise(
          { id: endpoint.id, kaikuPath: endpoint.kaikuPath, baselinePath: endpoint.baselinePath, database: target.database, what: endpoint.what },
          samples.get(`${endpoint.id}:${target.database}`) ?? []
        )
      )
    )
    const memory = Object.fromEntries([baseline, ...targets.map((t) => t.server)].map((s) => [s.name, residentMiB(s)]))

    process.stdout.write(`\n${table(summaries)}\n\n`)
    process.stdout.write(`resident memory after the run (MiB): ${JSON.stringify(memory)}\n`)
    for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`)
    writeJson(resultsFile, {
      finishedAt: new Date().toISOString(),
      tree: describeTree(),
      machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, wrk },
      loadAverage: { before: loadBefore, after: loadavg() },
      settings: { ...settings, postgres: settings.postgres ? true : false, connections: CONNECTIONS, threads: 1, pinning: cpu },
      residentMiB: memory,
      warnings,
      comparisons: summaries
    })
    process.stdout.write(`bench: results written to ${resultsFile}\n`)
  } finally {
    await cleanup()
  }
}

process.on('exit', killAll)
main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message ?? error}\n`)
  process.exitCode = 1
})
