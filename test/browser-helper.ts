import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { settings } from '../core/config/schema.js'
import { repoRoot, testEnv, type BuildOptions, type TestLike } from './helper.js'

export const chromiumPath = '/usr/bin/chromium'
export const screenshotDir = join(repoRoot, 'artifacts', 'screenshots')

export const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 }
} as const

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
async function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
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
export async function startServer(t: TestLike, options: Pick<BuildOptions, 'env' | 'plugins'> = {}): Promise<RunningServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const { env, dir } = await testEnv(t, {
    ...options,
    env: { PORT: String(port), HOST: '127.0.0.1', KAIKU_PUBLIC_URL: url, ...options.env }
  })
  // An empty config file of its own, so a developer's config/kaiku.json never applies.
  if (!env.KAIKU_CONFIG) {
    env.KAIKU_CONFIG = join(dir, 'kaiku.json')
    writeFileSync(env.KAIKU_CONFIG, '{}\n')
  }

  const child = spawn(process.execPath, ['--import', 'tsx', 'core/server.ts'], {
    cwd: repoRoot,
    env: { ...inheritedEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  t.teardown(() => stop(child))

  await waitForHealth(url, child, () => output, 60_000)
  return { url, child }
}

/** Headless Debian Chromium driven by playwright-core; never a browser downloaded by playwright. */
export async function launchBrowser(t: TestLike): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic'
    ]
  })
  t.teardown(() => browser.close())
  return browser
}

/** Saves a full-page PNG as artifacts/screenshots/<name>.png (transitions finished) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true })
  const path = join(screenshotDir, `${name}.png`)
  await page.screenshot({ path, fullPage: true, animations: 'disabled' })
  return path
}

export interface PageWatch {
  /** console.error messages as "text [url]", and uncaught page errors (CSP violations land here too). */
  consoleErrors: string[]
  /** Requests that never got a response (network error, aborted, blocked). */
  failedRequests: string[]
  /** Responses with a 4xx or 5xx status, as "status url". */
  errorResponses: string[]
  /** Requests to any origin other than the server's own; they are aborted, never sent. */
  foreignRequests: string[]
  /** Every URL requested, in order. */
  requests: string[]
}

/**
 * Records what a page does that a person would not see but must never happen: console errors,
 * failed requests, error responses, and requests to other hosts (which are blocked, so a test
 * can never leak to the network). Register it before the first navigation.
 */
export async function watchPage(context: BrowserContext, serverUrl: string): Promise<PageWatch> {
  const origin = new URL(serverUrl).origin
  const watch: PageWatch = { consoleErrors: [], failedRequests: [], errorResponses: [], foreignRequests: [], requests: [] }
  const isOwn = (url: string) => url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('about:') || new URL(url).origin === origin

  await context.route('**/*', async (route) => {
    const url = route.request().url()
    if (isOwn(url)) return route.continue()
    watch.foreignRequests.push(url)
    return route.abort('blockedbyclient')
  })
  const attach = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') watch.consoleErrors.push(`${message.text()} [${message.location().url}]`)
    })
    page.on('pageerror', (error) => watch.consoleErrors.push(`uncaught: ${error.message}`))
  }
  context.pages().forEach(attach)
  context.on('page', attach)
  context.on('request', (request) => watch.requests.push(request.url()))
  context.on('requestfailed', (request) => {
    if (isOwn(request.url())) watch.failedRequests.push(`${request.url()} (${request.failure()?.errorText ?? 'failed'})`)
  })
  context.on('response', (response) => {
    if (response.status() >= 400) watch.errorResponses.push(`${response.status()} ${response.url()}`)
  })
  return watch
}

/** The computed value of one CSS property of the first element matching `selector`. */
export async function computedStyle(page: Page, selector: string, property: string): Promise<string> {
  return page.evaluate(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`
  )
}
