import t from 'tap'
import type { Browser } from 'playwright-core'
import { assertClean, setUpAcme, assertStyled, launchBrowser, screenshot, startServer, viewports, watchPage } from '../browser-helper.js'

/**
 * Sharing as a member does it, with and without script: the share page counts as the network does,
 * and the page with the link offers copy buttons only where they work; and the review queue, where
 * suggested links wait, on a phone.
 */
t.setTimeout(240_000)
const browser: Browser = await launchBrowser(t)

t.test('share a post to LinkedIn without script, then look at the same page with it', async (t) => {
  const server = await startServer(t, { plugins: [], publicHost: 'localhost' })
  const origin = server.url

  const plain = await browser.newContext({ viewport: viewports.phone, javaScriptEnabled: false })
  t.teardown(() => plain.close())
  const plainWatch = await watchPage(plain, origin)
  const page = await plain.newPage()
  await setUpAcme(page, origin)
  await page.goto(`${origin}/posts/new`)
  await page.getByLabel('Link to share').fill('https://blog.acme.example/launch')
  await page.locator('#title').fill('We launched Rocket')
  await page.getByRole('button', { name: 'Save post' }).click()
  await page.waitForURL(/\/posts\/[0-9a-f-]{36}$/)
  const postPath = new URL(page.url()).pathname

  await page.goto(`${origin}${postPath}/share/linkedin`)
  await page.locator('textarea[name="text"]').fill('Proud of the team!')
  await page.getByRole('button', { name: 'Get my link and share' }).click()
  await page.waitForURL(/\/shares\/[0-9a-f-]{36}$/)
  await assertStyled(t, page)
  t.ok(await page.getByRole('link', { name: 'Open LinkedIn' }).isVisible(), "the network's share page is one tap away")
  t.match(await page.locator('#link').inputValue(), /^http:\/\/localhost:\d+\/s\/[0-9A-Za-z]{10}$/, 'the tracked link, ready to select')
  const copies = page.locator('[data-copy]')
  t.equal(await copies.count(), 2)
  t.notOk(await copies.nth(0).isVisible(), 'without script no copy button is shown, since none would work')
  t.notOk(await copies.nth(1).isVisible())
  await screenshot(page, 'sharing-ready-nojs')
  assertClean(t, plainWatch)

  const scripted = await browser.newContext({ viewport: viewports.desktop, storageState: await plain.storageState() })
  t.teardown(() => scripted.close())
  const watch = await watchPage(scripted, origin)
  const live = await scripted.newPage()
  await live.goto(page.url())
  t.ok(await live.getByRole('button', { name: 'Copy link' }).isVisible(), 'with script the copy buttons appear')
  t.ok(await live.getByRole('button', { name: 'Copy message' }).isVisible())

  // X weighs Japanese characters as 2: the count says so as it is typed, and turns red when over.
  await live.goto(`${origin}${postPath}/share/x`)
  const count = live.locator('#text-count')
  await live.locator('textarea[name="text"]').fill('あ'.repeat(128))
  t.equal(await live.locator('.compose__used').innerText(), '280', '128 × 2, a space and the link as 23')
  t.notOk(await count.evaluate((element) => element.classList.contains('compose__count--over')))
  await live.locator('textarea[name="text"]').fill('あ'.repeat(129))
  t.equal(await live.locator('.compose__used').innerText(), '282')
  t.ok(await count.evaluate((element) => element.classList.contains('compose__count--over')), 'over the limit')
  await screenshot(live, 'sharing-compose-x-over')
  assertClean(t, watch)
})

t.test('the review queue fits a phone, a suggested long link and the decline form included', async (t) => {
  const server = await startServer(t, { plugins: [], publicHost: 'localhost' })
  const origin = server.url
  const context = await browser.newContext({ viewport: viewports.phone })
  t.teardown(() => context.close())
  const watch = await watchPage(context, origin)
  const page = await context.newPage()
  await setUpAcme(page, origin)
  await page.goto(`${origin}/suggest`)
  await page.locator('#url').fill(`https://blog.acme.example/${'a-very-long-path-segment-'.repeat(4)}launch.html`)
  await page.locator('#comment').fill('Our CEO talk at Slush, worth sharing')
  await page.locator('form').last().locator('button[type="submit"]').click()
  await page.waitForLoadState()
  await page.goto(`${origin}/review`)
  t.ok(await page.getByRole('button', { name: 'Decline' }).isVisible())
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number
  t.ok(width <= viewports.phone.width, `nothing sticks out sideways (${width} px)`)
  await screenshot(page, 'review-phone')
  assertClean(t, watch)
})
