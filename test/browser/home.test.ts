import t, { type Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { computedStyle, launchBrowser, screenshot, startServer, viewports, watchPage, type PageWatch } from '../browser-helper.js'

const browser: Browser = await launchBrowser(t)

type Viewport = keyof typeof viewports

async function open(t: Test, url: string, viewport: Viewport): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: viewports[viewport] })
  t.teardown(() => context.close())
  const watch = await watchPage(context, url)
  return { page: await context.newPage(), watch }
}

/** What the stylesheet must visibly change: a browser default would be 8px margin, serif, transparent. */
async function assertStyled(t: Test, page: Page) {
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

/**
 * Nothing went wrong behind the page. `expected` lists responses that are meant to be errors (the
 * 404 page itself), as "status url"; Chromium also logs those to the console, which is expected too.
 */
function assertClean(t: Test, watch: PageWatch, expected: { status: number; url: string }[] = []) {
  const expectedConsole = expected.map(
    ({ status, url }) => new RegExp(`^Failed to load resource: the server responded with a status of ${status} .*\\[${escapeRegExp(url)}\\]$`)
  )
  t.same(
    watch.consoleErrors.filter((line) => !expectedConsole.some((pattern) => pattern.test(line))),
    [],
    'no console errors'
  )
  t.same(watch.failedRequests, [], 'no failed requests')
  t.same(watch.foreignRequests, [], 'no request to another host')
  t.same(watch.errorResponses, expected.map(({ status, url }) => `${status} ${url}`), 'no error responses but the expected ones')
}

for (const viewport of Object.keys(viewports) as Viewport[]) {
  t.test(`a fresh install's home page leads to the styled setup page (${viewport})`, async (t) => {
    const server = await startServer(t)
    const { page, watch } = await open(t, server.url, viewport)
    const response = await page.goto(`${server.url}/`)
    t.equal(response?.status(), 200)
    t.equal(new URL(page.url()).pathname, '/setup', 'redirected into the first-run setup')
    t.match(await page.title(), /Kaiku/)
    t.ok(await page.locator('h1').isVisible(), 'the page has a visible heading')
    await assertStyled(t, page)
    assertClean(t, watch)
    t.ok(watch.requests.some((url) => url === `${server.url}/static/kaiku.css`), 'stylesheet requested from the server itself')
    await screenshot(page, `setup-${viewport}`)
    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, `setup-${viewport}-dark`)
  })

  t.test(`an unknown page shows the styled 404 page (${viewport})`, async (t) => {
    const server = await startServer(t)
    const { page, watch } = await open(t, server.url, viewport)
    const missing = `${server.url}/no-such-page`
    const response = await page.goto(missing)
    t.equal(response?.status(), 404)
    t.match(await page.title(), /Kaiku/)
    t.match(await page.locator('h1').innerText(), /could not find/i, 'says what happened')
    t.ok(await page.locator('a[href="/"]').first().isVisible(), 'offers a way back')
    await assertStyled(t, page)
    assertClean(t, watch, [{ status: 404, url: missing }])
    await screenshot(page, `error-404-${viewport}`)
    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, `error-404-${viewport}-dark`)
  })
}

t.test('the content security policy stops a page from loading anything from another host', async (t) => {
  const server = await startServer(t)
  const { page, watch } = await open(t, server.url, 'desktop')
  await page.goto(`${server.url}/setup`)
  const refused = page.waitForEvent('console', { predicate: (message) => /Content Security Policy/.test(message.text()) })
  await page.evaluate(`document.body.insertAdjacentHTML('beforeend', '<img src="https://tracker.example/pixel.gif" alt="">')`)
  t.match((await refused).text(), /img-src/, 'the browser refuses the image and says which directive forbids it')
  t.same(watch.foreignRequests, [], 'the request never left the browser')
})
