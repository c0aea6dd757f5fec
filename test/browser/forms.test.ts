import t, { type Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { buildApp } from '../../core/app.js'
import { loadConfig } from '../../core/config/load.js'
import { MailRecord } from '../../core/mail/mail.entity.js'
import { FormLead } from '../../plugins/forms/entities/lead.entity.js'
import { addMember, owner } from '../plugins/auth/helpers.js'
import { testEnv } from '../helper.js'
import { assertClean, assertStyled, launchBrowser, screenshot, startServer, viewports, watchPage, type PageWatch } from '../browser-helper.js'

/**
 * The public forms as visitors use them, with JavaScript off and on, on a phone and a desktop, to the
 * thank-you page; then the instance's owner reads the leads. A step must be on screen for a second:
 * without JavaScript the visitor takes that second, with it the page's script holds a quick click.
 */
const plugins = ['tenancy', 'auth', 'forms']
const browser: Browser = await launchBrowser(t)
const { env, dir } = await testEnv(t, { plugins, env: { KAIKU_FORMS_MIN_SECONDS: '1' } })
const seed = await buildApp(loadConfig(env, dir), { env, cwd: dir })
t.teardown(() => seed.close())
await seed.tenancy.create(seed.kaiku.orm.em.fork(), { slug: 'acme', name: 'Acme', domains: ['acme.com'], timeZone: 'Europe/Helsinki' })
await addMember(seed, { email: owner.email, name: owner.name, role: 'owner', password: owner.password })
const server = await startServer(t, { plugins, env, publicHost: 'localhost' })
const acme = server.url.replace('//localhost', '//acme.localhost')

type Viewport = keyof typeof viewports

async function open(t: Test, viewport: Viewport, javaScriptEnabled: boolean): Promise<{ page: Page; watch: PageWatch; cookies: () => Promise<unknown[]> }> {
  const context = await browser.newContext({ viewport: viewports[viewport], javaScriptEnabled, timezoneId: 'America/New_York' })
  t.teardown(() => context.close())
  const watch = await watchPage(context, acme)
  return { page: await context.newPage(), watch, cookies: () => context.cookies() }
}

/** Submits the step with its main button and waits for the next step's heading (or the thank-you). */
async function next(page: Page, javaScript: boolean, heading: string, button = /^(Next|Send)$/) {
  // Without JavaScript the visitor is slower than the server's minimum; with it, the script waits for them.
  if (!javaScript) await page.waitForTimeout(1100)
  const posted = page.waitForResponse((response) => response.request().method() === 'POST')
  await page.getByRole('button', { name: button }).click()
  await posted
  await page.waitForLoadState()
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor()
}

/**
 * Whether `expression` becomes true in the page within `ms`, polled. A step whose answer keeps its
 * heading (one that comes back with an error) can leave `next` before the new page has replaced the
 * old, and a script runs late now and then: a navigation that ends the page's context, or one reading
 * before the script has run, does not end the wait.
 */
async function eventually(page: Page, expression: string, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await page.evaluate(expression).catch(() => false)) return true
    await page.waitForTimeout(100)
  }
  return false
}

const leadOf = (email: string) => seed.kaiku.orm.em.fork().findOne(FormLead, { email }, { filters: false })

for (const javaScript of [false, true]) {
  const mode = javaScript ? 'js' : 'nojs'

  t.test(`the contact form to its thank-you page, JavaScript ${javaScript ? 'on' : 'off'} (phone)`, async (t) => {
    const { page, watch, cookies } = await open(t, 'phone', javaScript)
    const email = `contact-${mode}@example.com`
    await page.goto(`${acme}/contact`)
    t.equal(await page.locator('h1').innerText(), 'Hi!')
    t.ok(await page.getByText("What's your email address?").isVisible())
    t.ok(await page.getByRole('link', { name: 'Privacy policy' }).isVisible(), 'the privacy notice links to /privacy')
    const trap = await page.locator('div[aria-hidden="true"]:has(> #website)').boundingBox()
    t.ok(trap && trap.width <= 1 && trap.height <= 1, 'the honeypot is not visible')
    await assertStyled(t, page)
    await screenshot(page, `forms-contact-1-${mode}-phone`)
    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, `forms-contact-1-${mode}-phone-dark`)
    await page.emulateMedia({ colorScheme: 'light' })

    await page.getByLabel('Email address').fill('not an email')
    await next(page, javaScript, 'Hi!')
    t.ok(await page.getByText('Enter an email address such as name@example.com.').isVisible(), 'the error is next to the field')
    if (javaScript) {
      // The deferred script moves the focus once it has run: wait for it rather than race it.
      const focused = await eventually(page, "document.activeElement?.id === 'email'")
      t.ok(focused, 'focus is on the field to fix')
    }
    await screenshot(page, `forms-contact-1-error-${mode}-phone`)
    await page.getByLabel('Email address').fill(email)
    await next(page, javaScript, 'Thanks!')
    t.ok(await page.getByText('Would you like to tell us a little more about yourself and how we can help you?').isVisible())
    await page.getByLabel(/^Name/).fill('Ada Lovelace')
    await page.getByLabel(/^Company/).fill('Analytical Engines')
    await page.getByLabel(/^Role/).fill('Countess')
    await screenshot(page, `forms-contact-2-${mode}-phone`)
    await next(page, javaScript, 'Your message...')
    await page.getByLabel('How can we help?').fill('Could we talk about\nyour advocacy plans?')
    await next(page, javaScript, 'Thanks!', /^Back$/)
    t.equal(await page.getByLabel(/^Name/).inputValue(), 'Ada Lovelace', 'Back keeps the answers')
    await next(page, javaScript, 'Your message...')
    t.equal(await page.getByLabel('How can we help?').inputValue(), 'Could we talk about\nyour advocacy plans?', 'and the message typed before going back')
    await screenshot(page, `forms-contact-3-${mode}-phone`)
    await next(page, javaScript, 'Thank you.')
    t.equal(new URL(page.url()).pathname, '/contact/thanks')
    t.ok(await page.getByText("We'll be in touch soon!").isVisible())
    await screenshot(page, `forms-contact-thanks-${mode}-phone`)
    t.same(await cookies(), [], 'no cookie at any step')
    t.match(await leadOf(email), { name: 'Ada Lovelace', role: 'Countess', message: 'Could we talk about\nyour advocacy plans?' })
    t.ok((await leadOf(email))?.completedAt, 'the lead is complete')
    t.equal(watch.requests.some((url) => url.includes('/static/forms/forms.js')), javaScript, javaScript ? 'the script is loaded' : 'no script without JavaScript')
    assertClean(t, watch, [{ status: 400, url: `${acme}/contact` }])
  })

  t.test(`the demo request to its thank-you page, JavaScript ${javaScript ? 'on' : 'off'} (desktop)`, async (t) => {
    const { page, watch, cookies } = await open(t, 'desktop', javaScript)
    const email = `demo-${mode}@example.com`
    await page.goto(`${acme}/demo`)
    t.equal(await page.locator('h1').innerText(), 'Hi!')
    await screenshot(page, `forms-demo-1-${mode}-desktop`)
    await page.getByLabel('Email address').fill(email)
    await next(page, javaScript, 'Thanks!')
    t.ok(await page.getByText('Would you like to tell us a little more about yourself?').isVisible())
    await page.getByLabel(/^Name/).fill('Grace Hopper')
    await page.getByLabel(/^Company size/).selectOption('1000+')
    await next(page, javaScript, 'Preferred date & time for your demo (optional)')
    // The deferred script picks the visitor's zone once it has run: wait for it rather than race it.
    if (javaScript) await eventually(page, "document.querySelector('select[name=timeZone]')?.value === 'America/New_York'")
    const zone = await page.getByLabel('Time zone').inputValue()
    t.equal(zone, javaScript ? 'America/New_York' : 'Europe/Helsinki', javaScript ? "the visitor's own zone, picked by the script" : "the instance's zone")
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(Date.now() + 7 * 24 * 60 * 60_000))
    await page.getByLabel('Date', { exact: true }).fill(date)
    await page.getByLabel('Time', { exact: true }).fill('15:30')
    await screenshot(page, `forms-demo-3-${mode}-desktop`)
    await next(page, javaScript, 'Thank you.')
    t.equal(new URL(page.url()).pathname, '/demo/thanks')
    await screenshot(page, `forms-demo-thanks-${mode}-desktop`)
    t.same(await cookies(), [])
    const lead = await leadOf(email)
    t.match(lead, { companySize: '1000+', preferredTimeZone: zone })
    t.ok(lead?.completedAt)
    assertClean(t, watch)
  })
}

t.test('the owner reads the leads in the inbox, on a desktop and a phone', async (t) => {
  for (const viewport of ['desktop', 'phone'] as Viewport[]) {
    const { page, watch } = await open(t, viewport, true)
    await page.goto(`${acme}/admin/leads`)
    t.equal(new URL(page.url()).pathname, '/login', 'the inbox asks to sign in')
    await page.getByLabel('Work email').fill(owner.email)
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor()
    await page.waitForLoadState()
    t.equal(await page.locator('tbody tr').count(), 4, 'both forms, with and without JavaScript')
    t.match(await page.locator('main').innerText(), /Times are in Europe\/Helsinki\./, "times in the instance's zone")
    await assertStyled(t, page)
    await screenshot(page, `forms-inbox-${viewport}`)
    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, `forms-inbox-${viewport}-dark`)
    await page.emulateMedia({ colorScheme: 'light' })
    if (viewport === 'desktop') {
      await page.getByRole('link', { name: 'demo-js@example.com' }).click()
      await page.getByRole('heading', { level: 1, name: 'demo-js@example.com' }).waitFor()
      t.match(await page.locator('main').innerText(), /15:30 \(America\/New_York\)/, 'the slot as the visitor picked it')
      await page.getByLabel('Status').selectOption('contacted')
      await page.getByLabel('Notes').fill('Called, demo on Thursday.')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByText('Lead saved.').waitFor()
      await screenshot(page, 'forms-lead-desktop')
      await page.goto(`${acme}/admin/leads/settings`)
      await screenshot(page, 'forms-settings-desktop')
    }
    assertClean(t, watch)
  }
  const mail = await seed.kaiku.orm.em.fork().find(MailRecord, {})
  t.equal(mail.filter((m) => m.template === 'forms/confirmation').length, 4, 'each visitor got a confirmation')
})
