import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { settings } from '../core/config/schema.js'
import { childEnv, repoRoot, testEnv, tsxLoader, type BuildOptions, type TestLike } from './helper.js'

/** Child processes of Kaiku for tests that need a real server or worker. */
export interface RunningServer {
  /** Origin of the server, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string
  child: ChildProcess
}

/** A TCP port nobody listens on right now, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer()
    probe.unref()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolvePort(port))
    })
  })
}

/**
 * The environment of the developer's shell must not reach the server under test: any Kaiku
 * setting (or plugin setting) there would make the test depend on who runs it.
 */
function inheritedEnv(): Record<string, string> {
  const kaikuNames = new Set(settings().map((setting) => setting.env))
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || kaikuNames.has(name) || name.startsWith('KAIKU_')) continue
    // tap's coverage and process tracking (childEnv switches the child's coverage off).
    if (name === 'NODE_V8_COVERAGE' || name.startsWith('_TAPJS') || name.startsWith('TAP_') || name === 'NODE_OPTIONS') continue
    env[name] = value
  }
  return env
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited: string | undefined
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`
  })
  while (Date.now() < deadline) {
    if (exited) throw new Error(`kaiku server ${exited} before answering /healthz:\n${output()}`)
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
      if (response.status === 200) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100))
  }
  throw new Error(`kaiku server did not answer /healthz within ${timeoutMs} ms:\n${output()}`)
}

/** SIGTERM for a graceful shutdown, then SIGKILL if it hangs. */
export async function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/**
 * Starts the real server (`node --import tsx core/server.ts`) as a child process on a free port,
 * with its own database and data folder, and waits until /healthz answers. Stopped at teardown,
 * before the database and folder are removed (tap runs teardowns last-registered first).
 */
export async function startServer(
  t: TestLike,
  options: Pick<BuildOptions, 'env' | 'plugins'> & {
    /** `localhost` serves company instances at `<slug>.localhost:<port>`, which Chromium resolves to loopback. */
    publicHost?: 'localhost' | '127.0.0.1'
  } = {}
): Promise<RunningServer & { env: Record<string, string>; dir: string }> {
  const port = await freePort()
  const publicHost = options.publicHost ?? '127.0.0.1'
  const url = `http://${publicHost}:${port}`
  const { env, dir } = await testEnv(t, {
    ...options,
    env: { PORT: String(port), HOST: publicHost, KAIKU_PUBLIC_URL: url, ...options.env }
  })
  // An empty config file of its own, so a developer's config/kaiku.json never applies.
  if (!env.KAIKU_CONFIG) {
    env.KAIKU_CONFIG = join(dir, 'kaiku.json')
    writeFileSync(env.KAIKU_CONFIG, '{}\n')
  }

  const { child, output } = spawnKaiku(t, ['core/server.ts'], env)
  await waitForHealth(url, child, output, 60_000)
  return { url, child, env, dir }
}

/**
 * Runs a Kaiku entry point (the server, or `bin/kaiku.mjs worker`) as a child process with the given
 * environment and nothing of the developer's. Stopped at teardown; `output()` keeps its last 20 kB.
 */
export function spawnKaiku(t: TestLike, args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', tsxLoader, ...args], {
    cwd: repoRoot,
    env: childEnv({ ...inheritedEnv(), ...env }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  t.teardown(() => stop(child))
  return { child, output: () => output }
}

