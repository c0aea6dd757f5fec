import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../core/app.js'
import { loadConfig } from '../core/config/load.js'
import { checkLoopbackPostgres, createPostgresDatabase, describeHousekeeping } from './databases.js'
import { cpuMicroseconds, freePort, killAll, startServer, stopServer, type Server } from './processes.js'
import { writeJson, type Comparison, type Measurement } from './report.js'
import { runWrk, wrkVersion } from './wrk.js'

/** What every bench shares: settings, pinning, cleanup, the servers and the interleaved rounds. */

export const repoRoot = resolve(import.meta.dirname, '..')
export const CONNECTIONS = 16

export interface Settings {
  rounds: number
  seconds: number
  warmupSeconds: number
  postgres?: URL
}

export function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}: '${raw}' is not valid; expected a whole number from ${min} to ${max}`)
  }
  return value
}

export function readSettings(env: NodeJS.ProcessEnv): Settings {
  const databaseUrl = env.DATABASE_URL ?? ''
  return {
    rounds: intSetting(env, 'BENCH_ROUNDS', 5, 1, 20),
    seconds: intSetting(env, 'BENCH_SECONDS', 5, 1, 60),
    warmupSeconds: intSetting(env, 'BENCH_WARMUP', 2, 0, 30),
    postgres: /^postgres(ql)?:\/\//.test(databaseUrl) ? checkLoopbackPostgres(databaseUrl) : undefined
  }
}

/** Both cores usable and taskset present: pin servers to core 0 and wrk to core 1. */
export function pinning(): { server?: string; load?: string } {
  const ok = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0,1', 'true']).status === 0
  return ok ? { server: '0', load: '1' } : {}
}

/** Settings, wrk's version and the pinning, or a clear stop when wrk is missing. */
export function prepare(): { settings: Settings; cpu: ReturnType<typeof pinning>; wrk: string } {
  const settings = readSettings(process.env)
  const wrk = wrkVersion()
  if (!wrk) {
    process.stderr.write('bench: wrk is not installed. Install it (Debian/Ubuntu: apt-get install -y wrk) and run again.\n')
    process.exit(1)
  }
  const cpu = pinning()
  if (cpu.server === undefined) process.stderr.write('bench: fewer than 2 usable cores or no taskset; running unpinned\n')
  return { settings, cpu, wrk }
}

export function describeTree(): string {
  const result = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: repoRoot, encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : 'unknown'
}

/**
 * Steps that undo what the bench set up (servers, folders, databases), run last-added first on
 * success, error and Ctrl-C alike; anything still running is killed after them.
 */
export function cleanupOnExit(): { add(step: () => Promise<void>): void; run(): Promise<void> } {
  const steps: (() => Promise<void>)[] = []
  let running: Promise<void> | undefined
  const run = () =>
    (running ??= (async () => {
      for (const step of steps.reverse()) await step().catch((error) => process.stderr.write(`bench: cleanup: ${error}\n`))
      killAll()
    })())
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping servers\n`)
      void run().finally(() => process.exit(130))
    })
  }
  process.on('exit', killAll)
  return { add: (step) => void steps.push(step), run }
}

export type Cleanup = ReturnType<typeof cleanupOnExit>

/** What the results files say about the machine a run was made on. */
export const machine = (wrk: string) => ({ cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, wrk })

/**
 * What a results file says about how a run was made: the shared settings (the PostgreSQL URL only as
 * yes or no), wrk's shape and the pinning, then the bench's own (`own`).
 */
export function runSettings(settings: Settings, cpu: ReturnType<typeof pinning>, connections: number, own: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...settings, postgres: Boolean(settings.postgres), connections, threads: 1, pinning: cpu, ...own }
}

/** A target checked at the end of a run. */
export interface Verdict {
  what: string
  value: number
  target: number
  met: boolean
}

/**
 * The end every bench shares: the verdicts, memory and warnings on stdout, then the results file
 * with what the run was made on (tree, machine, load) ahead of the bench's own `results`.
 */
export function finishRun(
  resultsFile: string,
  run: { verdicts: Verdict[]; digits: number; memory: unknown; warnings: string[]; wrk: string; loadBefore: number[]; settings: Record<string, unknown> },
  results: Record<string, unknown>
): void {
  for (const v of run.verdicts) process.stdout.write(`${v.met ? 'met    ' : 'MISSED '} ${v.what}: ${v.value.toFixed(run.digits)} (target ${v.target})\n`)
  process.stdout.write(`resident memory after the run (MiB): ${JSON.stringify(run.memory)}\n`)
  for (const warning of run.warnings) process.stdout.write(`warning: ${warning}\n`)
  writeJson(resultsFile, {
    finishedAt: new Date().toISOString(),
    tree: describeTree(),
    machine: machine(run.wrk),
    loadAverage: { before: run.loadBefore, after: loadavg() },
    settings: run.settings,
    residentMiB: run.memory,
    warnings: run.warnings,
    verdicts: run.verdicts,
    ...results
  })
  process.stdout.write(`bench: results written to ${resultsFile}\n`)
}

/**
 * The databases a bench runs on: SQLite always (a file per name in `dir`), and PostgreSQL when
 * DATABASE_URL names one on loopback, a fresh database per call, dropped by `cleanup`.
 */
export function benchDatabases(settings: Settings, dir: string, cleanup: Cleanup): { database: Comparison['database']; url: (name: string) => Promise<string> }[] {
  const databases: ReturnType<typeof benchDatabases> = [{ database: 'sqlite', url: async (name) => `sqlite:${join(dir, `${name}.db`)}` }]
  const base = settings.postgres
  if (base) {
    databases.push({
      database: 'postgresql',
      url: async () => {
        const database = await createPostgresDatabase(base)
        cleanup.add(() => database.drop())
        process.stdout.write(`bench: PostgreSQL database ${database.name} created (dropped at the end)\n`)
        return database.url
      }
    })
  }
  return databases
}

/** Runs `work` with a Kaiku app of the bench's own on the database `env` names (migrated unless told), closed after. */
export async function withApp<T>(env: Record<string, string>, dir: string, work: (app: FastifyInstance) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir, ...(options.migrate === false ? { migrate: false } : {}) })
  try {
    await app.ready()
    return await work(app)
  } finally {
    await app.close()
  }
}

const cookieOf = (response: Response) => /(?:^|,\s*)(kaiku=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]

/** Signs a member in through the login form, as a browser does; returns the session cookie. */
export async function signIn(server: Server, member: { email: string; password: string }): Promise<string> {
  const form = await fetch(server.url('/login'), { headers: { accept: 'text/html' } })
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1]
  const formCookie = cookieOf(form)
  if (!token || !formCookie) throw new Error(`${server.name}: no login form (${form.status})`)
  const login = await fetch(server.url('/login'), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ email: member.email, password: member.password, _csrf: token })
  })
  const cookie = cookieOf(login)
  if (login.status !== 303 || !cookie) throw new Error(`${server.name}: the login of ${member.email} failed (${login.status})`)
  return cookie
}

/** The environment of a Kaiku server or of an app the bench builds itself: nothing of the developer's. */
export function kaikuEnv(options: { dir: string; name: string; port: number; databaseUrl: string; configFile: string; plugins?: string }): Record<string, string> {
  const dataDir = join(options.dir, `data-${options.name}`)
  mkdirSync(dataDir, { recursive: true })
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? options.dir,
    HOST: '127.0.0.1',
    PORT: String(options.port),
    KAIKU_PUBLIC_URL: `http://127.0.0.1:${options.port}`,
    DATABASE_URL: options.databaseUrl,
    KAIKU_DATA_DIR: dataDir,
    KAIKU_SECRET: randomBytes(32).toString('hex'),
    KAIKU_CONFIG: options.configFile,
    LOG_LEVEL: 'silent',
    ...(options.plugins !== undefined ? { KAIKU_PLUGINS: options.plugins } : {})
  }
}

/** An empty config file, so that a local `config/kaiku.json` never changes a result. */
export function emptyConfig(dir: string): string {
  const file = join(dir, 'kaiku.json')
  writeFileSync(file, '{}\n')
  return file
}

export async function startKaiku(name: string, env: Record<string, string>, cpu: string | undefined): Promise<Server> {
  return startServer({ name, args: ['core/server.ts'], cwd: repoRoot, port: Number(env.PORT), readyPath: '/readyz', cpu, env })
}

export async function startBaseline(cpu: string | undefined): Promise<Server> {
  const port = await freePort()
  return startServer({
    name: 'baseline',
    args: ['bench/baseline-server.ts'],
    cwd: repoRoot,
    port,
    readyPath: '/json',
    cpu,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? repoRoot, HOST: '127.0.0.1', PORT: String(port) }
  })
}

export { stopServer }

/** One wrk run against one server, with the server's CPU time per request. */
export interface Run {
  server: Server
  path: string
  headers?: Record<string, string>
  timeoutSeconds?: number
  /** Open connections (default CONNECTIONS). */
  connections?: number
  /** A wrk Lua script, e.g. one that spreads requests over many paths. */
  script?: string
  /** Checks a run's answers beyond their status (e.g. that they were the page, not a redirect). */
  check?: (result: Measurement) => void
}

/** Runs wrk (pinned to `cpu`) and reads the server's CPU time around it; refuses non-2xx/3xx answers. */
export function measurer(cpu: string | undefined) {
  return async (run: Run, seconds: number): Promise<Measurement> => {
    const cpuBefore = cpuMicroseconds(run.server)
    const result = await runWrk({ url: run.server.url(run.path), seconds, connections: run.connections ?? CONNECTIONS, cpu, headers: run.headers, timeoutSeconds: run.timeoutSeconds, script: run.script })
    const cpuAfter = cpuMicroseconds(run.server)
    if (result.non2xx > 0) throw new Error(`${run.server.name} ${run.path}: ${result.non2xx} answers were not 2xx/3xx; not a valid measurement`)
    const cpuMicrosecondsPerRequest =
      cpuBefore !== undefined && cpuAfter !== undefined && result.requests > 0 ? (cpuAfter - cpuBefore) / result.requests : undefined
    const measurement = { ...result, cpuMicrosecondsPerRequest }
    run.check?.(measurement)
    return measurement
  }
}

/** Runs measured together in each round: back to back, in alternating order. */
export interface Group {
  id: string
  runs: Run[]
}

/**
 * Interleaved rounds: in each round every group's runs go back to back, in their order in odd rounds
 * and reversed in even ones, so slow drifts of the machine hit every side alike. Returns, per group,
 * each round's measurement of each run (in the group's order).
 */
export async function runRounds(groups: Group[], rounds: number, seconds: number, measure: ReturnType<typeof measurer>): Promise<{ results: Map<Group, Measurement[][]>; warnings: string[] }> {
  const results = new Map<Group, Measurement[][]>(groups.map((group) => [group, []]))
  const warnings: string[] = []
  for (let round = 1; round <= rounds; round++) {
    for (const group of groups) {
      const order = group.runs.map((run, index) => ({ run, index }))
      if (round % 2 === 0) order.reverse()
      const measured: Measurement[] = new Array(group.runs.length)
      for (const { run, index } of order) {
        const result = await measure(run, seconds)
        measured[index] = result
        if (result.socketErrors > 0) warnings.push(`round ${round}: ${run.server.name} ${run.path}: ${result.socketErrors} socket errors`)
        process.stdout.write(
          `  round ${round}/${rounds}  ${run.server.name.padEnd(22)} ${run.path.padEnd(8)} ` +
            `${Math.round(result.requestsPerSecond).toString().padStart(7)} req/s  ` +
            `${(result.cpuMicrosecondsPerRequest ?? Number.NaN).toFixed(0).padStart(4)} CPU µs/req  p99 ${result.p99Ms.toFixed(2)} ms` +
            `${result.housekeeping ? `  [PostgreSQL: ${describeHousekeeping(result.housekeeping)}]` : ''}\n`
        )
      }
      results.get(group)!.push(measured)
    }
  }
  return { results, warnings }
}
