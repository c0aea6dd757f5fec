import t, { type Test } from 'tap'
import type { Browser, Page } from 'playwright-core'
import { buildApp } from '../../core/app.js'
import { loadConfig } from '../../core/config/load.js'
import { JobRecord } from '../../core/jobs/job.entity.js'
import { MailRecord } from '../../core/mail/mail.entity.js'
import { fixturePlugin, testEnv } from '../helper.js'
import { assertClean, assertStyled, launchBrowser, screenshot, startServer, viewports, watchPage, type PageWatch } from '../browser-helper.js'

const browser: Browser = await launchBrowser(t)

type Viewport = keyof typeof viewports

async function open(t: Test, url: string, viewport: Viewport, headers: Record<string, string> = {}): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: viewports[viewport], extraHTTPHeaders: headers })
  t.teardown(() => context.close())
  const watch = await watchPage(context, url)
  return { page: await context.newPage(), watch }
}

async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * A real server whose worker has already run what the test queued on its database: two jobs that
 * always fail (dead after their two attempts), one that succeeds, and a welcome mail that lands in
 * the local mailbox. The server has no HTTP way to enqueue, so an app of the test's own, on the
 * same database, does the writing and the checking.
 */
async function seededServer(t: Test) {
  const plugins = [fixturePlugin()]
  const { env, dir } = await testEnv(t, {
    plugins,
    env: { KAIKU_WORKER_POLL_MS: '50', KAIKU_JOB_BACKOFF_MS: '50', KAIKU_JOB_MAX_ATTEMPTS: '2' }
  })
  const app = await buildApp(loadConfig(env, dir), { env, cwd: dir })
  t.teardown(() => app.close())
  const { queue } = app.kaiku.jobs
  const seeded = await app.kaiku.orm.em.fork().transactional(async (em) => ({
    failing: [(await queue.enqueue(em, 'fixture.fail', {})).id, (await queue.enqueue(em, 'fixture.fail', {})).id],
    recorded: (await queue.enqueue(em, 'fixture.record', { text: 'recorded by the worker' })).id,
    mail: (await app.kaiku.contexts.get('fixture')!.mail.send(em, { to: 'ada@example.com', template: 'fixture/welcome', data: { name: 'Ada' } })).id
  }))
  const server = await startServer(t, { plugins, env })

  const job = (id: string) => app.kaiku.orm.em.fork().findOne(JobRecord, { id }, { disableIdentityMap: true })
  await until(async () => {
    const [first, second, recorded] = await Promise.all([...seeded.failing, seeded.recorded].map(job))
    const mail = await app.kaiku.orm.em.fork().findOneOrFail(MailRecord, { id: seeded.mail })
    return first?.status === 'dead' && second?.status === 'dead' && recorded?.status === 'done' && mail.status === 'mailbox'
  })
  const attemptNotes = async () =>
    Number((await app.kaiku.orm.em.fork().getConnection().execute("select count(*) as n from fixture_note where text like 'attempt:%'"))[0].n)
  return { server, seeded, job, attemptNotes }
}

async function screenshots(page: Page, name: string) {
  await page.emulateMedia({ colorScheme: 'light' })
  await screenshot(page, name)
  await page.emulateMedia({ colorScheme: 'dark' })
  await screenshot(page, `${name}-dark`)
  await page.emulateMedia({ colorScheme: 'light' })
}

const operator = { 'x-fixture-role': 'operator' }

for (const viewport of Object.keys(viewports) as Viewport[]) {
  t.test(`an operator retries and discards dead jobs (${viewport})`, async (t) => {
    const { server, seeded, job, attemptNotes } = await seededServer(t)
    const [retried, discarded] = seeded.failing
    const { page, watch } = await open(t, server.url, viewport, operator)
    const row = (id: string) => page.locator(`#job-${id}`)

    t.equal((await page.goto(`${server.url}/operator/jobs`))?.status(), 200)
    t.match(await page.title(), /Jobs · Kaiku/)
    t.equal(await page.locator('h1').innerText(), 'Jobs')
    for (const id of seeded.failing) {
      t.ok(await row(id).isVisible(), 'each dead job is listed')
      t.match(await row(id).innerText(), /fixture\.fail/)
      t.match(await row(id).locator('.badge--dead').innerText(), /Dead/)
      t.match(await row(id).innerText(), /always fails \(attempt 2\)/, 'with the error of its last attempt')
    }
    t.match(await row(seeded.recorded).innerText(), /Done/, 'the job that worked is done')
    await assertStyled(t, page)
    await screenshots(page, `operator-jobs-${viewport}`)

    await page.getByRole('link', { name: /^Dead/ }).click()
    await page.waitForURL(`${server.url}/operator/jobs?status=dead`)
    t.equal(await page.locator('[aria-current="page"]', { hasText: 'Dead' }).count(), 1, 'the Dead tab is the current one')
    t.equal(await page.locator('tbody tr').count(), 2, 'only the two dead jobs')
    t.equal(await row(seeded.recorded).count(), 0, 'the done job is not in this tab')

    const notesBefore = await attemptNotes()
    await row(retried).getByRole('button', { name: 'Retry' }).click()
    await page.waitForURL(`${server.url}/operator/jobs`)
    t.ok(await page.getByText('The job will run again shortly.').isVisible(), 'the flash says what happens next')
    t.ok(await row(retried).isVisible(), 'the retried job is still listed')
    await until(async () => (await attemptNotes()) === notesBefore + 2 && (await job(retried))?.status === 'dead')
    t.pass('the worker ran the retried job again through both its attempts')
    await page.reload()
    t.equal(await page.getByText('The job will run again shortly.').count(), 0, 'the flash is shown once')
    t.match(await row(retried).locator('.badge').innerText(), /Dead/, 'the list shows what the new attempts came to')

    await page.getByRole('link', { name: /^Dead/ }).click()
    await page.waitForURL(`${server.url}/operator/jobs?status=dead`)
    await row(discarded).getByRole('button', { name: 'Discard' }).click()
    await page.waitForURL(`${server.url}/operator/jobs`)
    t.ok(await page.getByText('The job was discarded.').isVisible(), 'the flash confirms the discard')
    t.equal(await row(discarded).count(), 0, 'the discarded job is gone from the list')
    t.equal(await job(discarded), null, 'and from the database')
    t.ok(await row(retried).isVisible(), 'the other job is untouched')
    await screenshots(page, `operator-jobs-after-${viewport}`)
    assertClean(t, watch)
  })

  t.test(`an operator reads a message in the local mailbox (${viewport})`, async (t) => {
    const { server, seeded } = await seededServer(t)
    const { page, watch } = await open(t, server.url, viewport, operator)

    t.equal((await page.goto(`${server.url}/operator/mail`))?.status(), 200)
    t.equal(await page.locator('h1').innerText(), 'Mail')
    t.ok(await page.getByText('No SMTP server is configured').isVisible(), 'says where mail goes')
    t.ok(await page.getByText('ada@example.com').isVisible(), 'the recipient')
    t.ok(await page.locator('.badge--mailbox', { hasText: 'In mailbox' }).isVisible(), 'the status')
    await assertStyled(t, page)
    await screenshots(page, `operator-mail-${viewport}`)

    await page.getByRole('link', { name: 'Welcome to Kaiku, Ada' }).click()
    await page.waitForURL(`${server.url}/operator/mail/${seeded.mail}`)
    t.equal(await page.locator('h1').innerText(), 'Welcome to Kaiku, Ada')
    t.match(await page.locator('.mail-text').innerText(), /Hello Ada,\s+Your notes are waiting\./, 'the text body')
    const html = page.frameLocator('iframe.mail-frame')
    t.ok(await html.getByText('Hello Ada,').isVisible(), 'the HTML body, as the recipient sees it')
    await assertStyled(t, page)
    await screenshots(page, `operator-mail-message-${viewport}`)

    await page.getByRole('link', { name: 'All mail' }).click()
    await page.waitForURL(`${server.url}/operator/mail`)
    assertClean(t, watch)
  })
}

t.test('without the operator role the pages answer 403 with the styled error page', async (t) => {
  const { server, seeded } = await seededServer(t)
  const { page, watch } = await open(t, server.url, 'desktop')
  const urls = ['/operator/jobs', '/operator/jobs?status=dead', '/operator/mail', `/operator/mail/${seeded.mail}`].map((path) => `${server.url}${path}`)
  for (const url of urls) {
    t.equal((await page.goto(url))?.status(), 403, url)
    t.match(await page.title(), /Kaiku/)
    t.equal(await page.locator('h1').innerText(), 'You are not allowed to do that.')
    t.ok(await page.locator('a[href="/"]').first().isVisible(), 'offers a way back')
    const text = await page.locator('main').innerText()
    t.notMatch(text, /always fails|ada@example\.com|Welcome to Kaiku, Ada/, 'shows nothing of the jobs or mail')
    await assertStyled(t, page)
  }
  t.equal(await page.locator('.site-nav a[href^="/operator"]').count(), 0, 'no operator links in the navigation')
  assertClean(t, watch, urls.map((url) => ({ status: 403, url })))
  await screenshot(page, 'operator-forbidden-desktop')
})
