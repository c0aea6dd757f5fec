import t, { type Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { assertClean, assertStyled, launchBrowser, screenshot, startServer, viewports, watchPage, type PageWatch } from '../browser-helper.js'

const browser: Browser = await launchBrowser(t)

type Viewport = keyof typeof viewports

async function open(t: Test, url: string, viewport: Viewport): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: viewports[viewport] })
  t.teardown(() => context.close())
  const watch = await watchPage(context, url)
  return { page: await context.newPage(), watch }
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
