import t, { type Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { assertClean, setUpAcme, assertStyled, launchBrowser, screenshot, startServer, viewports, watchPage } from '../browser-helper.js'

/**
 * The header with every built-in plugin, as an owner sees it (the longest navigation there is): on a
 * wide screen the entries take one row under the brand; on a phone they fold into a "Menu" button
 * that opens without script, so the page starts near the top of the screen.
 */
t.setTimeout(240_000)
const browser: Browser = await launchBrowser(t)

const boxOf = async (page: Page, selector: string) => (await page.locator(selector).first().boundingBox())!

t.test('the navigation: one row on a wide screen, a menu button on a phone, with or without script', async (t) => {
  const server = await startServer(t, { plugins: [], publicHost: 'localhost' })
  const origin = server.url

  const context = await browser.newContext({ viewport: viewports.desktop })
  t.teardown(() => context.close())
  const watch = await watchPage(context, origin)
  const page = await context.newPage()
  await setUpAcme(page, origin)
  await page.goto(`${origin}/feed`)

  // Wide: every entry and the Administration menu in one row under the brand; no menu button.
  await assertStyled(t, page)
  t.notOk(await page.locator('.site-menu__toggle').isVisible(), 'no menu button on a wide screen')
  const entries = page.locator('.site-nav > ul > li')
  const count = await entries.count()
  t.ok(count >= 9, `a long navigation (${count} entries)`)
  const tops = new Set<number>()
  for (let i = 0; i < count; i++) tops.add(Math.round((await entries.nth(i).boundingBox())!.y))
  t.equal(tops.size, 1, 'the entries share one row')
  t.ok((await boxOf(page, '.site-nav')).y > (await boxOf(page, '.brand')).y, 'under the brand')
  await page.locator('.site-nav__more summary').click()
  await page.locator('.site-nav').getByRole('link', { name: 'Topics' }).click()
  await page.waitForURL(`${origin}/admin/topics`)
  t.equal(await page.locator('.site-nav__more--active').innerText(), 'Administration', 'the menu holding the page is marked')
  await screenshot(page, 'header-desktop')
  assertClean(t, watch)

  // An unread notification adds a count to its entry: the row must still hold every entry, and the
  // brand and name their own row above it, so the header stays two rows high, not three.
  const plain = (await boxOf(page, '.site-header')).height
  // Sent from a tab without script, so no progress polling is cut short by leaving the page.
  const sender = await browser.newContext({ viewport: viewports.desktop, javaScriptEnabled: false, storageState: await context.storageState() })
  t.teardown(() => sender.close())
  const broadcast = await sender.newPage()
  await broadcast.goto(`${origin}/admin/broadcast`)
  await broadcast.getByLabel('Subject').fill('Office closed on Friday')
  await broadcast.getByLabel('Message').fill('Enjoy the long weekend.')
  await broadcast.getByRole('button', { name: 'Preview' }).click()
  await broadcast.getByRole('button', { name: 'Send to members' }).click()
  await broadcast.waitForLoadState()
  // The worker delivers the announcement (to the owner too) a moment later.
  await page.goto(`${origin}/feed`)
  for (let tries = 0; tries < 50 && !(await page.locator('.site-nav .nav-badge').count()); tries++) {
    await page.waitForTimeout(100)
    await page.reload()
  }
  t.match(await page.locator('.site-nav').getByRole('link', { name: /^Notifications/ }).innerText(), /^Notifications\s+1\b/, 'the unread count beside Notifications')
  const badged = page.locator('.site-nav > ul > li')
  const rows = new Set<number>()
  for (let i = 0; i < (await badged.count()); i++) rows.add(Math.round((await badged.nth(i).boundingBox())!.y))
  t.equal(rows.size, 1, 'the entries still share one row with the count')
  t.equal((await boxOf(page, '.site-header')).height, plain, 'the header is as high as without it')
  await assertStyled(t, page)
  await screenshot(page, 'header-desktop-unread')
  assertClean(t, watch)

  for (const javaScriptEnabled of [true, false]) {
    await t.test(`a phone, script ${javaScriptEnabled ? 'on' : 'off'}`, async (t: Test) => {
      const phone = await browser.newContext({ viewport: viewports.phone, javaScriptEnabled, storageState: await context.storageState() })
      t.teardown(() => phone.close())
      const phoneWatch = await watchPage(phone, origin)
      const small = await phone.newPage()
      await small.goto(`${origin}/feed`)
      await assertStyled(t, small)
      t.notOk(await small.locator('.site-nav').isVisible(), 'the wide navigation is folded away')
      t.notOk(await small.locator('.site-header .site-viewer').isVisible(), 'so is the name beside it')
      const toggle = small.locator('.site-menu__toggle')
      t.ok(await toggle.isVisible(), 'a menu button instead')
      t.ok((await boxOf(small, '.site-header')).height < 90, 'the header is one row high')
      t.notOk(await small.getByRole('link', { name: 'Leaderboard' }).isVisible(), 'the entries wait behind it')
      await toggle.click()
      t.ok(await small.getByRole('link', { name: 'Leaderboard' }).isVisible(), 'the button opens the menu')
      t.equal(await small.locator('.site-menu__panel a[aria-current="page"]').innerText(), 'Feed', 'the page is marked in it')
      t.ok(await small.locator('.site-menu__heading', { hasText: 'Administration' }).isVisible(), 'administration pages under their heading')
      t.ok(await small.locator('.site-menu__viewer', { hasText: 'Olivia Owner' }).isVisible(), 'the name and sign-out at its foot')
      t.ok(await small.locator('.site-menu__viewer').getByRole('button', { name: 'Sign out' }).isVisible())
      const panel = await boxOf(small, '.site-menu__panel')
      t.ok(panel.x <= 1 && panel.width >= viewports.phone.width - 2, 'the menu spans the screen')
      if (javaScriptEnabled) await screenshot(small, 'header-phone-menu')
      await small.locator('.site-menu__panel').getByRole('link', { name: 'Leaderboard' }).click()
      await small.waitForURL(`${origin}/leaderboard`)
      t.notOk(await small.locator('.site-menu__panel').isVisible(), 'the next page starts with the menu closed')
      assertClean(t, phoneWatch)
    })
  }
})
