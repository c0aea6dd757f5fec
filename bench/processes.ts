import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Every child the bench starts, so that an error or Ctrl-C never leaves a server or wrk behind. */
const children = new Set<ChildProcess>()

export function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

/** Last resort, synchronous so it also works from process.on('exit'): kill what is still running. */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  children.clear()
}

/** A port free on loopback right now (the server binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export interface Server {
  name: string
  port: number
  child: ChildProcess
  url(path: string): string
}

export interface ServerOptions {
  name: string
  /** Arguments after `node --import tsx`, run from cwd. */
  args: string[]
  cwd: string
  env: Record<string, string>
  port: number
  /** Polled until it answers 200: the server is then listening and ready. */
  readyPath: string
  /** CPU list for `taskset -c`, or undefined to run unpinned. */
  cpu?: string
  startTimeoutMs?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts a Node server as a child process and waits until its ready path answers 200. */
export async function startServer(options: ServerOptions): Promise<Server> {
  // BENCH_PROFILE=<folder>: every server writes a CPU profile there when it exits (for Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []
  const node = [process.execPath, ...profile, '--import', 'tsx', ...options.args]
  const [command, argv] = options.cpu === undefined ? [node[0], node.slice(1)] : ['taskset', ['-c', options.cpu, ...node]]
  const child = track(spawn(command, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'ignore', 'pipe'] }))
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  let failure: Error | undefined
  child.on('error', (error) => (failure = error))
  child.on('exit', (code, signal) => (failure ??= new Error(`${options.name} exited (${signal ?? `code ${code}`}) while starting:\n${stderr}`)))

  const server: Server = {
    name: options.name,
    port: options.port,
    child,
    url: (path) => `http://127.0.0.1:${options.port}${path}`
  }
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000)
  while (Date.now() < deadline) {
    if (failure) throw failure
    try {
      const response = await fetch(server.url(options.readyPath), { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.status === 200) return server
    } catch {
      // not listening yet
    }
    await sleep(200)
  }
  child.kill('SIGKILL')
  throw new Error(`${options.name} did not answer ${options.readyPath} within the start timeout:\n${stderr}`)
}

/** Asks the server to shut down gracefully; kills it if it has not exited within 5 s. */
export async function stopServer(server: Server): Promise<void> {
  const { child } = server
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Resident memory of a running child in MiB, read from /proc (undefined where there is no /proc). */
export function residentMiB(server: Server): number | undefined {
  try {
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)
    return kb ? Math.round(Number(kb[1]) / 1024) : undefined
  } catch {
    return undefined
  }
}

const clockTicks = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
  return Number(result.stdout?.trim()) || 100
})()

/**
 * CPU time (user + system, all threads) a running child has used so far, in microseconds, from
 * /proc/<pid>/stat; undefined where there is no /proc. Unlike requests per second, CPU time per
 * request barely moves when other processes share the core.
 */
export function cpuMicroseconds(server: Server): number | undefined {
  try {
    const stat = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6
  } catch {
    return undefined
  }
}
