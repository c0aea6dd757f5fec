import type { Test } from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { repoRoot, type TestLike } from './helper.js'

export { freePort, startServer, type RunningServer } from './processes.js'

export const chromiumPath = '/usr/bin/chromium'
export const screenshotDir = join(repoRoot, 'artifacts', 'screenshots')

export const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 }
} as const

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

/** Fills the first-run setup form as Acme's owner, Olivia (the same details the API tests use). */
export async function fillSetup(page: Page): Promise<void> {
  await page.getByLabel('Your name').fill('Olivia Owner')
  await page.getByLabel('Your work email').fill('olivia@acme.com')
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByLabel('Company name').fill('Acme')
  await page.getByLabel('Address').fill('acme')
  await page.getByLabel('Email domains').fill('acme.com')
}

/** Installs Kaiku from its setup page as Acme's owner (fillSetup), who is then signed in. */
export async function setUpAcme(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/setup`)
  await fillSetup(page)
  await page.getByRole('button', { name: 'Create the instance' }).click()
  await page.waitForLoadState()
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

/** What the stylesheet must visibly change: a browser default would be 8px margin, serif, transparent. */
export async function assertStyled(t: Test, page: Page) {
  const sheets: string[] = await page.evaluate(
    `[...document.styleSheets].filter((sheet) => sheet.cssRules.length > 0).map((sheet) => sheet.href)`
  )
  t.ok(sheets.some((href) => href?.endsWith('/static/kaiku.css')), 'kaiku.css loaded with its rules')
  t.equal(await computedStyle(page, 'body', 'margin-top'), '0px', 'body margin reset')
  t.match(await computedStyle(page, 'body', 'font-family'), /system-ui/, 'system font stack applied')
  t.not(await computedStyle(page, '.site-header', 'background-color'), 'rgba(0, 0, 0, 0)', 'header has its own background')
  const overflow: number = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
  t.equal(overflow, 0, 'nothing wider than the viewport')
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Nothing went wrong behind the page but the error responses the test asked for. */
export function assertClean(t: Test, watch: PageWatch, expected: { status: number; url: string }[] = []) {
  const expectedConsole = expected.map(
    ({ status, url }) => new RegExp(`^Failed to load resource: the server responded with a status of ${status} .*\\[${escapeRegExp(url)}\\]$`)
  )
  t.same(
    watch.consoleErrors.filter((line) => !expectedConsole.some((pattern) => pattern.test(line))),
    [],
    'no console errors'
  )
  // Chromium asks for the favicon after a page has loaded and cancels that request when the test
  // navigates on at once: the browser's doing, not a request that failed.
  const cancelledFavicon = /\/static\/favicon\.svg \(net::ERR_ABORTED\)$/
  t.same(watch.failedRequests.filter((line) => !cancelledFavicon.test(line)), [], 'no failed requests')
  t.same(watch.foreignRequests, [], 'no request to another host')
  t.same(watch.errorResponses, expected.map(({ status, url }) => `${status} ${url}`), 'no error responses but the expected ones')
}

